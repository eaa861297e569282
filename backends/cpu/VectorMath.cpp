//===- VectorMath.cpp - glibc's vector math library, loaded once ----------===//

#include "backends/cpu/VectorMath.h"

#include <dlfcn.h>

bool nnc::cpu::vectorMathLoaded() {
  // Never closed: kernels may call it until the process ends.
  static const bool loaded =
      ::dlopen("libmvec.so.1", RTLD_NOW | RTLD_GLOBAL) != nullptr;
  return loaded;
}
