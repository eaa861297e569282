//===- TrainingRun.cpp - The training loop over any source of graphs ------===//
//
// The loop itself (its steps, epochs, curve points, checkpoints and
// stops) and what it checks and loads before it starts. What it writes
// besides checkpoints is in TrainingOutputs.cpp.
//
//===----------------------------------------------------------------------===//

#include "train/TrainingRun.h"

#include "train/DataArguments.h"
#include "train/Evaluator.h"
#include "train/OutputPaths.h"
#include "train/OutputWriter.h"
#include "train/SplitStep.h"
#include "train/TrainingOutputs.h"
#include "train/TrainingProfile.h"
#include "train/TrainingReport.h"

#include "runtime/CheckpointLock.h"
#include "runtime/Counted.h"
#include "runtime/FileIO.h"
#include "runtime/FlatJson.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <oneapi/tbb/info.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

namespace nnc::train {
namespace {

/// The training steps of the run, made before the first epoch so that a
/// missing one fails at once: the full batch, and the last partial one.
struct Steps {
  CompiledGraph *full = nullptr, *partial = nullptr;
};

rt::Expected<Steps> makeSteps(TrainingRun &run) {
  int64_t samples = run.trainSet.numSamples();
  Steps steps;
  // Split steps are compiled per share of a batch, as they come.
  if (run.splitGraphs)
    return steps;
  if (samples >= run.batch) {
    rt::Expected<CompiledGraph *> full = run.graphs->trainingStep(run.batch);
    if (!full.ok())
      return full.takeError();
    steps.full = *full;
  }
  if (samples % run.batch && !run.settings.dropLast) {
    rt::Expected<CompiledGraph *> partial =
        run.graphs->trainingStep(samples % run.batch);
    if (!partial.ok())
      return partial.takeError();
    steps.partial = *partial;
  }
  return steps;
}

/// Runs one fused step on `current` and adds its loss and score to the
/// epoch's sums. The graph computes the gradients and applies the update
/// at once, so beforeUpdate runs before it; afterGradients needs the split
/// step (runTrainingLoop refuses it here).
rt::Error runStep(TrainingRun &run, CompiledGraph &step,
                  const rt::Batch &current, const TrainingHooks &hooks) {
  TrainingState &state = run.state;
  if (hooks.beforeUpdate)
    if (rt::Error error = hooks.beforeUpdate(state.stepCount); !error.ok())
      return error;
  rt::Error ran = step.run(
      [&](rt::BindingRole role, const std::string &name) -> const rt::Tensor * {
        if (role == rt::BindingRole::Input)
          return current.column(name);
        return findStateTensor(state, role, name);
      },
      statesOf(state));
  if (!ran.ok())
    return ran;
  if (rt::Error error = swapInUpdates(step, state); !error.ok())
    return error;
  CompiledGraph::Result *loss = step.findResult(rt::BindingRole::Loss, "loss");
  if (!loss)
    return rt::Error::failure("the training step returns no loss");
  double lossValue = scalarValue(loss->tensor);
  if (!std::isfinite(lossValue)) {
    run.diverged = true;
    return divergedLoss(lossValue, state.stepCount);
  }
  state.addLoss(lossValue * current.size(), current.size());
  const std::optional<AccuracySpec> &accuracy = run.graphs->accuracy();
  if (!accuracy)
    return rt::Error::success();
  CompiledGraph::Result *predictions =
      step.findResult(rt::BindingRole::Output, accuracy->outputName);
  const rt::Tensor *labels = current.column(accuracy->labelInput);
  if (predictions && labels) {
    auto [right, total] = countCorrect(*accuracy, predictions->tensor, *labels);
    state.addScore(right, total);
  }
  return rt::Error::success();
}

/// The step that just ended, for hooks.onStepEnd: its samples, mean loss
/// and speed from the epoch's sums before it, and the epoch's so far.
StepReport stepReportOf(const TrainingState &state, int64_t epoch,
                        int64_t samplesBefore, double lossBefore,
                        std::chrono::steady_clock::time_point stepStart,
                        int64_t samplesDone) {
  std::chrono::duration<double> seconds =
      std::chrono::steady_clock::now() - stepStart;
  StepReport step;
  step.step = state.stepCount;
  step.epoch = epoch + 1;
  step.samples = state.epochSamples - samplesBefore;
  step.loss =
      (state.epochLossSum - lossBefore) / std::max<int64_t>(1, step.samples);
  step.samplesPerSecond =
      seconds.count() > 0 ? step.samples / seconds.count() : 0;
  step.samplesDone = samplesDone;
  step.epochLoss = state.epochLossSum / state.epochSamples;
  if (state.epochScored)
    step.epochAccuracy =
        static_cast<double>(state.epochCorrect) / state.epochScored;
  return step;
}

/// The epoch that just ended (0-based `epoch`): its training loss and
/// accuracy, and `evaluator`'s metrics now.
rt::Expected<EpochReport> epochReportOf(const TrainingState &state,
                                        int64_t epoch,
                                        std::optional<Evaluator> &evaluator) {
  EpochReport report;
  report.epoch = epoch + 1;
  report.loss = state.epochLossSum / std::max<int64_t>(1, state.epochSamples);
  if (state.epochScored)
    report.accuracy =
        static_cast<double>(state.epochCorrect) / state.epochScored;
  if (evaluator) {
    rt::Expected<Metrics> metrics = evaluator->evaluate(state.params);
    if (!metrics.ok())
      return metrics.takeError();
    report.evalLoss = metrics->loss;
    report.evalAccuracy = metrics->accuracy;
  }
  return report;
}

/// Adds `report` to the history and starts the next epoch's sums.
void closeEpoch(TrainingState &state, const EpochReport &report) {
  state.trainLoss.push_back(report.loss);
  state.evalLoss.push_back(report.evalLoss.value_or(NAN));
  state.trainAccuracy.push_back(report.accuracy.value_or(NAN));
  state.evalAccuracy.push_back(report.evalAccuracy.value_or(NAN));
  state.epochLossSum = 0;
  state.epochSamples = state.epochCorrect = state.epochScored = 0;
}

/// Ends an interval of the loss curve at this step: the mean training loss
/// of its steps and, with an evaluator, the evaluation loss now.
rt::Error addCurvePoint(TrainingState &state,
                        std::optional<Evaluator> &evaluator,
                        const TrainingHooks &hooks) {
  TrainingState::CurvePoint point;
  point.step = state.stepCount;
  point.trainLoss =
      state.intervalLossSum / std::max<int64_t>(1, state.intervalSamples);
  point.evalLoss = point.evalAccuracy = NAN;
  point.trainAccuracy =
      state.intervalScored > 0
          ? static_cast<double>(state.intervalCorrect) / state.intervalScored
          : NAN;
  point.lr = scalarValue(state.lr);
  CurvePointReport report;
  report.sinceStep = state.curve.empty() ? 0 : state.curve.back().step;
  if (evaluator) {
    rt::Expected<Metrics> metrics = evaluator->evaluate(state.params);
    if (!metrics.ok())
      return metrics.takeError();
    point.evalLoss = metrics->loss;
    if (metrics->accuracy)
      point.evalAccuracy = *metrics->accuracy;
    report.evaluated = true;
  }
  state.curve.push_back(point);
  state.intervalLossSum = 0;
  state.intervalSamples = state.intervalCorrect = state.intervalScored = 0;
  report.point = point;
  if (hooks.onCurvePoint)
    hooks.onCurvePoint(report);
  return rt::Error::success();
}

} // namespace

CodedError loadTrainingData(const TrainOptions &options,
                            const InputDeclarations &inputs, TrainingRun &run) {
  CsvArguments csv{options.csvHeader};
  if (CodedError error =
          loadDataArguments(options.data, "--data", inputs, csv, run.trainSet);
      !error.ok())
    return error;
  if (rt::Error error =
          loadDataTensors("data", options.dataTensors, inputs, run.trainSet);
      !error.ok())
    return error;
  if (CodedError error = loadDataArguments(options.evalData, "--eval-data",
                                           inputs, csv, run.evalSet);
      !error.ok())
    return error;
  if (rt::Error error = loadDataTensors("eval data", options.evalDataTensors,
                                        inputs, run.evalSet);
      !error.ok())
    return error;
  std::vector<std::string> names;
  for (const InputDeclaration &input : inputs)
    names.push_back(input.name);
  for (const std::string &name : names) {
    if (!run.trainSet.column(name))
      return rt::Error::failure("missing --data " + name + "=FILE (inputs: " +
                                llvm::join(names, ", ") + ")");
    if (run.evalSet.numColumns() && !run.evalSet.column(name))
      return rt::Error::failure("missing --eval-data " + name + "=FILE");
  }
  if (run.trainSet.numSamples() == 0) {
    // Inputs without the batch dimension are given once, not as samples.
    bool batched = std::any_of(
        inputs.begin(), inputs.end(),
        [](const InputDeclaration &input) { return input.batched(); });
    return rt::Error::failure(
        batched ? "the training data has no samples"
                : "the model has no input with the batch dimension "
                  "(f32[B, ...]), so its data has no samples to train on");
  }
  return CodedError();
}

rt::Error checkEpochBoundary(const rt::BatchIteratorState &position) {
  if (position.position == 0)
    return rt::Error::success();
  return rt::Error::failure(
      "--save-artifact: the run stopped inside epoch " +
      std::to_string(position.epoch + 1) +
      "; an artifact resumes only at an epoch boundary (use "
      "--checkpoint to stop mid-epoch)");
}

rt::Error writeTrainingArtifact(rt::Artifact &artifact, const std::string &path,
                                const TrainingState &state,
                                const rt::BatchIteratorState &position,
                                const RunSettings &settings) {
  artifact.training->step = state.stepCount;
  artifact.training->epoch = position.epoch;
  rt::JsonObject json;
  saveRunSettings(json, settings);
  artifact.training->runSettings = json.toJson();
  return rt::writeArtifact(path, artifact);
}

rt::Error divergedLoss(double loss, int64_t step) {
  std::string message;
  llvm::raw_string_ostream os(message);
  os << "the loss diverged (" << loss << ") at step " << step
     << "; try a lower --lr";
  return rt::Error::failure(message);
}

rt::Error checkLoopOptions(const TrainOptions &options) {
  if (options.checkpointEvery < 0)
    return outOfRange("--checkpoint-every", "0 or more",
                      static_cast<double>(options.checkpointEvery));
  // Each setting given, against checkRunSettings' ranges; the others
  // keep their defaults, which pass.
  RunSettings given;
  given.schedule = resolveSchedule(options.schedule, ScheduleOptions());
  given.accumulate = options.accumulate.value_or(given.accumulate);
  given.clipNorm = options.clipNorm.value_or(given.clipNorm);
  given.epochs = options.epochs.value_or(given.epochs);
  given.batch = options.batch.value_or(given.batch);
  given.baseLr = options.lr.value_or(given.baseLr);
  given.evalEvery = options.evalEvery.value_or(given.evalEvery);
  if (rt::Error error = checkRunSettings(given); !error.ok())
    return error;
  if (options.maxSteps < 0)
    return outOfRange("--max-steps", "0 or more",
                      static_cast<double>(options.maxSteps));
  // Checked whether or not the run is distributed: a setting that cannot
  // work is a mistake even where it goes unused.
  const DistributedOptions &distributed = options.distributed;
  if (!(distributed.bucketMb > 0 && std::isfinite(distributed.bucketMb)))
    return outOfRange("--bucket-mb", "a finite number above 0",
                      distributed.bucketMb);
  if (!(distributed.commTimeoutSeconds > 0 &&
        std::isfinite(distributed.commTimeoutSeconds)))
    return outOfRange("--comm-timeout", "a finite number above 0",
                      distributed.commTimeoutSeconds);
  return rt::Error::success();
}

namespace {

/// Tells `hooks` a warning, when they take one.
void warn(const TrainingHooks &hooks, const std::string &warning) {
  if (hooks.onWarning)
    hooks.onWarning(warning);
}

/// Before the first step: warns of what a resumed run will not train
/// (--max-steps or --epochs already reached, a cosine schedule's horizon
/// passed), refuses a --save-artifact the run could not write, and says
/// which settings a resumed run takes from what it resumes. The answer is
/// whether steps are left.
rt::Expected<bool> checkWhatIsLeft(const TrainingRun &run,
                                   const TrainOptions &options,
                                   const rt::BatchIteratorState &position,
                                   int64_t stepsPerEpoch,
                                   const TrainingHooks &hooks) {
  const int64_t totalSteps = run.epochs * stepsPerEpoch;
  // A resumed run that has taken --max-steps steps already trains nothing
  // (not one step more); it still writes its outputs, as for --epochs.
  const bool stepsLeft =
      options.maxSteps == 0 || run.state.stepCount < options.maxSteps;
  if (!stepsLeft)
    warn(hooks,
         "the run resumed has taken " +
             rt::counted(run.state.stepCount, "step") + ", and --max-steps " +
             std::to_string(options.maxSteps) +
             " asks for no more; nothing is trained (raise --max-steps to "
             "continue)");
  // A run resumed inside an epoch that trains nothing stays there.
  if (!stepsLeft && !options.saveArtifact.empty() && position.position != 0)
    return checkEpochBoundary(position);
  // An artifact resumes only at an epoch boundary, so a --max-steps stop
  // inside an epoch could not write one: refused before the first step.
  if (stepsLeft && !options.saveArtifact.empty() && options.maxSteps > 0 &&
      options.maxSteps < totalSteps && options.maxSteps % stepsPerEpoch != 0)
    return rt::Error::failure(
        "--save-artifact: --max-steps " + std::to_string(options.maxSteps) +
        " stops inside epoch " +
        std::to_string(options.maxSteps / stepsPerEpoch + 1) +
        ", and an artifact resumes only at an epoch boundary (a multiple of " +
        std::to_string(stepsPerEpoch) +
        " steps); use --checkpoint to stop mid-epoch");

  // A resumed run asked for no more epochs than it has done trains
  // nothing; it still writes its outputs, so say why nothing moved.
  if (position.epoch >= run.epochs && run.resumeAt)
    warn(hooks, "the run resumed has done " +
                    rt::counted(position.epoch, "epoch") + ", and --epochs " +
                    std::to_string(run.epochs) +
                    " asks for no more; nothing is trained (raise --epochs to "
                    "continue)");

  // A resumed cosine schedule keeps the horizon of the run that started it
  // (docs/training.md); the steps past it run at the final rate, which a
  // run given more epochs than that one should hear.
  const ScheduleOptions &schedule = run.settings.schedule;
  if (run.resumeAt && schedule.kind == "cosine" && schedule.totalSteps > 0 &&
      totalSteps > schedule.totalSteps)
    warn(hooks, "the cosine schedule resumed ends at step " +
                    std::to_string(schedule.totalSteps) + "; steps " +
                    std::to_string(schedule.totalSteps + 1) + " to " +
                    std::to_string(totalSteps) + " run at --lr-min " +
                    exactNumber(schedule.minLr) +
                    " (--schedule constant and --lr train on at a fixed rate)");

  if (!run.resumedSettings.empty())
    say(hooks, "resuming " + options.resumeDir + " with " +
                   llvm::join(run.resumedSettings, ", ") +
                   ", as the run that wrote it had them");
  return stepsLeft;
}

/// The loop of runTrainingLoop, its split step made (or not) by the caller.
rt::Error runLoop(TrainingRun &run, const TrainOptions &options,
                  const TrainingHooks &hooks, SplitStep *split) {
  rt::Expected<Steps> steps = makeSteps(run);
  if (!steps.ok())
    return steps.takeError();
  // A process that leaves the outputs to another (a data-parallel rank but
  // rank 0) neither evaluates nor writes.
  bool reporting = hooks.writesOutputs;
  std::optional<rt::CheckpointLock> checkpointLock;
  if (reporting) {
    if (rt::Error error = checkOutputPaths(options, run.state.params.names());
        !error.ok())
      return error;
    if (!options.checkpointDir.empty()) {
      rt::Expected<rt::CheckpointLock> lock =
          rt::CheckpointLock::acquire(options.checkpointDir);
      if (!lock.ok())
        return lock.takeError();
      checkpointLock.emplace(std::move(*lock));
    }
  }

  bool reportPage = !options.reportPath.empty() && reporting;
  TrainingProfile profile((options.profile.any() && reporting) || reportPage,
                          steps->full, split, run.batch, options.profile,
                          run.graphs->threads(), hooks);
  TrainingState &state = run.state;
  int64_t samples = run.trainSet.numSamples();
  rt::BatchOptions batchOptions;
  batchOptions.batchSize = run.batch;
  batchOptions.shuffle = run.settings.shuffle;
  batchOptions.dropLast = run.settings.dropLast;
  batchOptions.seed = run.seed;
  rt::Expected<rt::BatchIterator> batches =
      rt::BatchIterator::create(run.trainSet, batchOptions);
  if (!batches.ok())
    return batches.takeError();
  if (run.resumeAt)
    if (rt::Error error = batches->restore(*run.resumeAt); !error.ok())
      return std::move(error).withContext(options.resumeDir);

  const std::string &checkpointDir =
      reporting ? options.checkpointDir : std::string();

  std::optional<Evaluator> evaluator;
  if (run.evalSet.numColumns() && reporting)
    evaluator.emplace(*run.graphs, run.evalSet, run.evalBatch);
  run.reportHeader.reset();
  if (reportPage) {
    run.reportHeader = makeReportHeader(run, options);
    run.reportHeader->profiled = profile.what();
  }
  ReportPage page(reportPage ? options.reportPath : std::string(), run, profile,
                  hooks);
  // An output that fails inside the run (a full disk under a checkpoint)
  // ends it; the parameters trained so far still go to --save, as at a
  // --max-steps stop, rather than being lost with the run.
  auto outputFailed = [&](rt::Error error) -> rt::Error {
    if (reporting && !options.saveDir.empty())
      if (saveParameters(state, options.saveDir, hooks).ok())
        say(hooks, "the run stopped at step " +
                       std::to_string(state.stepCount) +
                       " on the error below; the parameters above are "
                       "those of that step");
    return error;
  };
  // The report, the chart and the artifact are written without making
  // folders: theirs are made now (checkOutputPaths refused a path that
  // cannot be one).
  for (const std::string *path :
       {&options.reportPath, &options.plotPath, &options.saveArtifact}) {
    llvm::StringRef folder = llvm::sys::path::parent_path(*path);
    if (reporting && !folder.empty())
      if (rt::Error error = rt::makeFolders(folder.str()); !error.ok())
        return error;
  }
  if (rt::Error error = page.write(ReportStatus::Training); !error.ok())
    return error;
  // With --accumulate K, K batches (fewer at the end of an epoch) make one
  // optimizer step; steps, the schedule, progress and checkpoints count
  // optimizer steps. The fused step applies every batch it runs.
  int64_t accumulate = run.settings.accumulate;
  if (accumulate > 1 && !split)
    return rt::Error::failure(
        "--accumulate needs the training step split at its gradients "
        "(driver::trainModel splits it); a training artifact holds only the "
        "fused step");
  // The fused step of a batch of `size`: a full one, the epoch's last, or
  // the last of a resumed epoch that stopped where a batch of another
  // size ended.
  auto stepFor = [&](int64_t size) -> rt::Expected<CompiledGraph *> {
    if (size == run.batch)
      return steps->full;
    if (steps->partial && size == samples % run.batch)
      return steps->partial;
    return run.graphs->trainingStep(size);
  };
  int64_t stepsPerEpoch =
      (batches->batchesPerEpoch() + accumulate - 1) / accumulate;
  int64_t totalSteps = run.epochs * stepsPerEpoch;
  // A cosine schedule anneals over the steps of the whole run that starts
  // it, counted from its first step as the step count is; a resumed one
  // keeps the horizon its checkpoint recorded.
  if (run.settings.schedule.kind == "cosine" &&
      run.settings.schedule.totalSteps == 0)
    run.settings.schedule.totalSteps = totalSteps;
  const RunSettings &settings = run.settings;
  rt::Expected<bool> stepsLeftOrError =
      checkWhatIsLeft(run, options, batches->state(), stepsPerEpoch, hooks);
  if (!stepsLeftOrError.ok())
    return stepsLeftOrError.takeError();
  const bool stepsLeft = *stepsLeftOrError;

  // Where the learning rate may jump rather than move step by step: the
  // first step of an epoch (a step schedule's decay) and the first step of
  // a resumed run (a new --lr).
  bool atJump = true;
  // The samples an epoch trains: --drop-last leaves the short batch out.
  const int64_t epochSamples =
      run.settings.dropLast ? samples - samples % run.batch : samples;
  // The --max-steps stop: the report, the checkpoint (unless the epoch's
  // end just wrote it) and the results as they stand.
  // Whether the stop under way is stopRequested's (here or, through the
  // vote, on another rank) rather than --max-steps'.
  bool stopOnRequest = false;
  auto stopAtMaxSteps = [&](bool checkpointWritten) -> rt::Error {
    if (stopOnRequest && hooks.onRequestedStop)
      hooks.onRequestedStop();
    if (hooks.onTrainingEnd)
      hooks.onTrainingEnd();
    if (rt::Error error = page.finish(ReportStatus::Stopped); !error.ok())
      return error;
    if (!checkpointDir.empty() && !checkpointWritten)
      if (rt::Error error = writeTrainingCheckpoint(checkpointDir, state,
                                                    batches->state(), settings);
          !error.ok())
        return error;
    if (reporting)
      if (rt::Error error =
              writeResults(run, options, batches->state(), /*chart=*/true,
                           evaluator.has_value(), hooks);
          !error.ok())
        return error;
    say(hooks,
        "stopped after " + rt::counted(state.stepCount, "step") +
            (checkpointDir.empty()
                 ? std::string()
                 : "; resume with " + resumeCommand(checkpointDir, options)));
    return profile.report();
  };
  const int64_t firstEpoch = stepsLeft ? batches->state().epoch : run.epochs;
  for (int64_t epoch = firstEpoch; epoch < run.epochs; ++epoch) {
    // A --max-steps stop at the epoch's last step ends the epoch first, so
    // that it is reported and evaluated and an artifact can be written.
    bool stopAtEpochEnd = false;
    if (hooks.onEpochStart)
      hooks.onEpochStart({epoch + 1, run.epochs, epochSamples,
                          batches->batchesPerEpoch(),
                          batches->state().position});
    atJump = true;
    // The batches of the optimizer step under way so far. A resumed run
    // starts a group: checkpoints are written at the end of a step, and
    // the run may count the group in other batches (--accumulate).
    int64_t inGroup = 0;
    // The step's start and its samples and summed loss before it, for the
    // step's report.
    std::chrono::steady_clock::time_point stepStart;
    int64_t samplesBefore = 0;
    double lossBefore = 0;
    while (true) {
      rt::Expected<bool> more = batches->next();
      if (!more.ok())
        return more.takeError();
      if (!*more)
        break;
      const rt::Batch &current = batches->batch();
      bool groupStart = inGroup == 0;
      // The epoch's last batch ends its group, --drop-last or not.
      bool groupEnd = inGroup == accumulate - 1 || batches->epochDone();
      inGroup = groupEnd ? 0 : inGroup + 1;
      if (groupStart) {
        ++state.stepCount;
        state.step.view().data<int64_t>()[0] = state.stepCount;
        state.setLearningRate(
            learningRate(settings.schedule, run.baseLr, epoch, state.stepCount),
            atJump);
        atJump = false;
        stepStart = std::chrono::steady_clock::now();
        samplesBefore = state.epochSamples;
        lossBefore = state.epochLossSum;
      }
      if (split) {
        if (rt::Error error =
                split->step(state, current, groupStart, groupEnd, hooks);
            !error.ok())
          return error;
        if (!groupEnd)
          continue;
      } else {
        rt::Expected<CompiledGraph *> step = stepFor(current.size());
        if (!step.ok())
          return step.takeError();
        if (rt::Error error = runStep(run, **step, current, hooks); !error.ok())
          return error;
      }
      if (hooks.onStepEnd)
        hooks.onStepEnd(stepReportOf(
            state, epoch, samplesBefore, lossBefore, stepStart,
            batches->state().position == 0 ? samples
                                           : batches->state().position));
      int64_t evalEvery = run.settings.evalEvery;
      if (evalEvery > 0 && state.stepCount % evalEvery == 0) {
        if (rt::Error error = addCurvePoint(state, evaluator, hooks);
            !error.ok())
          return error;
        if (rt::Error error = page.write(ReportStatus::Training,
                                         /*atCurvePoint=*/true);
            !error.ok())
          return outputFailed(std::move(error));
      }
      bool checkpointed = !checkpointDir.empty() &&
                          options.checkpointEvery > 0 &&
                          state.stepCount % options.checkpointEvery == 0;
      if (checkpointed)
        if (rt::Error error = writeTrainingCheckpoint(
                checkpointDir, state, batches->state(), settings);
            !error.ok())
          return outputFailed(std::move(error));
      bool stopAsked = split ? split->stopAsked()
                             : hooks.stopRequested && hooks.stopRequested();
      if (stopAsked ||
          (options.maxSteps > 0 && state.stepCount >= options.maxSteps)) {
        stopOnRequest = stopAsked;
        if (!batches->epochDone())
          return stopAtMaxSteps(checkpointed);
        stopAtEpochEnd = true;
      }
    }

    rt::Expected<EpochReport> epochReport =
        epochReportOf(state, epoch, evaluator);
    if (!epochReport.ok())
      return epochReport.takeError();
    if (hooks.onEpochEnd)
      hooks.onEpochEnd(*epochReport);
    closeEpoch(state, *epochReport);
    if (!checkpointDir.empty())
      if (rt::Error error = writeTrainingCheckpoint(checkpointDir, state,
                                                    batches->state(), settings);
          !error.ok())
        return outputFailed(std::move(error));
    if (rt::Error error = page.write(ReportStatus::Training); !error.ok())
      return outputFailed(std::move(error));
    // At the last epoch the run ends as planned.
    if (stopAtEpochEnd && epoch + 1 < run.epochs)
      return stopAtMaxSteps(/*checkpointWritten=*/true);
  }
  if (hooks.onTrainingEnd)
    hooks.onTrainingEnd();
  // A resumed run that --max-steps kept from its remaining epochs stopped.
  bool epochsLeft = batches->state().epoch < run.epochs;
  if (rt::Error error =
          page.finish(stepsLeft || !epochsLeft ? ReportStatus::Finished
                                               : ReportStatus::Stopped);
      !error.ok())
    return error;
  if (reporting)
    if (rt::Error error =
            writeResults(run, options, batches->state(),
                         /*chart=*/true, evaluator.has_value(), hooks);
        !error.ok())
      return error;
  return profile.report();
}

/// `error` ended the run: a --report page it had written says so, rather
/// than reload as if the run still trained. The page's own failure to be
/// written is left out: the run already fails with `error`.
rt::Error reportFailure(TrainingRun &run, const TrainOptions &options,
                        rt::Error error) {
  if (!error.ok() && run.reportHeader)
    (void)rt::writeFileAtomically(
        options.reportPath,
        renderTrainingReport(*run.reportHeader, run.state, nullptr,
                             ReportStatus::Failed, error.message()));
  return error;
}

} // namespace

rt::Error runTrainingLoop(TrainingRun &run, const TrainOptions &options,
                          const TrainingHooks &hooks) {
  run.failedMidStep = run.diverged = false;
  if (rt::Error error = checkLoopOptions(options); !error.ok())
    return error;
  // The fused step never holds the gradients outside its graph.
  if ((hooks.afterGradients || hooks.exchange) && !run.splitGraphs)
    return rt::Error::failure(
        "an afterGradients hook or a gradient exchange needs the training "
        "step split at its gradients (driver::trainModel splits it when "
        "either is set); a training artifact holds only the fused step");
  if (!run.splitGraphs)
    return reportFailure(run, options, runLoop(run, options, hooks, nullptr));
  SplitStep split(*run.splitGraphs, run.bufferNames, hooks.exchange);
  rt::Error error = split.prepareUpdate();
  if (error.ok())
    error = runLoop(run, options, hooks, &split);
  run.failedMidStep = !error.ok() && split.failedMidStep();
  run.diverged = !error.ok() && split.diverged();
  return reportFailure(run, options, std::move(error));
}

} // namespace nnc::train
