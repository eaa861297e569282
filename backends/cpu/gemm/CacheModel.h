//===- CacheModel.h - GEMM blocking from the CPU's caches -------*- C++ -*-===//
//
// The GEMM's cache blocking (mc, kc, nc: see Gemm.cpp) is chosen from the
// caches of the CPU it runs on, not from constants measured on one part.
// The CPU describes itself through cpuid (leaf 4 on Intel, 0x8000001D on
// AMD), with Linux's /sys/devices/system/cpu/cpu0/cache as a second source;
// the rules that turn sizes into block sizes are pure functions, so tests
// pin them on described CPUs. docs/performance.md, "Tuning from the CPU",
// explains each rule. No LLVM here: the runtime-only plugin links it.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_GEMM_CACHEMODEL_H
#define NNC_BACKENDS_CPU_GEMM_CACHEMODEL_H

#include <cstdint>
#include <string>

namespace nnc::cpu {

/// A CPU's data caches as one core sees them; 0 where unknown.
struct CpuCaches {
  int64_t l1dBytes = 0;
  int64_t l2Bytes = 0;
  int64_t l3Bytes = 0;
  /// Logical CPUs that share one L3 (its slice per core is l3 / this).
  int l3SharedBy = 1;
  /// Where the sizes came from: "cpuid", "sysfs" or "defaults".
  std::string source;
};

/// The sizes assumed for a level nothing reports: those of the CPU the
/// blocking was first measured on (48 KiB L1d, 2 MiB L2).
CpuCaches defaultCaches();

/// The caches of the CPU this process runs on, read once: cpuid where it
/// reports them, else sysfs, else defaultCaches() for what neither says.
const CpuCaches &hostCaches();

/// Cache blocking of a GEMM with an mr x nr register tile.
struct GemmBlocking {
  int64_t mc = 0, kc = 0, nc = 0;
  /// The most elements of a B block read in place rather than packed.
  int64_t bInPlaceElements = 0;
};

/// The blocking `caches` call for with an `mr` x `nr` f32 tile:
///  - kc: a multiple of 64, as deep as lets one A micro-panel and one B
///    micro-panel of the widest tile (12 x 32, AVX-512) fit the L1d
///    together, in [128, 512]; the same for every tile, so that code for
///    any ISA sums each element in the same order;
///  - mc: a multiple of mr whose packed A block (mc x kc) takes at most
///    3/16 of the L2, so B's micro-panels and C's tiles stream past it;
///  - nc: a multiple of nr whose packed B block (kc x nc) fits the L2;
///  - bInPlaceElements: a B block that takes at most a third of the L1d
///    stays there whatever its layout, so packing it buys nothing (the
///    batched products of attention: a 32 x 64 B per matrix).
/// Unknown sizes (0) count as defaultCaches()'s.
GemmBlocking gemmBlockingFor(const CpuCaches &caches, int mr, int nr);

/// "L1d 48 KiB, L2 2048 KiB, L3 105 MiB / 56 (cpuid)".
std::string describeCaches(const CpuCaches &caches);

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_GEMM_CACHEMODEL_H
