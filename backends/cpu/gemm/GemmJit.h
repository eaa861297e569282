//===- GemmJit.h - GEMM micro-kernels compiled with LLVM --------*- C++ -*-===//
//
// The compiler side of the GEMM: micro-kernels generated as LLVM IR, either
// JIT-compiled into this process or emitted as an object file for another
// CPU (what a compiled artifact carries). Links LLVM; the runtime side
// (Gemm.h, Conv2d.h) does not.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_GEMM_GEMMJIT_H
#define NNC_BACKENDS_CPU_GEMM_GEMMJIT_H

#include "backends/cpu/gemm/Gemm.h"

#include <memory>
#include <string>
#include <vector>

namespace nnc::cpu {

/// The kernels for this process's CPU, JIT-compiled on the first call
/// (tens of milliseconds; thread-safe) and kept until the process exits.
/// Never fails: if code generation fails it falls back to the portable C++
/// kernels, and gemmKernelsDescription() says so.
const GemmKernels &hostGemm();

/// hostGemm() with the choices measured on this CPU (GemmAutotune.h): the
/// kernels compiled graphs run. `diskCache` false keeps the measurement's
/// record off the disk, as --no-cache does for kernels; the first call
/// decides, and every call returns the same kernels. hostGemm() itself
/// keeps the default, so that tests and benchmarks see fixed blocking.
const GemmKernels &tunedHostGemm(bool diskCache);

/// Builds kernels for an explicit ISA (for tests and benchmarks). Returns
/// null and sets *error when the host cannot run that ISA or the JIT fails.
/// The object owns its JIT-compiled code; destroy it only when no gemm call
/// uses it any more.
std::shared_ptr<const GemmKernels> createGemmKernels(GemmIsa isa,
                                                     std::string *error);

/// Position-independent micro-kernels for another CPU, as an ELF object.
struct MicroKernelObject {
  std::string object;
  /// The ISA name ("avx512", "avx2", "sse") and the register tile.
  std::string isa;
  int mr = 0, nr = 0;
};

/// Generates the micro-kernels of `isa` (not Host or Portable) and compiles
/// them for the LLVM CPU `cpu` with the feature switches `features`
/// ("+avx2", ...; empty: the CPU's own). The symbols are named by detail::microKernelSymbol. Returns
/// false with a message in *error when code generation fails.
bool compileMicroKernelObject(GemmIsa isa, const std::string &cpu,
                              const std::vector<std::string> &features,
                              MicroKernelObject &result, std::string *error);

/// The ISA hostGemm() picked for this CPU (never Host).
GemmIsa hostGemmIsa();

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_GEMM_GEMMJIT_H
