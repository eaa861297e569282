//===- FmaPeak.h - The machine's measured FMA peak --------------*- C++ -*-===//
//
// What "% of peak" means in nnc's profiles and benchmarks: the fp32 FMA
// throughput this machine reaches now, measured, not a constant of one CPU
// model (a fixed 168 GFLOP/s per core printed 126% of peak on a Zen 5).
// Each thread runs 12 independent chains of vector FMAs, enough to cover a
// 4-cycle latency on two FMA pipes and few enough that AVX2's 16 registers
// hold them, for a fixed wall time; threads start together, each pinned to
// a CPU of its own where the process may use several, and the best of a
// few runs counts.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_FMAPEAK_H
#define NNC_RUNTIME_FMAPEAK_H

#include <optional>
#include <string>

namespace nnc::rt {

/// The vector FMAs a peak is measured with.
enum class FmaIsa { Avx512, Avx2 };

/// The widest FMA the CPU runs; nullopt when it has neither AVX-512F nor
/// AVX2 with FMA.
std::optional<FmaIsa> widestFmaIsa();

/// Whether the CPU runs `isa`'s FMAs.
bool supportsFmaIsa(FmaIsa isa);

/// "avx512" or "avx2".
std::string fmaIsaName(FmaIsa isa);

/// fp32 lanes of one vector: 16 or 8.
int fmaLanes(FmaIsa isa);

/// GFLOP/s (2 per lane per FMA) summed over `threads` threads running
/// `isa`'s FMAs at once for `seconds` each; the best of `repeats` runs.
/// `isa` must be supported.
double measureFmaGflops(FmaIsa isa, unsigned threads, double seconds,
                        int repeats);

} // namespace nnc::rt

#endif // NNC_RUNTIME_FMAPEAK_H
