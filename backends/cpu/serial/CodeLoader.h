//===- CodeLoader.h - Running a serialized executable's code ----*- C++ -*-===//
//
// Picks the best target of a deserialized cpu executable that this CPU
// runs, loads its shared objects from memory (MemoryLibrary.h) and points
// every kernel at its entry points and at the target's GEMM micro-kernels.
// No MLIR or LLVM: this is how a deployed artifact runs.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_SERIAL_CODELOADER_H
#define NNC_BACKENDS_CPU_SERIAL_CODELOADER_H

#include "backends/cpu/serial/CpuSerializer.h"

namespace nnc::cpu {

/// Loads the code of the first target in `executable` whose CPU features
/// this CPU has, and fills in each kernel's entry points, GEMM and code
/// owner. Returns that target's index; fails naming what each target
/// needs when none runs here, or when a shared object does not load or
/// lacks a symbol.
rt::Expected<size_t> loadExecutableCode(SerializedExecutable &executable);

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_SERIAL_CODELOADER_H
