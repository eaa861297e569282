//===- ThreadsFlag.h - The --threads flag of nnc and nnc-run ----*- C++ -*-===//
//
// One definition of what `--threads N` accepts, for nnc's subcommands and
// for nnc-run, which parses its flags by hand and links no LLVM: so plain
// C++ only. The cap is the runtime's (runtime/ThreadLimit.h).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_THREADSFLAG_H
#define NNC_TOOLS_THREADSFLAG_H

#include "runtime/ThreadLimit.h"

#include <cstdlib>
#include <string>

namespace nnc::tools {

/// The most threads `--threads` accepts.
inline constexpr unsigned kMaxThreads = rt::kMaxThreads;

/// What a rejected `--threads` value gets, after the flag's name:
/// "--threads expects a number from 0 to 4096, got '-1'".
inline std::string threadsRequirement(const std::string &text) {
  return "expects a number from 0 to " + std::to_string(kMaxThreads) +
         ", got '" + text + "'";
}

/// Parses a whole decimal number in [0, kMaxThreads] into `threads`; false
/// (and `threads` unchanged) for anything else: a sign, spaces, a suffix.
inline bool parseThreads(const std::string &text, unsigned &threads) {
  if (text.empty() || text.size() > 4 ||
      text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  unsigned long value = std::strtoul(text.c_str(), nullptr, 10);
  if (value > kMaxThreads)
    return false;
  threads = static_cast<unsigned>(value);
  return true;
}

} // namespace nnc::tools

#endif // NNC_TOOLS_THREADSFLAG_H
