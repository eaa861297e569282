//===- TrainingState.h - What a training run carries ------------*- C++ -*-===//
//
// The values a training run carries from step to step (parameters,
// buffers, optimizer state, counters, the running sums of the epoch), the
// swap of a step's updated values into them, and the atomic checkpoint
// folder `--checkpoint` writes and `--resume DIR` reads.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_TRAININGSTATE_H
#define NNC_TRAIN_TRAININGSTATE_H

#include "train/CompiledGraph.h"
#include "train/ParameterStore.h"
#include "train/RunSettings.h"

#include "runtime/BatchIterator.h"
#include "runtime/BindingRole.h"
#include "runtime/Checkpoint.h"
#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nnc::train {

/// Everything a training run carries from step to step.
struct TrainingState {
  ParameterStore params; ///< parameters and buffers
  std::map<std::string, rt::Tensor> optimizerState;
  rt::Tensor step; ///< i64 scalar, 1-based
  rt::Tensor lr;   ///< f32 scalar
  int64_t stepCount = 0;
  std::vector<double> trainLoss, evalLoss; ///< per finished epoch
  /// The epochs finished before the history above begins: those of the
  /// run a training artifact resumed, which keeps no history. Entry i of
  /// it is epoch historyStartEpoch + i + 1.
  int64_t historyStartEpoch = 0;
  /// Per finished epoch too; NaN where the loss does not say how to score.
  std::vector<double> trainAccuracy, evalAccuracy;
  // Sums over the current epoch, kept in checkpoints for a mid-epoch resume.
  double epochLossSum = 0;
  int64_t epochSamples = 0, epochCorrect = 0, epochScored = 0;
  /// --eval-every N: every N steps, the mean training loss of those steps
  /// and the evaluation loss then (NaN without --eval-data).
  /// Accuracies are NaN where the loss does not say how to score, and the
  /// learning rate is the one of the point's step.
  struct CurvePoint {
    int64_t step = 0;
    double trainLoss = 0, evalLoss = 0;
    double trainAccuracy = 0, evalAccuracy = 0;
    double lr = 0;
  };
  std::vector<CurvePoint> curve;
  /// Steps where the learning rate jumped: at a jump (an epoch's first
  /// step, a resumed run's first), by more than kLrChangeShare of the step
  /// before's rate. A step schedule's decay or a resumed run's new --lr is
  /// one; a cosine schedule's move from step to step is not.
  struct LrChange {
    int64_t step = 0;
    double from = 0, to = 0;
  };
  static constexpr double kLrChangeShare = 0.05;
  std::vector<LrChange> lrChanges;
  /// Sets the learning rate of the current step (stepCount), noting a
  /// change from the step before's when `atJump`.
  void setLearningRate(double value, bool atJump);
  /// The sums of the steps since the last curve point.
  double intervalLossSum = 0;
  int64_t intervalSamples = 0, intervalCorrect = 0, intervalScored = 0;
  /// Adds a step's summed loss over `samples` samples to the epoch's and
  /// the interval's sums.
  void addLoss(double lossSum, int64_t samples) {
    epochLossSum += lossSum;
    epochSamples += samples;
    intervalLossSum += lossSum;
    intervalSamples += samples;
  }
  /// Adds a step's `correct` of `scored` predictions likewise.
  void addScore(int64_t correct, int64_t scored) {
    epochCorrect += correct;
    epochScored += scored;
    intervalCorrect += correct;
    intervalScored += scored;
  }
};

/// The tensor of `state` a training graph's argument of `role` (OptState,
/// Step, Lr, or a parameter's or buffer's) and `name` reads; null when the
/// state has none.
const rt::Tensor *findStateTensor(const TrainingState &state,
                                  rt::BindingRole role,
                                  const std::string &name);

/// Makes the scalar `step` and `lr` tensors.
rt::Error createStepScalars(TrainingState &state);

/// Zero optimizer state for every `opt_state` argument of `step`.
rt::Error zeroOptimizerState(const CompiledGraph &step, TrainingState &state);

/// The parameters, buffers and optimizer slots of `state` as a step may
/// update them in place (CompiledGraph::run's `updateInPlace`).
CompiledGraph::StateLookup statesOf(TrainingState &state);

/// Swaps the updated values a step returned into the state: the graph's
/// result tensors and the state's trade places, so nothing is copied.
/// Updates the step wrote over the state already (Result::inPlace) stay. An
/// error for an update of a value the state does not hold.
rt::Error swapInUpdates(CompiledGraph &graph, TrainingState &state);

/// Writes `state`, the iterator `position` and the run's `settings` to the
/// checkpoint folder `dir`, atomically.
rt::Error writeTrainingCheckpoint(const std::string &dir,
                                  const TrainingState &state,
                                  const rt::BatchIteratorState &position,
                                  const RunSettings &settings);

/// The settings `checkpoint` was written with; none for a checkpoint from
/// before they were kept. An error for ones out of range.
rt::Expected<std::optional<RunSettings>>
checkpointRunSettings(const rt::Checkpoint &checkpoint);

/// Loads a checkpoint written by writeTrainingCheckpoint into `state`; every
/// tensor must match the one already there (name, dtype, shape). Optimizer
/// state the checkpoint holds and `state` has no place for (a resume with
/// another --optimizer, or a parameter now frozen) is left out, its names
/// added to `unused` when given.
rt::Error restoreCheckpoint(const rt::Checkpoint &checkpoint,
                            TrainingState &state,
                            rt::BatchIteratorState &position,
                            std::vector<std::string> *unused = nullptr);

} // namespace nnc::train

#endif // NNC_TRAIN_TRAININGSTATE_H
