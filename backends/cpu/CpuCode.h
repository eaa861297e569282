//===- CpuCode.h - The cpu backend's machine code and its targets -*- C++ -*-===//
//
// What a compiled artifact carries of the cpu backend: machine code per
// target CPU. The compiler keeps each JIT-compiled module's relocatable
// object so an executable can be serialized later; an executable read from
// an artifact keeps the linked shared objects it was read from, so it can
// be written again (a resumed training run saving its artifact) without a
// compiler.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_CPUCODE_H
#define NNC_BACKENDS_CPU_CPUCODE_H

#include "backends/cpu/gemm/Gemm.h"

#include <string>
#include <vector>

namespace nnc::cpu {

/// A CPU that machine code is compiled for.
struct CodeTarget {
  /// The LLVM CPU name: an ISA level ("x86-64-v3", "x86-64-v4") or the
  /// compiling host's model ("sapphirerapids").
  std::string cpu;
  /// The CPU features the code needs, as named in docs/artifact.md
  /// ("avx2", "fma", "avx512f"); a loader checks them before running it.
  std::vector<std::string> features;
  /// LLVM feature switches ("+avx2", "-amx-tile") on top of the CPU's own:
  /// the host's as detected for the host; none for an ISA level.
  std::vector<std::string> llvmFeatures;
  /// The GEMM micro-kernels that suit it.
  GemmIsa gemmIsa = GemmIsa::Sse;
};

/// One compiled kernel module's machine code, one entry per target of the
/// executable that compiled it (the first: the code running here).
struct ModuleCode {
  std::vector<std::string> perTarget;
  /// True for linked shared objects, false for relocatable objects that
  /// still need linking.
  bool linked = false;
};

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_CPUCODE_H
