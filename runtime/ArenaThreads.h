//===- ArenaThreads.h - The threads a parallel loop here can use -*- C++ -*-===//
//
// The executor gives a kernel that asks for one run per thread as many runs
// as this says when it is created, and a kernel that splits its own work
// across the threads splits it by this when it runs: the same count either
// way, so that their choices agree.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_ARENATHREADS_H
#define NNC_RUNTIME_ARENATHREADS_H

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cstdint>

namespace nnc::rt {

/// The slots of the task arena the caller runs in (rt::Session's cap), or
/// fewer under a tbb::global_control cap; at least 1.
inline int64_t arenaThreads() {
  return std::max<int64_t>(
      1, std::min<int64_t>(
             tbb::this_task_arena::max_concurrency(),
             static_cast<int64_t>(tbb::global_control::active_value(
                 tbb::global_control::max_allowed_parallelism))));
}

} // namespace nnc::rt

#endif // NNC_RUNTIME_ARENATHREADS_H
