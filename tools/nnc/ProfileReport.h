//===- ProfileReport.h - --profile and --trace of the CLI -------*- C++ -*-===//
//
// What `nnc bench` and `nnc train` print and write of a graph's profile
// (runtime/KernelProfiler.h), in one place.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_PROFILEREPORT_H
#define NNC_TOOLS_PROFILEREPORT_H

#include "tools/nnc/ExitCode.h"

#include "runtime/ExecutionPlan.h"
#include "runtime/KernelProfiler.h"

#include "llvm/Support/raw_ostream.h"

#include <string>

namespace nnc::cli {

/// What to report of a profile: the table (--profile), the trace file
/// (--trace FILE.json), or neither.
struct ProfileRequest {
  bool table = false;
  std::string tracePath;

  bool any() const { return table || !tracePath.empty(); }
};

/// Prints the profile of `plan`'s runs on `threads` threads to `os` (as
/// asked), headed by `what`, and writes the trace named `modelName`.
/// Fails, with a one-line error, when the trace cannot be written.
ExitCode reportProfile(const ProfileRequest &request,
                       const rt::KernelProfiler &profiler,
                       const rt::ExecutionPlan &plan, unsigned threads,
                       const std::string &what, const std::string &modelName,
                       llvm::raw_ostream &os);

} // namespace nnc::cli

#endif // NNC_TOOLS_PROFILEREPORT_H
