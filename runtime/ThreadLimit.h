//===- ThreadLimit.h - The most threads a run may ask for -------*- C++ -*-===//
//
// oneTBB aborts the process when asked for a huge thread count (past about
// 65536), so every way in refuses counts above this one, far past any
// machine: the --threads flag of nnc and of nnc-run (parsed here, so both
// accept exactly the same text) and the C++ and Python APIs. Plain C++:
// nnc-run parses its flags by hand and links no LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_THREADLIMIT_H
#define NNC_RUNTIME_THREADLIMIT_H

#include <cstdlib>
#include <string>

namespace nnc::rt {

/// The most threads a session runs on; 0 means every core.
inline constexpr unsigned kMaxThreads = 4096;

/// What an API's refused count gets, after the name of what set it:
/// "threads must be from 0 to 4096, got 100000".
inline std::string threadLimitMessage(const std::string &given) {
  return "must be from 0 to " + std::to_string(kMaxThreads) + ", got " + given;
}
inline std::string threadLimitMessage(unsigned long long threads) {
  return threadLimitMessage(std::to_string(threads));
}

/// What a refused `--threads` value gets, after the flag's name:
/// "--threads expects a number from 0 to 4096, got '-1'".
inline std::string threadsFlagRequirement(const std::string &text) {
  return "expects a number from 0 to " + std::to_string(kMaxThreads) +
         ", got '" + text + "'";
}

/// Parses a `--threads` value, a whole decimal number in [0, kMaxThreads],
/// into `threads`; false (and `threads` unchanged) for anything else: a
/// sign, spaces, a suffix.
inline bool parseThreadsFlag(const std::string &text, unsigned &threads) {
  if (text.empty() || text.size() > 4 ||
      text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  unsigned long value = std::strtoul(text.c_str(), nullptr, 10);
  if (value > kMaxThreads)
    return false;
  threads = static_cast<unsigned>(value);
  return true;
}

} // namespace nnc::rt

#endif // NNC_RUNTIME_THREADLIMIT_H
