//===- VectorMath.h - glibc's vector math library, loaded once --*- C++ -*-===//
//
// Kernels call exp, log, erf, tanh and log1p on whole vectors through
// glibc's libmvec (`_ZGVeN8v_exp` is exp on 8 doubles with AVX-512), which
// the loop vectoriser maps scalar calls to. Their code leaves those symbols
// undefined, for the process to provide, so the library must be in the
// global symbol scope before any kernel is linked or loaded: the JIT looks
// symbols up there, and so does dlopen for an artifact's shared objects.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_VECTORMATH_H
#define NNC_BACKENDS_CPU_VECTORMATH_H

namespace nnc::cpu {

/// Loads libmvec.so.1 into the global scope (once per process) and says
/// whether it is there. Without it (a libc other than glibc), kernels are
/// compiled with scalar calls, and an artifact whose code needs it fails to
/// load with the dynamic linker's "undefined symbol" message.
bool vectorMathLoaded();

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_VECTORMATH_H
