//===- CodeLinker.h - An executable's code as shared objects ----*- C++ -*-===//
//
// What serializing a compiled cpu executable needs from the compiler: the
// relocatable objects of its kernel modules, per target, linked into one
// shared object by the system linker, and the GEMM micro-kernels compiled
// for each target and linked likewise.
//
// The linker is $NNC_LINKER if set, else the first of ld.lld-19, ld.lld and
// ld found on PATH (binutils' ld comes with any C toolchain).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_COMPILER_CODELINKER_H
#define NNC_BACKENDS_CPU_COMPILER_CODELINKER_H

#include "backends/cpu/serial/CpuSerializer.h"

#include "llvm/Support/Error.h"

namespace nnc::cpu {

/// Links the relocatable `objects` into one shared object.
llvm::Expected<std::string> linkSharedObject(llvm::ArrayRef<std::string> objects);

/// The code of `kernels` (compiled for `targets`) linked for the targets
/// from `firstTarget` on: those before it were compiled only to run in this
/// process and are never linked. moduleOf[i] receives the index of the
/// shared object holding kernels[i]'s code (-1: no code).
llvm::Expected<std::vector<LinkedTarget>>
linkExecutableCode(const std::vector<const CpuKernel *> &kernels,
                   const std::vector<CodeTarget> &targets, size_t firstTarget,
                   std::vector<int64_t> &moduleOf);

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_COMPILER_CODELINKER_H
