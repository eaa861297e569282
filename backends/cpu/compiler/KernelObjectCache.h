//===- KernelObjectCache.h - Compiled kernels on disk -----------*- C++ -*-===//
//
// The cpu backend's on-disk cache of object code: one file per compiled
// kernel module under $XDG_CACHE_HOME/nnc/cpu (else ~/.cache/nnc/cpu), named
// by a SHA-256 of everything the code depends on, holding the object file
// behind a SHA-256 of its bytes. An entry that fails its checksum is
// reported as damaged and never returned. The host turns it off for a
// compile (`--no-cache`, the compile options extension); NNC_NO_CACHE=1
// turns it off for every compile of the process. NNC_CPU_CACHE_LOG=1 logs hits,
// misses and damaged entries to stderr.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_COMPILER_KERNELOBJECTCACHE_H
#define NNC_BACKENDS_CPU_COMPILER_KERNELOBJECTCACHE_H

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace nnc::cpu {

/// The GNU build ID of the library holding this code (the cpu plugin), in
/// hex; empty when the linker wrote none. Cache keys include it, so that a
/// rebuilt plugin (a changed lowering, a new op) never reads objects an
/// earlier build compiled.
const std::string &pluginBuildId();

/// The on-disk cache, bound to one key; inert when disabled or when no
/// cache folder can be found.
class KernelObjectCache {
public:
  /// `keyText` is hashed into the entry's name; `enabled` false (or
  /// NNC_NO_CACHE=1) makes the cache inert.
  KernelObjectCache(llvm::StringRef keyText, bool enabled);

  /// The cached object file, or nullopt on a miss, a damaged entry (which
  /// is then logged and later overwritten by store) or a disabled cache.
  std::optional<std::string> load();

  /// Writes `object` for the key (atomically: a temporary then a rename);
  /// failures are ignored, the cache being an optimisation.
  void store(llvm::StringRef object);

  /// Logs that a loaded entry could not be linked (so it is rebuilt).
  void reportUnusable();

  bool enabled() const { return !path.empty(); }

private:
  std::string path;
  std::string name;
};

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_COMPILER_KERNELOBJECTCACHE_H
