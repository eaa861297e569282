//===- DistributedTraining.h - One training run over many ranks -*- C++ -*-===//
//
// Data-parallel training (`mpirun -np N nnc train MODEL.nn --distributed`):
// every rank compiles the same split step (@train_grads, @train_apply),
// walks the same seeded sequence of global batches, and computes the
// gradients of its own shard of each. The gradients are averaged over the
// ranks in buckets while the backward pass runs (dist::GradientAllReducer),
// then every rank applies the same update, so the parameters stay equal
// everywhere without being sent again. Rank 0 alone prints and writes.
//
// docs/distributed.md describes the design, its tolerance against one
// process, and its cost model.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_DISTRIBUTEDTRAINING_H
#define NNC_TRAIN_DISTRIBUTEDTRAINING_H

#include "train/ExitCode.h"
#include "train/GraphSource.h"
#include "train/TrainOptions.h"
#include "train/TrainingState.h"

#include "distributed/Communicator.h"
#include "distributed/GradientAllReducer.h"

#include "runtime/BatchIterator.h"

#include "llvm/Support/raw_ostream.h"

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
  /// process alone, for gradient accumulation) and compiles the update.
  /// `bufferNames` are the model's buffers (batch-norm statistics),
  /// averaged like gradients. Prints a one-line error and returns null on
  /// failure; `code` is then the exit code (2 when nnc was built without
  /// MPI).
  static std::unique_ptr<DistributedTraining>
  create(const DistributedOptions &options, SplitStepSource &graphs,
         std::vector<std::string> bufferNames, ExitCode &code);
  ~DistributedTraining();

  int rank() const { return communicator->rank(); }
  int ranks() const { return communicator->size(); }
  bool isRoot() const { return rank() == 0; }

  /// The compiled update, whose arguments name the optimizer state.
  CompiledGraph &update() { return *updateGraph; }

  /// Checks that every rank trains the same model on the same data with
  /// the same settings, by comparing `fingerprint`s. On a mismatch every
  /// rank prints which rank differs and returns false.
  bool checkSameJob(const std::string &fingerprint);

  /// Gives every rank rank 0's parameters, buffers, optimizer state,
  /// counters and data position.
  void shareRootState(TrainingState &state,
                      std::optional<rt::BatchIteratorState> &position);

  /// The gradients of this rank's shard of the global `batch`. A group of
  /// batches (one, or `--accumulate K`) makes one optimizer step: the
  /// gradients of its batches add up, and after its last (`groupEnd`)
  /// they are averaged over all its samples on every rank and applied,
  /// and the group's loss and accuracy are added to the state's epoch
  /// sums. On failure prints the error and ends the job.
  bool step(TrainingRun &run, const rt::Batch &batch, bool groupStart,
            bool groupEnd);

  /// How much of the communication the backward pass hid.
  void printSummary(llvm::raw_ostream &os) const;

  /// Ends every rank of the job with exit code 1, after this rank printed
  /// why.
  [[noreturn]] void abortJob();

private:
  DistributedTraining() = default;
  /// Lays the reduced values out (gradients, then buffers) and makes the
  /// reducer, once the buffers' types are known.
  void prepare(const TrainingState &state);
  /// Where `graph`'s results land, for the reducer; null: a rank without
  /// samples, which contributes nothing.
  const dist::StepSources &sourcesOf(CompiledGraph *graph);
  const std::vector<rt::Tensor> &shardOf(const rt::Batch &batch, int64_t begin,
                                         int64_t count);

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
  /// The averages, in layout order, which the update reads.
  std::vector<rt::Tensor> averages;
  std::map<CompiledGraph *, dist::StepSources> sources;
  dist::StepSources noSources;
  std::map<int64_t, std::vector<rt::Tensor>> shards;
  /// This rank's loss * samples, samples, correct, scored over the group.
  double groupSums[4] = {0, 0, 0, 0};
};

/// A fingerprint of what every rank must agree on: the model file, the
/// settings and the data.
std::string jobFingerprint(const TrainOptions &options, int64_t batch,
                           int64_t epochs, uint64_t seed, double lr,
                           const rt::Dataset &data);

} // namespace nnc::train

#endif // NNC_TRAIN_DISTRIBUTEDTRAINING_H
