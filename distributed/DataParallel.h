//===- DataParallel.h - Training over the ranks of an MPI job ---*- C++ -*-===//
//
// Data-parallel training (`mpirun -np N nnc train MODEL.nn --distributed`)
// as a plug-in of the trainer: every rank runs the same training loop with
// the step split at its gradients (train/SplitStep.h), and this class
// gives each rank what makes the loops one job:
//
//  - at the start, a check that every rank trains the same model on the
//    same data with the same settings, and rank 0's parameters, optimizer
//    state and position for all;
//  - the gradient exchange the loop's hooks carry (BucketedAllReduce.h):
//    each rank computes its share of every global batch, and the
//    gradients are summed over the ranks while the backward pass runs, so
//    every rank applies the same update;
//  - the hooks of each rank: rank 0 reports, evaluates and writes; the
//    others run the step hooks alone;
//  - at the end, or on a failure that leaves ranks waiting, ending the job.
//
// docs/distributed.md describes the design, its tolerance against one
// process, and its cost model.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DISTRIBUTED_DATAPARALLEL_H
#define NNC_DISTRIBUTED_DATAPARALLEL_H

#include "distributed/BucketedAllReduce.h"
#include "distributed/Communicator.h"

#include "train/TrainOptions.h"
#include "train/TrainingHooks.h"
#include "train/TrainingState.h"

#include "runtime/BatchIterator.h"
#include "runtime/Dataset.h"

#include <memory>
#include <optional>
#include <string>

namespace nnc::dist {

class DataParallel {
public:
  /// Joins the MPI job. Fails when the job cannot be joined (also when nnc
  /// was built without MPI: builtWithMpi). `options.bucketMb` and
  /// `options.commTimeoutSeconds` must be positive.
  static rt::Expected<std::unique_ptr<DataParallel>>
  join(const train::DistributedOptions &options);
  ~DataParallel();

  int rank() const { return communicator->rank(); }
  int ranks() const { return communicator->size(); }
  bool isRoot() const { return rank() == 0; }

  /// This rank's hooks, with the job's gradient exchange: the caller's on
  /// rank 0; on the others only the step hooks (afterGradients,
  /// beforeUpdate, whose errors then name the rank, stopRequested and
  /// onRequestedStop), and onJobAbort, and no outputs
  /// (TrainingHooks::writesOutputs): rank 0 alone reports, evaluates and
  /// writes.
  train::TrainingHooks hooksOf(const train::TrainingHooks &caller);

  /// Checks that every rank trains the same model on the same data with
  /// the same settings, by comparing `fingerprint`s (jobFingerprint). On a
  /// mismatch every rank fails, with a line (rendered, "error: ...") for
  /// each rank that differs; a collective that fails breaks the job.
  rt::Error checkSameJob(const std::string &fingerprint);
  /// Gives every rank rank 0's parameters, buffers, optimizer state,
  /// counters and data position.
  rt::Error shareRootState(train::TrainingState &state,
                           std::optional<rt::BatchIteratorState> &position);

  /// True once a collective of the start-up failed: the other ranks may
  /// wait, so the caller ends the job (abortJob).
  bool broken() const { return brokenJob && ranks() > 1; }

  /// How much of the communication the backward pass hid, one line; empty
  /// for a job of one process or before the second step.
  std::string summary() const;

  /// Ends every rank of the job with exit code 1, after this rank printed
  /// why.
  [[noreturn]] void abortJob();

private:
  DataParallel() = default;

  std::unique_ptr<Communicator> communicator;
  std::unique_ptr<BucketedAllReduce> allReduce;
  bool brokenJob = false;
};

/// A fingerprint of what every rank must agree on: the model file, the
/// run's `settings` (RunSettings.h) and `seed`, the other options that
/// shape its steps, and the `data`.
std::string jobFingerprint(const train::TrainOptions &options,
                           const train::RunSettings &settings, uint64_t seed,
                           const rt::Dataset &data);

} // namespace nnc::dist

#endif // NNC_DISTRIBUTED_DATAPARALLEL_H
