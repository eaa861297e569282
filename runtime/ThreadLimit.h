//===- ThreadLimit.h - The most threads a run may ask for -------*- C++ -*-===//
//
// oneTBB aborts the process when asked for a huge thread count (past about
// 65536), so every way in (the --threads flag of nnc and nnc-run, the C++
// and Python APIs) refuses counts above this one, far past any machine.
// Plain C++, for nnc-run's hand-written flag parsing.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_THREADLIMIT_H
#define NNC_RUNTIME_THREADLIMIT_H

#include <string>

namespace nnc::rt {

/// The most threads a session runs on; 0 means every core.
inline constexpr unsigned kMaxThreads = 4096;

/// What a refused count gets, after the name of what set it:
/// "threads must be from 0 to 4096, got 100000".
inline std::string threadLimitMessage(unsigned long long threads) {
  return "must be from 0 to " + std::to_string(kMaxThreads) + ", got " +
         std::to_string(threads);
}

} // namespace nnc::rt

#endif // NNC_RUNTIME_THREADLIMIT_H
