//===- TrainingProfile.h - What a training run's kernels cost ---*- C++ -*-===//
//
// --profile, --trace and the report page's kernel table for one training
// run. The fused step is recorded over the whole run; a split step
// (--distributed, --accumulate, a gradient hook) records its two graphs:
// this process's gradient step at its share of a full batch, and the
// update.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_TRAININGPROFILE_H
#define NNC_TRAIN_TRAININGPROFILE_H

#include "train/CompiledGraph.h"
#include "train/ProfileReport.h"
#include "train/SplitStep.h"
#include "train/TrainingHooks.h"

#include "runtime/KernelProfiler.h"

#include <optional>
#include <string>

namespace nnc::train {

/// Records a training run's kernels as --profile, --trace and --report ask,
/// and shows them at its end, or at its failure.
class TrainingProfile {
public:
  /// Records the steps of batch `batch` when `record`: those of `fullStep`
  /// (the fused step), else of `split`. `request` says what to show at the
  /// end; tables go to hooks.onMessage, warnings to hooks.onWarning.
  TrainingProfile(bool record, CompiledGraph *fullStep, SplitStep *split,
                  int64_t batch, const ProfileRequest &request,
                  unsigned threads, const TrainingHooks &hooks);
  /// A run that fails (a diverged loss, a full disk) still reports the
  /// profile of the steps it ran, and leaves no graph recording into a
  /// profiler that ends with it.
  ~TrainingProfile();
  TrainingProfile(const TrainingProfile &) = delete;
  TrainingProfile &operator=(const TrainingProfile &) = delete;

  /// What the profile covers, as the table's and the report's headings
  /// say: "the training steps of batch 32", "the gradient steps of ...".
  const std::string &what() const { return covered; }

  /// The kernel table of the steps recorded so far, for the report page;
  /// none when nothing is recorded or no step ran yet.
  std::optional<rt::GraphProfile> summary() const;

  /// Stops recording and shows what the request asks (the tables, the
  /// trace), once; later calls do nothing.
  rt::Error report();

private:
  /// The step whose kernels `gradients` records; null until one ran.
  CompiledGraph *profiledStep() const;
  rt::Error render(const ProfileRequest &request,
                   const rt::KernelProfiler &records, CompiledGraph &graph,
                   const std::string &heading) const;
  void warn(const std::vector<std::string> &warnings) const;

  CompiledGraph *fullStep;
  SplitStep *split;
  int64_t batch;
  ProfileRequest request;
  unsigned threads;
  const TrainingHooks &hooks;
  std::string covered;
  /// The fused step, or the split step's gradients; and its update.
  std::optional<rt::KernelProfiler> gradients, update;
  bool reported = false;
};

} // namespace nnc::train

#endif // NNC_TRAIN_TRAININGPROFILE_H
