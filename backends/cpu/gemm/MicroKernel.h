//===- MicroKernel.h - GEMM micro-kernel contract (internal) ----*- C++ -*-===//
//
// What the packing driver (Gemm.cpp) and the kernel generators
// (MicroKernelJit.cpp, the portable kernels in Gemm.cpp) agree on. Not part
// of the public interface.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_GEMM_MICROKERNEL_H
#define NNC_BACKENDS_CPU_GEMM_MICROKERNEL_H

#include "backends/cpu/gemm/Gemm.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace nnc::cpu::detail {

/// Computes a tile of at most mr x nr elements of C:
///   acc[r][j] = sum_{p < k, in order} a[p * MR + r] * b[p * ldb + j]
///   c[r * ldc + j] = accumulate ? c[r * ldc + j] + acc[r][j] : acc[r][j]
/// for r below the kernel's row count and j < nCols (nCols == NR for the
/// full kernels, which read NR columns of b; the masked ones read only
/// j < nCols). `a` is a packed panel of MR floats per k step (rows past the
/// kernel's row count are not read); `b` is either a packed panel (ldb ==
/// NR) or B itself (ldb its leading dimension). Each sum starts from +0 and
/// adds the products one k step at a time, with a fused multiply-add where
/// the ISA has one, so an element's value does not depend on which tile or
/// kernel variant computed it.
using MicroKernelFn = void (*)(int64_t k, const float *a, const float *b,
                               int64_t ldb, float *c, int64_t ldc,
                               int64_t nCols, int64_t accumulate);

/// The largest register tile height any generator produces.
constexpr int kMaxMr = 16;

/// One kernel per row count: full[r - 1] computes r rows by NR columns,
/// masked[r - 1] r rows by nCols < NR columns.
struct MicroKernelSet {
  int mr = 0;
  int nr = 0;
  MicroKernelFn full[kMaxMr] = {};
  MicroKernelFn masked[kMaxMr] = {};
};

/// Overrides of the default tile and blocking, for tuning; zero keeps the
/// default.
struct GemmTuning {
  int rows = 0;   ///< MR, up to kMaxMr.
  int unroll = 0; ///< k steps per main-loop iteration; a power of two.
  int64_t mc = 0, kc = 0, nc = 0;
};

/// The symbol of the micro-kernel for `rows` rows, full or column-masked,
/// in JIT sessions and in compiled artifacts' code alike.
inline std::string microKernelSymbol(unsigned rows, bool masked) {
  return "nnc_gemm_uk_" + std::to_string(rows) + (masked ? "_masked" : "");
}

/// The plain C++ kernels (no code generation).
MicroKernelSet portableMicroKernels();

/// `set` with the cache blocking that suits it; `target` names the ISA
/// ("avx512 (sapphirerapids)") and starts the description.
std::shared_ptr<GemmKernels> assembleGemmKernels(const MicroKernelSet &set,
                                                 const std::string &target,
                                                 const GemmTuning &tuning);

/// Kernels whose micro-kernels are the symbols `lookup` finds in code
/// loaded at run time (an mr x nr tile of the ISA `target`); `owner`
/// keeps that code loaded. Null with *error set when a symbol is missing
/// or the tile is out of range.
std::shared_ptr<const GemmKernels>
gemmKernelsFromSymbols(const std::string &target, int mr, int nr,
                       const std::function<void *(const std::string &)> &lookup,
                       std::shared_ptr<void> owner, std::string *error);

/// `isa`, or for GemmIsa::Host the best one this CPU runs.
GemmIsa resolveHostIsa(GemmIsa isa);

/// Like createGemmKernels, with the defaults overridden by `tuning`.
std::shared_ptr<const GemmKernels>
createTunedGemmKernels(GemmIsa isa, const GemmTuning &tuning,
                       std::string *error);

/// Generates, JIT-compiles and returns the micro-kernels for `isa` (not
/// Portable) on the host. `owner` keeps the compiled code alive; `cpuName`
/// receives the CPU the code was compiled for. Returns false with a message
/// in *error when the host lacks the ISA or code generation fails.
bool jitMicroKernels(GemmIsa isa, const GemmTuning &tuning, MicroKernelSet &set,
                     std::shared_ptr<void> &owner, std::string &cpuName,
                     std::string *error);

} // namespace nnc::cpu::detail

namespace nnc::cpu {

struct GemmKernels {
  std::string description;
  detail::MicroKernelSet kernels;
  /// Cache blocking: rows of packed A (L2), depth of a packed panel, columns
  /// of packed B. mc is a multiple of mr, nc of nr.
  int64_t mc = 0, kc = 0, nc = 0;
  /// A B block of at most this many elements is read in place, not packed
  /// (GemmBlocking::bInPlaceElements); 0: every B with many rows is packed.
  int64_t bInPlaceElements = 0;
  /// Up to this many row tiles, a block reads a non-transposed B whose
  /// rows are less than a page apart in place instead of packing it
  /// (Gemm.cpp); measured for the host CPU by tuneForHost (GemmAutotune.h).
  /// The default is what an AMD EPYC (Zen 5) measured.
  int64_t bInPlaceRowTiles = 6;
  /// The host runs AVX-512 and the kernels use it (packing may too).
  bool avx512 = false;
  /// What the micro-kernels were generated for, e.g. "avx512 (znver5)".
  std::string target;
  /// Keeps JIT-compiled code alive; null for the portable kernels.
  std::shared_ptr<void> owner;
};

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_GEMM_MICROKERNEL_H
