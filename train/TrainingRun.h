//===- TrainingRun.h - The training loop, any graph source ------*- C++ -*-===//
//
// What the loop needs, set up either from a model compiled in this process
// (Trainer.cpp) or from a training artifact (TrainingArtifact.cpp), and the
// loop itself: mini-batches, the step, evaluation, checkpoints, the report
// page, and at the end the artifact, the parameters and the loss chart.
// Both setups share it, so a resumed run behaves as a run from source does.
// It prints nothing: progress and notes go through TrainingHooks, errors
// are returned.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_TRAININGRUN_H
#define NNC_TRAIN_TRAININGRUN_H

#include "train/ExitCode.h"
#include "train/GraphSource.h"
#include "train/InputDeclarations.h"
#include "train/TrainOptions.h"
#include "train/TrainingHooks.h"
#include "train/TrainingReport.h"
#include "train/TrainingState.h"

#include "runtime/Artifact.h"
#include "runtime/BatchIterator.h"
#include "runtime/Dataset.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace nnc::train {

struct TrainingRun {
  GraphSource *graphs = nullptr;
  /// Set to run the step split at its gradients (SplitStep.h), for a
  /// gradient hook, --accumulate or a gradient exchange: the source of
  /// its two graphs, which `graphs` is too.
  SplitStepSource *splitGraphs = nullptr;
  /// The model's buffers (batch-norm statistics), which the split step
  /// averages like gradients.
  std::vector<std::string> bufferNames;
  rt::Dataset trainSet, evalSet;
  int64_t epochs = 1;
  /// The full batch size; the last batch of an epoch may be smaller.
  int64_t batch = 1;
  /// The batch size of evaluation on evalSet.
  int64_t evalBatch = 1;
  uint64_t seed = 0;
  double baseLr = 0.01;
  /// The settings as asked (RunSettings.h), which checkpoints keep; the
  /// loop sets a cosine schedule's horizon when the run starts it.
  /// `epochs`, `batch` (clamped to the data) and `baseLr` are what the loop
  /// runs.
  RunSettings settings;
  TrainingState state;
  /// The checkpoint of --resume DIR: read before the run's settings,
  /// which it keeps (RunSettings), and released once the state is restored
  /// from it.
  std::optional<rt::Checkpoint> checkpoint;
  /// Where a resumed run continues (epoch, position, shuffling).
  std::optional<rt::BatchIteratorState> resumeAt;
  /// The settings a resumed run took from its checkpoint, not from its
  /// command ("--lr 0.05"), which the loop tells the user.
  std::vector<std::string> resumedSettings;
  /// Writes the training artifact of --save-artifact; the run must stand
  /// at an epoch boundary.
  std::function<rt::Error(const TrainingState &,
                          const rt::BatchIteratorState &)>
      saveArtifact;
  /// For --report: the optimizer that runs (--optimizer, else the
  /// model's); empty when not known (a run resumed from an artifact).
  std::string optimizer;
  /// For --report: the parameters trained with their gradients frozen.
  std::vector<std::string> frozen;
  /// For --report: the model's graph in Graphviz's dot language, made only
  /// when a report is asked for (it lowers the model again); unset for a
  /// run with no model source (one resumed from an artifact).
  std::function<std::string()> reportGraph;
  /// The header of the --report page, made (the model's graph drawn) once
  /// for the page's first write; set from then on.
  std::optional<ReportHeader> reportHeader;
  /// Set by the loop when it failed partway through a split step: with a
  /// gradient exchange, other processes may be left waiting for this one
  /// (SplitStep::failedMidStep).
  bool failedMidStep = false;
  /// Set by the loop when it stopped on a diverged loss, which every
  /// process of a data-parallel run meets alike.
  bool diverged = false;
  /// Set once this process has joined the other ranks of a data-parallel
  /// job: failures before it are met by each rank on its own.
  bool joinedJob = false;
};

/// Loads --data and --eval-data (files, and the options' tensors) into
/// `run`, adapted to `inputs`, and checks that every
/// input has a column and that there are samples. A malformed argument is
/// a usage error.
CodedError loadTrainingData(const TrainOptions &options,
                            const InputDeclarations &inputs, TrainingRun &run);

/// Fails, with the message --save-artifact gives, unless `position` is at
/// an epoch boundary: an artifact records no position inside an epoch.
rt::Error checkEpochBoundary(const rt::BatchIteratorState &position);

/// Writes the training artifact of --save-artifact to `path` (atomically)
/// with the run's counters (steps done, epochs done at `position`) and its
/// settings, which `--resume FILE.nnx` takes where its command gives none.
rt::Error writeTrainingArtifact(rt::Artifact &artifact, const std::string &path,
                                const TrainingState &state,
                                const rt::BatchIteratorState &position,
                                const RunSettings &settings);

/// The error of a loss that is NaN or infinite at `step`.
rt::Error divergedLoss(double loss, int64_t step);

/// Fails when the loop's options are out of range (negative --eval-every,
/// --checkpoint-every or --max-steps, a setting given out of range as
/// checkRunSettings says, --bucket-mb or --comm-timeout not a finite
/// number above 0): a usage error,
/// which driver::trainModel checks before it opens anything, and the loop
/// again before it starts.
rt::Error checkLoopOptions(const TrainOptions &options);

/// Trains `run` for its epochs: the loop of `nnc train`. Reports through
/// `hooks` and prints nothing.
rt::Error runTrainingLoop(TrainingRun &run, const TrainOptions &options,
                          const TrainingHooks &hooks);

} // namespace nnc::train

#endif // NNC_TRAIN_TRAININGRUN_H
