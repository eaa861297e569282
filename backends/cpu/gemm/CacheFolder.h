//===- CacheFolder.h - Where the cpu backend keeps what it reuses -*- C++
//-*-===//
//
// One folder for the cpu backend's files that outlive a process: compiled
// kernel objects (compiler/KernelObjectCache.h) and the GEMM's measured
// tuning (GemmAutotune.h). No LLVM here: the runtime-only plugin uses it.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_GEMM_CACHEFOLDER_H
#define NNC_BACKENDS_CPU_GEMM_CACHEFOLDER_H

#include <string>

namespace nnc::cpu {

/// $XDG_CACHE_HOME/nnc/cpu, else $HOME/.cache/nnc/cpu; empty if neither
/// variable is set.
std::string cpuCacheFolder();

/// NNC_NO_CACHE=1, the documented override that keeps the cpu backend off
/// the disk whatever its options say.
bool cacheDisabledByEnvironment();

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_GEMM_CACHEFOLDER_H
