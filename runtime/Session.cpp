//===- Session.cpp - What the graphs of one front end share ---------------===//

#include "runtime/Session.h"

#include <oneapi/tbb/info.h>

#include <cstdint>

namespace nnc::rt {

namespace {

/// `requested` threads (0: every core), at most the hardware's: oneTBB
/// runs no more workers than that, and an arena asking for more makes it
/// print a warning on every process's stderr.
int arenaThreads(unsigned requested) {
  int cores = tbb::info::default_concurrency();
  if (requested == 0 || static_cast<int64_t>(requested) >= cores)
    return tbb::task_arena::automatic;
  return static_cast<int>(requested);
}

} // namespace

Session::Session(SessionOptions options)
    : settings(options),
      arena(std::make_unique<tbb::task_arena>(arenaThreads(options.threads))) {
}

unsigned Session::threads() const {
  return static_cast<unsigned>(arena->max_concurrency());
}

CompileOptions
Session::compileOptions(const std::vector<std::string> &targetCpus) const {
  CompileOptions options;
  options.targetCpus = targetCpus;
  options.kernelCache = settings.kernelCache;
  return options;
}

} // namespace nnc::rt
