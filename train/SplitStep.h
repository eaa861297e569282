//===- SplitStep.h - The training step split at its gradients ---*- C++ -*-===//
//
// The fused training step computes the gradients and applies the update in
// one graph. Three things need the gradients between the two, so they run
// the step split in two graphs (@train_grads, then @train_apply):
//
//  - a hook on the gradients (TrainingHooks::afterGradients), which may
//    read or change them;
//  - gradient accumulation (--accumulate K), whose K batches add their
//    gradients before one update;
//  - data parallelism, whose processes sum their gradients
//    (TrainingHooks::exchange, GradientExchange.h).
//
// The gradients of a batch are written straight into one array of values
// (GradientExchange.h has its layout), weighted by what the batch's loss
// is a mean over, where batches differ in it: its samples, or for a
// cross-entropy with ignore_index its scored positions, so that a group
// (or the processes' shares) make the step one batch of all would. As the
// backward pass finishes each value, the exchange may start sending it.
// After the group's last batch the gradients are divided by the group's
// weight, the batch-norm statistics by its samples, the hooks run, the
// averaged statistics replace the process's own, and the update runs.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_SPLITSTEP_H
#define NNC_TRAIN_SPLITSTEP_H

#include "train/GradientExchange.h"
#include "train/GraphSource.h"
#include "train/TrainingHooks.h"
#include "train/TrainingState.h"

#include "runtime/BatchIterator.h"
#include "runtime/KernelProfiler.h"

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace nnc::train {

class SplitStep {
public:
  /// Steps made from `graphs`, their values exchanged by `exchange` (null:
  /// this process trains alone). `bufferNames` are the model's buffers
  /// (batch-norm statistics), averaged like gradients.
  SplitStep(SplitStepSource &graphs, std::vector<std::string> bufferNames,
            GradientExchange *exchange);

  /// Compiles the update and checks that its gradients are f32; before
  /// step().
  rt::Error prepareUpdate();
  /// The compiled update, whose arguments name the optimizer state.
  CompiledGraph &update() { return *updateGraph; }

  /// The gradients of this process's share of `batch`. A group of batches
  /// (one, or `--accumulate K`) makes one optimizer step: the gradients of
  /// its batches add up, and after its last (`groupEnd`) they are averaged
  /// over all its samples (of every process), `hooks`' afterGradients and
  /// beforeUpdate run, and the update is applied. The group's loss and
  /// accuracy are added to the state's epoch sums.
  rt::Error step(TrainingState &state, const rt::Batch &batch, bool groupStart,
                 bool groupEnd, const TrainingHooks &hooks);

  /// True after step() failed partway: with an exchange, the other
  /// processes may wait for this one in a collective, so a data-parallel
  /// job must end them. A diverged loss, which every process sees alike
  /// (their sums are the same), does not count.
  bool failedMidStep() const { return brokenStep; }
  /// True after step() failed on a diverged loss.
  bool diverged() const { return lossDiverged; }
  /// Whether the optimizer step that just ended is the run's last: true
  /// when `hooks.stopRequested` said so on this process or, with an
  /// exchange, on any process. The answers travel with the step's loss
  /// sums, so every process of a job stops after the same step.
  bool stopAsked() const { return stopVoted; }

  /// This process's samples of a batch of `batch`.
  int64_t shareSize(int64_t batch) const;
  /// How many processes share each batch.
  int processes() const { return exchange ? exchange->processes() : 1; }

  /// Records the kernels of later steps (--profile, --trace, --report):
  /// the gradient step at this process's share of a full batch of `batch`
  /// into `gradients`, and the update into `update`. A last, smaller batch
  /// is not recorded, as with the fused step. Null profilers stop it.
  void recordProfiles(int64_t batch, rt::KernelProfiler *gradients,
                      rt::KernelProfiler *update);
  /// The gradient step recordProfiles records, once a step ran it; null
  /// before.
  CompiledGraph *profiledGradients() const { return profiledGraph; }

private:
  /// Where one gradient step's values come from.
  struct Sources {
    /// Per value: the step's result it is, and the kernel that writes it
    /// into the caller's buffer (-1: the executor copies it there after
    /// the last kernel).
    std::vector<size_t> results;
    std::vector<int64_t> writers;
    /// Per kernel: the values it makes final.
    std::vector<std::vector<size_t>> finishes;
  };

  /// Lays the values out (gradients, then buffers), once the buffers'
  /// types are known.
  rt::Error prepare(const TrainingState &state);
  rt::Expected<const Sources *> sourcesOf(CompiledGraph &graph);
  float *valueData(size_t v) { return values.data() + offsets[v]; }
  rt::TensorView valueView(size_t v);
  /// Makes value v final for the step under way: weights what the step
  /// wrote in place, or adds (accumulating) the graph's own result, then
  /// hands it to the exchange. Once per value, by whichever thread gets
  /// there first.
  void finish(size_t v);
  void kernelDone(int64_t kernel);
  rt::Error runStep(TrainingState &state, const rt::Batch &batch,
                    bool groupStart, bool groupEnd, const TrainingHooks &hooks);
  /// The update of the step, from the averaged values.
  rt::Error applyUpdate(TrainingState &state, const TrainingHooks &hooks);

  SplitStepSource &graphs;
  GradientExchange *exchange;
  CompiledGraph *updateGraph = nullptr;
  /// The values in a fixed order, the same on every process: gradients
  /// from the last parameter to the first (the order the backward pass
  /// produces them), then buffers.
  std::vector<std::string> gradientNames, bufferNames;
  std::vector<rt::Shape> shapes;
  std::vector<size_t> counts, offsets;
  std::vector<float> values;
  bool prepared = false;
  std::map<CompiledGraph *, Sources> sources;

  // The batch under way.
  CompiledGraph *running = nullptr;
  const Sources *runningSources = nullptr;
  /// What the batch's gradients (its samples, or a cross-entropy's scored
  /// positions) and its batch-norm statistics (its samples) are weighted
  /// by; 1 for a group of one batch in equal shares.
  float weight = 1, bufferWeight = 1;
  bool accumulating = false, exchanging = false;
  std::vector<std::atomic<bool>> finished;
  std::function<void(int64_t)> observer;

  /// This process's loss * weight, samples, correct, scored and the
  /// gradients' weight over the group.
  double groupSums[5] = {0, 0, 0, 0, 0};
  bool lossDiverged = false, brokenStep = false, stopVoted = false;
  /// The batch of its group under way (0 for the first), and the draw
  /// number the gradient step reads as its `step`, which only its dropout
  /// masks use (dropoutDraw in SplitStep.cpp).
  int64_t groupBatch = 0;
  rt::Tensor draw;
  /// recordProfiles: the share recorded, and where.
  int64_t profiledShare = 0;
  rt::KernelProfiler *gradientProfiler = nullptr;
  CompiledGraph *profiledGraph = nullptr;
};

} // namespace nnc::train

#endif // NNC_TRAIN_SPLITSTEP_H
