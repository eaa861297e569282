//===- TrainingHooks.h - Where callers plug into training -------*- C++ -*-===//
//
// The loop (TrainingRun.h) prints nothing: progress, per-epoch lines and
// the notes of what it wrote reach the caller through these callbacks, and
// so can code that acts on a step (gradient clipping, another reduction of
// the gradients). The command installs a console reporter
// (ConsoleReporter.h); the Python module installs its history. Every
// callback may be left empty.
//
// Data parallelism plugs in here too: its gradient exchange (`exchange`)
// sums the gradients of every process, and each rank's hooks are its own
// (dist::DataParallel::hooksOf): every rank calls the step callbacks
// (afterGradients, beforeUpdate, stopRequested, onRequestedStop), since
// each holds the gradients and each may be asked to stop; only rank 0
// calls the reporting ones (onEpochStart, onStepEnd, onCurvePoint,
// onEpochEnd, onTrainingEnd, onMessage, onWarning), as only rank 0
// reports.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_TRAININGHOOKS_H
#define NNC_TRAIN_TRAININGHOOKS_H

#include "train/GradientExchange.h"
#include "train/Notices.h"
#include "train/TrainingState.h"

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace nnc::train {

/// What an epoch of training gave.
struct EpochReport {
  int64_t epoch = 0; ///< 1-based
  double loss = 0;   ///< mean over the epoch's samples
  std::optional<double> accuracy;
  std::optional<double> evalLoss, evalAccuracy;
};

/// The start of an epoch, for a progress display.
struct EpochStart {
  int64_t epoch = 0; ///< 1-based
  int64_t epochs = 0;
  int64_t samples = 0; ///< in the epoch
  int64_t batchesPerEpoch = 0;
  /// Samples of the epoch trained before it started here: where a resumed
  /// run takes up its first epoch; 0 otherwise.
  int64_t samplesDone = 0;
};

/// What an optimizer step gave.
struct StepReport {
  int64_t step = 0;  ///< 1-based, over the whole run
  int64_t epoch = 0; ///< 1-based
  double loss = 0;   ///< mean over the step's samples
  int64_t samples = 0;
  /// The step's samples over the seconds from its first batch to its end.
  double samplesPerSecond = 0;
  /// Samples of the epoch done after this step.
  int64_t samplesDone = 0;
  /// The running mean loss and accuracy of the epoch so far.
  double epochLoss = 0;
  std::optional<double> epochAccuracy;
};

/// A point of the --eval-every loss curve.
struct CurvePointReport {
  TrainingState::CurvePoint point;
  /// The step of the point before (0 for the first).
  int64_t sinceStep = 0;
  /// Whether evaluation data gave the point its evaluation loss.
  bool evaluated = false;
};

struct TrainingHooks {
  /// After the gradients of an optimizer step, averaged over its samples
  /// (and over the ranks of a data-parallel run), by parameter name; a
  /// hook may change them in place before they are applied (clipping,
  /// noise, inspection). Only the split step (SplitStep.h) has gradients
  /// outside its graph: driver::trainModel runs the split step when this
  /// is set, as for an exchange and --accumulate, and the loop refuses it
  /// with the fused step. An error ends the run.
  /// The gradients are views of the trainer's memory, valid during the call.
  std::function<rt::Error(
      int64_t step, const std::map<std::string, rt::TensorView> &gradients)>
      afterGradients;
  /// Before the update of an optimizer step is applied: for the split step
  /// after afterGradients; for the fused step before its graph runs. An
  /// error ends the run.
  std::function<rt::Error(int64_t step)> beforeUpdate;
  /// At the end of each optimizer step, after the update.
  std::function<void(const StepReport &)> onStepEnd;
  /// Asked at the end of each optimizer step: true stops the run there,
  /// as --max-steps does (a checkpoint, --save, the report), where a run
  /// killed would lose them. The CLI's answer is a signal (Ctrl-C,
  /// SIGTERM, SIGUSR1). Every rank of a data-parallel run asks its own,
  /// before the update, and all stop after the step when any says true.
  std::function<bool()> stopRequested;
  /// When the run stops because stopRequested said so, here or (through
  /// the vote) on another rank, before it writes what a stop writes. Not
  /// called when the request came at the run's last step, which ends as
  /// planned.
  std::function<void()> onRequestedStop;
  /// At the start of each epoch, before its first step.
  std::function<void(const EpochStart &)> onEpochStart;
  /// At each point of the --eval-every curve, after its evaluation.
  std::function<void(const CurvePointReport &)> onCurvePoint;
  /// After each epoch and its evaluation.
  std::function<void(const EpochReport &)> onEpochEnd;
  /// After the run's last step (also one --max-steps stops at), before it
  /// writes its outputs.
  std::function<void()> onTrainingEnd;
  /// A line for the user on what the run did or wrote ("saved 4
  /// parameters and buffers to DIR"), or a profile table; stdout's in the
  /// CLI.
  std::function<void(const std::string &)> onMessage;
  /// A warning that does not stop the run (without "warning: ").
  std::function<void(const std::string &)> onWarning;
  /// Text for the error stream as it is (Notices::diagnostic): the source
  /// warnings of the model, which backend runs it.
  std::function<void(const std::string &)> onDiagnostic;
  /// A data-parallel run whose failure the other ranks cannot learn of
  /// (they wait in a collective) calls this with the error, to show it,
  /// and then ends every rank of the MPI job (MPI_Abort), the one way a
  /// library call here does not return.
  std::function<void(const rt::Error &)> onJobAbort;

  /// Sums the split step's gradients with other processes' while the
  /// backward pass runs, and says which rows of each batch this process
  /// computes (GradientExchange.h): data parallelism. Null: the process
  /// trains alone. The caller keeps it alive for the run.
  GradientExchange *exchange = nullptr;
  /// False on a process that leaves the run's outputs to another (the
  /// data-parallel ranks but rank 0): it neither evaluates nor writes the
  /// parameters, checkpoints, chart, report or profile of its options.
  bool writesOutputs = true;

  /// onWarning and onDiagnostic, for the calls that take Notices.
  Notices notices() const { return {onWarning, onDiagnostic}; }
};

} // namespace nnc::train

#endif // NNC_TRAIN_TRAININGHOOKS_H
