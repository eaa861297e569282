//===- Session.cpp - What the graphs of one front end share ---------------===//

#include "runtime/Session.h"

#include <oneapi/tbb/info.h>

namespace nnc::rt {

Session::Session(SessionOptions options)
    : settings(options),
      arena(std::make_unique<tbb::task_arena>(
          options.threads > 0 ? static_cast<int>(options.threads)
                              : tbb::task_arena::automatic)) {}

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
