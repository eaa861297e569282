//===- ProfileReport.h - --profile and --trace of the CLI -------*- C++ -*-===//
//
// What `nnc bench`, `nnc run` and `nnc train` show and write of a graph's
// profile (runtime/KernelProfiler.h), in one place, as text for the caller
// to show.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_PROFILEREPORT_H
#define NNC_TRAIN_PROFILEREPORT_H

#include "runtime/ExecutionPlan.h"
#include "runtime/KernelProfiler.h"
#include "runtime/PluginExecutable.h"

#include <memory>
#include <string>
#include <vector>

namespace nnc::train {

/// What to report of a profile: the table (--profile), the trace file
/// (--trace FILE.json), or neither.
struct ProfileRequest {
  bool table = false;
  std::string tracePath;

  bool any() const { return table || !tracePath.empty(); }
  /// The slices a profiler keeps for this request's trace.
  size_t traceSlices() const {
    return tracePath.empty() ? 0 : rt::KernelProfiler::kTraceSliceLimit;
  }
  /// A profiler for this request; null when it asks for none.
  std::unique_ptr<rt::KernelProfiler> makeProfiler() const {
    return any() ? std::make_unique<rt::KernelProfiler>(traceSlices())
                 : nullptr;
  }
};

/// The machine's fp32 FMA peak on `threads` threads in GFLOP/s, measured
/// on first use (runtime/FmaPeak.h); 0 on a CPU without AVX2 FMAs.
double machinePeakGflops(unsigned threads);

/// What the backend of `executable` says of each of its kernels
/// (PluginExecutable::kernelSummaries); none, with a warning added to
/// `warnings`, when it fails to say.
std::vector<std::string>
backendSummaries(const rt::PluginExecutable &executable,
                 std::vector<std::string> &warnings);

/// The profile of `plan`'s runs of `executable` on `threads` threads as
/// asked (the table headed by `what`, and "wrote the trace FILE" after
/// writing the trace named `modelName`), or the trace's write error.
/// Warnings (without "warning: ") go to `warnings`.
rt::Expected<std::string>
renderProfile(const ProfileRequest &request, const rt::KernelProfiler &profiler,
              const rt::ExecutionPlan &plan,
              const rt::PluginExecutable &executable, unsigned threads,
              const std::string &what, const std::string &modelName,
              std::vector<std::string> &warnings);

} // namespace nnc::train

#endif // NNC_TRAIN_PROFILEREPORT_H
