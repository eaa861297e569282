//===- DistributedTraining.h - One training run over many ranks -*- C++ -*-===//
//
// Data-parallel training (`mpirun -np N nnc train MODEL.nn --distributed`):
// every rank compiles the same split step (@train_grads, @train_apply),
// walks the same seeded sequence of global batches, and computes the
// gradients of its own shard of each. The gradients are averaged over the
// ranks in buckets while the backward pass runs (dist::GradientAllReducer),
// then every rank applies the same update, so the parameters stay equal
// everywhere without being sent again. Rank 0 alone reports and writes.
//
// docs/distributed.md describes the design, its tolerance against one
// process, and its cost model.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_DISTRIBUTEDTRAINING_H
#define NNC_TRAIN_DISTRIBUTEDTRAINING_H

#include "train/GraphSource.h"
#include "train/TrainOptions.h"
#include "train/TrainingHooks.h"
#include "train/TrainingState.h"

#include "distributed/Communicator.h"
#include "distributed/GradientAllReducer.h"

#include "runtime/BatchIterator.h"
#include "runtime/KernelProfiler.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nnc::train {

struct TrainingRun;

class DistributedTraining {
public:
  /// Joins the MPI job (or, without `options.enabled`, makes a job of this
  /// process alone, for gradient accumulation). `bufferNames` are the
  /// model's buffers (batch-norm statistics), averaged like gradients.
  /// Fails when the job cannot be joined (also when nnc was built without
  /// MPI: dist::builtWithMpi). `options.bucketMb` and
  /// `options.commTimeoutSeconds` must be positive.
  static rt::Expected<std::unique_ptr<DistributedTraining>>
  create(const DistributedOptions &options, SplitStepSource &graphs,
         std::vector<std::string> bufferNames);
  ~DistributedTraining();

  /// Compiles the update and checks that its gradients are f32; before
  /// update() and step().
  rt::Error prepareUpdate();

  /// True once a failure left the other ranks of the job waiting in a
  /// collective: the caller reports it and ends the job (abortJob). A
  /// diverged loss, which every rank sees alike, does not count, nor does
  /// any failure of a process training alone, which just returns it.
  bool needsAbort() const { return broken && ranks() > 1; }

  int rank() const { return communicator->rank(); }
  int ranks() const { return communicator->size(); }
  bool isRoot() const { return rank() == 0; }

  /// The compiled update, whose arguments name the optimizer state.
  CompiledGraph &update() { return *updateGraph; }

  /// Checks that every rank trains the same model on the same data with
  /// the same settings, by comparing `fingerprint`s. On a mismatch every
  /// rank fails, with a line (rendered, "error: ...") for each rank that
  /// differs.
  rt::Error checkSameJob(const std::string &fingerprint);

  /// Gives every rank rank 0's parameters, buffers, optimizer state,
  /// counters and data position.
  rt::Error shareRootState(TrainingState &state,
                           std::optional<rt::BatchIteratorState> &position);

  /// The gradients of this rank's shard of the global `batch`. A group of
  /// batches (one, or `--accumulate K`) makes one optimizer step: the
  /// gradients of its batches add up, and after its last (`groupEnd`)
  /// they are averaged over all its samples on every rank and applied,
  /// and the group's loss and accuracy are added to the state's epoch
  /// sums. `hooks`' afterGradients and beforeUpdate run on every rank
  /// between the averaging and the update.
  rt::Error step(TrainingRun &run, const rt::Batch &batch, bool groupStart,
                 bool groupEnd, const TrainingHooks &hooks);

  /// How much of the communication the backward pass hid, one line; empty
  /// for a job of one process or before the first step.
  std::string summary() const;

  /// Records the kernels of later steps (--profile, --trace, --report):
  /// this rank's gradient step at the shard of a full batch of `batch`
  /// into `gradients`, and the update into `update`. A last, smaller batch
  /// is not recorded, as with the fused step. Null profilers stop it.
  void recordProfiles(int64_t batch, rt::KernelProfiler *gradients,
                      rt::KernelProfiler *update);
  /// The gradient step recordProfiles records, once a step ran it; null
  /// before.
  CompiledGraph *profiledGradients() const { return profiledGraph; }
  /// This rank's samples of a global batch of `batch`.
  int64_t shardSize(int64_t batch) const;

  /// Ends every rank of the job with exit code 1, after this rank printed
  /// why.
  [[noreturn]] void abortJob();

private:
  DistributedTraining() = default;
  /// Lays the reduced values out (gradients, then buffers) and makes the
  /// reducer, once the buffers' types are known.
  rt::Error prepare(const TrainingState &state);
  /// `error` prefixed "rank R: " in a job of several ranks, where the one
  /// that failed must be named: a hook's error does not say.
  rt::Error namedByRank(rt::Error error) const;
  /// Marks the job as one the caller must end, and returns `error`.
  rt::Error breakJob(rt::Error error);
  /// Where `graph`'s results land, for the reducer; null: a rank without
  /// samples, which contributes nothing.
  rt::Expected<const dist::StepSources *> sourcesOf(CompiledGraph *graph,
                                                    bool direct);

  std::unique_ptr<dist::Communicator> communicator;
  SplitStepSource *graphs = nullptr;
  CompiledGraph *updateGraph = nullptr;
  size_t bucketBytes = 0;
  /// The reduced values in a fixed order, the same on every rank:
  /// gradients from the last parameter to the first (the order the
  /// backward pass produces them), then buffers.
  std::vector<std::string> gradientNames, bufferNames;
  std::unique_ptr<dist::GradientAllReducer> reducer;
  std::function<void(int64_t)> observer;
  /// The shapes of the reduced values, in layout order; the values
  /// themselves live in the reducer's buckets (valueData), where the first
  /// batch of a step writes them and the update reads their means.
  std::vector<rt::Shape> valueShapes;
  /// Per graph: where its results are read from, its own result tensors
  /// or (direct) the buckets.
  std::map<std::pair<CompiledGraph *, bool>, dist::StepSources> sources;
  dist::StepSources noSources;
  /// This rank's loss * samples, samples, correct, scored over the group.
  double groupSums[4] = {0, 0, 0, 0};
  bool broken = false;
  /// recordProfiles: the shard size recorded, and where.
  int64_t profiledShard = 0;
  rt::KernelProfiler *gradientProfiler = nullptr;
  CompiledGraph *profiledGraph = nullptr;
};

/// A fingerprint of what every rank must agree on: the model file, the
/// settings and the data.
std::string jobFingerprint(const TrainOptions &options, int64_t batch,
                           int64_t epochs, uint64_t seed, double lr,
                           const rt::Dataset &data);

} // namespace nnc::train

#endif // NNC_TRAIN_DISTRIBUTEDTRAINING_H
