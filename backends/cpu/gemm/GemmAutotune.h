//===- GemmAutotune.h - GEMM choices measured on the CPU itself -*- C++ -*-===//
//
// Most of the GEMM's blocking follows from the CPU's caches (CacheModel.h).
// Up to how many row tiles reading B in place beats packing it does not: it
// depends on how fast a core streams strided rows of B from its caches
// against the cost of a pass that packs them, which no cpuid leaf reports.
// So it is measured once per CPU model and micro-kernel: a few products
// with a B shaped like a layer's weight (256 x 512, rows 2 KiB apart),
// packed and in place, at 3 to 8 row tiles. The answer is kept in the cpu
// cache folder (CacheFolder.h) and read from there by later processes.
// Both ways give the same bits, so only speed depends on the measurement.
// No LLVM here: the runtime-only plugin tunes the kernels it loads too.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_GEMM_GEMMAUTOTUNE_H
#define NNC_BACKENDS_CPU_GEMM_GEMMAUTOTUNE_H

#include "backends/cpu/gemm/Gemm.h"

#include <cstdint>
#include <string>

namespace nnc::cpu {

/// "AuthenticAMD family 26 model 2", from cpuid; "unknown" where there is
/// none.
std::string hostCpuModel();

/// The most row tiles (2 to 8) up to which reading B in place measured at
/// least as fast as packing it, at every count from 3 up: the best of a few
/// interleaved runs of each. Takes a few milliseconds.
int64_t measureInPlaceRowTiles(const GemmKernels &kernels);

/// What the tuning file in `folder` records for this CPU model and these
/// kernels; when it has no valid record (or `folder` is empty), measures
/// now and, with a folder, records the answer there (written to a
/// temporary file and renamed, so readers never see half a record).
int64_t inPlaceRowTilesRecordedIn(const std::string &folder,
                                  const GemmKernels &kernels);

/// Sets `kernels`' choice for this CPU and adds it to its description:
/// what the record in the cpu cache folder says, when `diskCache` allows
/// the folder (and NNC_NO_CACHE is not 1), else measured in this process.
/// Each kernel set is tuned once per process, by its first call.
void tuneForHost(GemmKernels &kernels, bool diskCache);

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_GEMM_GEMMAUTOTUNE_H
