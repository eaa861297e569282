//===- TrainingRun.cpp - The training loop over any source of graphs ------===//

#include "train/TrainingRun.h"

#include "train/DataArguments.h"
#include "train/DistributedTraining.h"
#include "train/Evaluator.h"
#include "train/ExitCode.h"
#include "train/OutputWriter.h"
#include "train/ProfileReport.h"
#include "train/TrainingReport.h"

#include "runtime/FileIO.h"
#include "runtime/ProgressBar.h"
#include "runtime/SvgPlot.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <oneapi/tbb/info.h>

#include <cmath>
#include <cstdio>
#include <iostream>

namespace nnc::train {
namespace {

bool fail(const std::string &message) {
  llvm::errs() << "error: " << message << "\n";
  return false;
}

/// The learning rate of `step` (1-based) in `epoch` (0-based).
double learningRate(const ScheduleOptions &schedule, double base, int64_t epoch,
                    int64_t step, int64_t totalSteps) {
  if (schedule.kind == "step")
    return base * std::pow(schedule.gamma,
                           static_cast<double>(epoch / schedule.stepEpochs));
  if (schedule.kind == "cosine" && totalSteps > 1) {
    double t = static_cast<double>(step - 1) / (totalSteps - 1);
    return schedule.minLr +
           0.5 * (base - schedule.minLr) * (1 + std::cos(M_PI * t));
  }
  return base;
}

/// The training steps of the run, made before the first epoch so that a
/// missing one fails at once: the full batch, and the last partial one.
struct Steps {
  CompiledGraph *full = nullptr, *partial = nullptr;
};

std::optional<Steps> makeSteps(TrainingRun &run) {
  int64_t samples = run.trainSet.numSamples();
  Steps steps;
  // Data-parallel steps are compiled per shard size, as they come.
  if (run.distributed)
    return steps;
  if (samples >= run.batch &&
      !(steps.full = run.graphs->trainingStep(run.batch)))
    return std::nullopt;
  if (samples % run.batch &&
      !(steps.partial = run.graphs->trainingStep(samples % run.batch)))
    return std::nullopt;
  return steps;
}

/// Runs one step on `current` and adds its loss and score to the epoch's
/// sums.
bool runStep(TrainingRun &run, CompiledGraph &step, const rt::Batch &current) {
  TrainingState &state = run.state;
  rt::Error ran = step.run(
      [&](rt::BindingRole role, const std::string &name) -> const rt::Tensor * {
        if (role == rt::BindingRole::Input)
          return current.column(name);
        return findStateTensor(state, role, name);
      });
  if (!ran.ok())
    return fail(ran.message());
  if (!swapInUpdates(step, state))
    return false;
  CompiledGraph::Result *loss = step.findResult(rt::BindingRole::Loss, "loss");
  if (!loss)
    return fail("the training step returns no loss");
  double lossValue = scalarValue(loss->tensor);
  if (!std::isfinite(lossValue)) {
    llvm::errs() << "error: the loss diverged (" << lossValue << ") at step "
                 << state.stepCount << "; try a lower --lr\n";
    return false;
  }
  state.addLoss(lossValue * current.size(), current.size());
  const std::optional<AccuracySpec> &accuracy = run.graphs->accuracy();
  if (!accuracy)
    return true;
  CompiledGraph::Result *predictions =
      step.findResult(rt::BindingRole::Output, accuracy->outputName);
  const rt::Tensor *labels = current.column(accuracy->labelInput);
  if (predictions && labels) {
    auto [right, total] = countCorrect(*accuracy, predictions->tensor, *labels);
    state.addScore(right, total);
  }
  return true;
}

/// Ends an interval of the loss curve at this step: the mean training loss
/// of its steps and, with an evaluator, the evaluation loss now.
bool addCurvePoint(TrainingState &state, std::optional<Evaluator> &evaluator,
                   rt::ProgressBar &progress) {
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
  std::string line =
      "step " + std::to_string(point.step) + ": train loss " +
      llvm::formatv("{0:F4}", point.trainLoss).str() + " (since step " +
      std::to_string(state.curve.empty() ? 0 : state.curve.back().step) + ")";
  if (evaluator) {
    std::optional<Metrics> metrics = evaluator->evaluate(state.params);
    if (!metrics)
      return false;
    point.evalLoss = metrics->loss;
    if (metrics->accuracy)
      point.evalAccuracy = *metrics->accuracy;
    line += ", eval loss " + llvm::formatv("{0:F4}", metrics->loss).str();
    if (metrics->accuracy)
      line += ", eval accuracy " +
              llvm::formatv("{0:F3}", *metrics->accuracy).str();
  }
  state.curve.push_back(point);
  state.intervalLossSum = 0;
  state.intervalSamples = state.intervalCorrect = state.intervalScored = 0;
  progress.note(line);
  return true;
}

/// The --plot chart: the loss curve by step when --eval-every drew one,
/// else the loss per epoch.
rt::Error writeChart(const std::string &path, const TrainingState &state,
                     bool evaluated) {
  if (state.curve.empty())
    return rt::writeLossChart(path, state.trainLoss,
                              evaluated ? state.evalLoss
                                        : std::vector<double>());
  rt::PlotSeries train{"train", "#1f77b4", {}, {}};
  rt::PlotSeries eval{"eval", "#ff7f0e", {}, {}};
  for (const TrainingState::CurvePoint &point : state.curve) {
    train.x.push_back(static_cast<double>(point.step));
    train.values.push_back(point.trainLoss);
    eval.x.push_back(static_cast<double>(point.step));
    eval.values.push_back(point.evalLoss);
  }
  std::vector<rt::PlotSeries> series{train};
  if (evaluated)
    series.push_back(eval);
  rt::PlotOptions options;
  options.title = "loss by step";
  options.xLabel = "step";
  return rt::writeLineChart(path, series, options);
}

/// What the --report page shows of the run besides its state.
ReportHeader makeReportHeader(const TrainingRun &run,
                              const TrainOptions &options) {
  ReportHeader header;
  header.model =
      options.modelPath.empty() ? options.resumeDir : options.modelPath;
  header.settings = {
      {"command", "nnc train"},
      {"backend", run.graphs->backendName()},
      {"threads", options.session.threads == 0
                      ? std::string("all cores")
                      : std::to_string(options.session.threads)},
      {"epochs", std::to_string(run.epochs)},
      {"batch", std::to_string(run.batch)},
      {"learning rate", shortNumber(run.baseLr)},
      {"schedule", options.schedule.kind.empty() ? std::string("constant")
                                                 : options.schedule.kind},
      {"optimizer", options.optimizer.value_or("the model's")},
      {"seed", std::to_string(run.seed)},
      {"training samples", std::to_string(run.trainSet.numSamples())},
      {"evaluation samples", std::to_string(run.evalSet.numSamples())},
  };
  for (const auto &[name, tensor] : run.state.params.values())
    header.parameterCount += tensor.numElements();
  header.frozen = run.frozen;
  std::string dot = run.reportGraph ? run.reportGraph() : "";
  if (std::optional<std::string> svg = renderDot(dot))
    header.graphSvg = *svg;
  else
    header.graphText = dot.empty() ? "(no model source: the run resumed an "
                                     "artifact)"
                                   : "(Graphviz's dot is not installed; the "
                                     "graph in its language:)\n" +
                                         dot;
  return header;
}

/// What the run writes at its end: the artifact, the parameters, the chart.
/// Writes the parameters to --save's folder, if one was given.
bool saveParameters(const TrainingState &state, const std::string &dir) {
  if (dir.empty())
    return true;
  if (rt::Error error = state.params.save(dir); !error.ok()) {
    reportError(error);
    return false;
  }
  llvm::outs() << "saved " << state.params.values().size()
               << " parameters and buffers to " << dir << "\n";
  return true;
}

ExitCode finishRun(TrainingRun &run, const TrainOptions &options,
                   const rt::BatchIteratorState &position, bool evaluated) {
  TrainingState &state = run.state;
  if (run.distributed) {
    if (!run.distributed->isRoot())
      return Success;
    run.distributed->printSummary(llvm::outs());
  }
  if (!options.saveArtifact.empty() && !run.saveArtifact(state, position))
    return UserError;
  if (!saveParameters(state, options.saveDir))
    return UserError;
  if (!options.plotPath.empty()) {
    if (rt::Error error = writeChart(options.plotPath, state, evaluated);
        !error.ok())
      return reportUserError(error.message());
    llvm::outs() << "wrote the loss chart to " << options.plotPath << "\n";
  }
  return Success;
}

} // namespace

ExitCode loadTrainingData(const TrainOptions &options,
                          const frontend::Program &program, TrainingRun &run) {
  CsvArguments csv{options.csvHeader};
  if (ExitCode code =
          loadDataArguments(options.data, "--data", program, csv, run.trainSet))
    return code;
  if (ExitCode code = loadDataArguments(options.evalData, "--eval-data",
                                        program, csv, run.evalSet))
    return code;
  std::vector<std::string> inputs;
  for (const frontend::Argument &arg : program.arguments)
    if (arg.role == frontend::Argument::Role::Input)
      inputs.push_back(arg.name);
  for (const std::string &name : inputs) {
    if (!run.trainSet.column(name))
      return reportUserError("missing --data " + name + "=FILE (inputs: " +
                             llvm::join(inputs, ", ") + ")");
    if (run.evalSet.numColumns() && !run.evalSet.column(name))
      return reportUserError("missing --eval-data " + name + "=FILE");
  }
  if (run.trainSet.numSamples() == 0)
    return reportUserError("the training data has no samples");
  return Success;
}

bool checkEpochBoundary(const rt::BatchIteratorState &position) {
  if (position.position == 0)
    return true;
  return fail("--save-artifact: the run stopped inside epoch " +
              std::to_string(position.epoch + 1) +
              "; an artifact resumes only at an epoch boundary (use "
              "--checkpoint to stop mid-epoch)");
}

bool writeTrainingArtifact(rt::Artifact &artifact, const std::string &path,
                           const TrainingState &state,
                           const rt::BatchIteratorState &position) {
  artifact.training->step = state.stepCount;
  artifact.training->epoch = position.epoch;
  if (rt::Error error = rt::writeArtifact(path, artifact); !error.ok())
    return fail(error.message());
  llvm::outs() << "wrote the training artifact " << path << " (step "
               << state.stepCount << ", epoch " << position.epoch
               << "); continue with --resume " << path << "\n";
  return true;
}

ExitCode runTrainingLoop(TrainingRun &run, const TrainOptions &options) {
  if (options.evalEvery < 0 || options.checkpointEvery < 0) {
    llvm::errs()
        << "error: --eval-every and --checkpoint-every must not be negative\n";
    return UsageError;
  }
  std::optional<Steps> steps = makeSteps(run);
  if (!steps)
    return UserError;
  // --profile, --trace: the full-batch step, over the whole run.
  std::optional<rt::KernelProfiler> profiler;
  bool reportPage = !options.reportPath.empty() &&
                    (!run.distributed || run.distributed->isRoot());
  if ((options.profile.any() || reportPage) && steps->full) {
    profiler.emplace();
    steps->full->setProfiler(&*profiler);
  }
  auto reportTheProfile = [&]() -> ExitCode {
    if (!profiler)
      return Success;
    steps->full->setProfiler(nullptr);
    return reportProfile(options.profile, *profiler, steps->full->plan(),
                         steps->full->executable(), run.graphs->threads(),
                         "the training steps of batch " +
                             std::to_string(run.batch),
                         "nnc train", llvm::outs());
  };
  TrainingState &state = run.state;
  int64_t samples = run.trainSet.numSamples();
  rt::BatchOptions batchOptions;
  batchOptions.batchSize = run.batch;
  batchOptions.shuffle = options.shuffle;
  batchOptions.seed = run.seed;
  rt::Expected<rt::BatchIterator> batches =
      rt::BatchIterator::create(run.trainSet, batchOptions);
  if (!batches.ok())
    return reportUserError(batches.message());
  if (run.resumeAt)
    if (rt::Error error = batches->restore(*run.resumeAt); !error.ok())
      return reportUserError(options.resumeDir + ": " + error.message());

  // Of the ranks of a data-parallel run, rank 0 alone reports, evaluates
  // and writes; the parameters are the same everywhere.
  bool reporting = !run.distributed || run.distributed->isRoot();
  std::ostream silenced(nullptr); // discards what it is given
  std::ostream &out = reporting ? std::cout : silenced;
  const std::string &checkpointDir =
      reporting ? options.checkpointDir : std::string();

  std::optional<Evaluator> evaluator;
  if (run.evalSet.numColumns() && reporting)
    evaluator.emplace(*run.graphs, run.evalSet, run.evalBatch);
  rt::ProgressOptions progressOptions;
  progressOptions.terminal = reporting && rt::isTerminal(1);
  progressOptions.linesEveryBatches =
      std::max<int64_t>(1, batches->batchesPerEpoch() / 4);
  rt::ProgressBar progress(out, progressOptions);
  // --report: the page, rewritten at every curve point, every epoch's end
  // and the run's end.
  ReportHeader reportHeader;
  if (reportPage)
    reportHeader = makeReportHeader(run, options);
  auto writeReport = [&](bool complete) {
    if (!reportPage)
      return true;
    std::optional<rt::GraphProfile> summary;
    if (profiler && state.stepCount > 0)
      summary =
          rt::summarizeProfile(*profiler, steps->full->plan(),
                               static_cast<int>(run.graphs->threads()),
                               backendSummaries(steps->full->executable()));
    if (summary)
      summary->peakGflops = machinePeakGflops(run.graphs->threads());
    std::string page = renderTrainingReport(
        reportHeader, state, summary ? &*summary : nullptr, complete);
    if (rt::Error error = rt::writeFileAtomically(options.reportPath, page);
        !error.ok())
      return fail(error.message());
    return true;
  };
  // The folders of the files written at the end are made now, so that a
  // bad path fails before training, not after it.
  for (const std::string *path : {&options.reportPath, &options.plotPath}) {
    llvm::StringRef folder = llvm::sys::path::parent_path(*path);
    if (reporting && !folder.empty())
      if (std::error_code ec = llvm::sys::fs::create_directories(folder))
        return reportUserError(folder.str() + ": " + ec.message());
  }
  if (!writeReport(false))
    return UserError;
  // With --accumulate K, K batches (fewer at the end of an epoch) make one
  // optimizer step; steps, the schedule, progress and checkpoints count
  // optimizer steps.
  int64_t accumulate = std::max<int64_t>(1, options.accumulate);
  int64_t stepsPerEpoch =
      (batches->batchesPerEpoch() + accumulate - 1) / accumulate;
  int64_t totalSteps = run.epochs * stepsPerEpoch;

  // Where the learning rate may jump rather than move step by step: the
  // first step of an epoch (a step schedule's decay) and the first step of
  // a resumed run (a new --lr).
  bool atJump = true;
  for (int64_t epoch = batches->state().epoch; epoch < run.epochs; ++epoch) {
    progress.startEpoch(epoch + 1, run.epochs, samples);
    atJump = true;
    // A resumed run stands at the start of a group.
    int64_t batchInEpoch = batches->state().position / run.batch;
    while (true) {
      rt::Expected<bool> more = batches->next();
      if (!more.ok())
        return reportUserError(more.message());
      if (!*more)
        break;
      const rt::Batch &current = batches->batch();
      bool groupStart = batchInEpoch % accumulate == 0;
      bool groupEnd = batchInEpoch % accumulate == accumulate - 1 ||
                      batches->state().position >= samples;
      ++batchInEpoch;
      if (groupStart) {
        ++state.stepCount;
        state.step.view().data<int64_t>()[0] = state.stepCount;
        state.setLearningRate(learningRate(options.schedule, run.baseLr, epoch,
                                           state.stepCount, totalSteps),
                              atJump);
        atJump = false;
      }
      if (run.distributed) {
        if (!run.distributed->step(run, current, groupStart, groupEnd))
          return UserError;
        if (!groupEnd)
          continue;
      } else if (!runStep(run,
                          current.size() == run.batch ? *steps->full
                                                      : *steps->partial,
                          current)) {
        return UserError;
      }
      rt::ProgressMetrics running;
      running.loss = state.epochLossSum / state.epochSamples;
      if (state.epochScored)
        running.accuracy =
            static_cast<double>(state.epochCorrect) / state.epochScored;
      progress.update(
          batches->state().position == 0 ? samples : batches->state().position,
          running);
      if (options.evalEvery > 0 && state.stepCount % options.evalEvery == 0 &&
          (!addCurvePoint(state, evaluator, progress) || !writeReport(false)))
        return UserError;
      if (!checkpointDir.empty() && options.checkpointEvery > 0 &&
          state.stepCount % options.checkpointEvery == 0 &&
          !writeTrainingCheckpoint(checkpointDir, state, batches->state()))
        return UserError;
      if (options.maxSteps > 0 && state.stepCount >= options.maxSteps) {
        std::cout.flush();
        if (!checkpointDir.empty() &&
            !writeTrainingCheckpoint(checkpointDir, state, batches->state()))
          return UserError;
        if (!options.saveArtifact.empty() &&
            !run.saveArtifact(state, batches->state()))
          return UserError;
        if (reporting && !saveParameters(state, options.saveDir))
          return UserError;
        if (reporting)
          llvm::outs() << "stopped after " << state.stepCount << " steps"
                       << (checkpointDir.empty()
                               ? std::string()
                               : "; resume with --resume " + checkpointDir)
                       << "\n";
        return reportTheProfile();
      }
    }

    rt::ProgressMetrics trainMetrics;
    trainMetrics.loss =
        state.epochLossSum / std::max<int64_t>(1, state.epochSamples);
    if (state.epochScored)
      trainMetrics.accuracy =
          static_cast<double>(state.epochCorrect) / state.epochScored;
    std::optional<rt::ProgressMetrics> evalMetrics;
    if (evaluator) {
      std::optional<Metrics> metrics = evaluator->evaluate(state.params);
      if (!metrics)
        return UserError;
      evalMetrics = rt::ProgressMetrics{metrics->loss, metrics->accuracy};
    }
    progress.finishEpoch(trainMetrics, evalMetrics);
    if (options.onEpochEnd) {
      EpochReport report;
      report.epoch = epoch + 1;
      report.loss = *trainMetrics.loss;
      report.accuracy = trainMetrics.accuracy;
      if (evalMetrics) {
        report.evalLoss = evalMetrics->loss;
        report.evalAccuracy = evalMetrics->accuracy;
      }
      options.onEpochEnd(report);
    }
    state.trainLoss.push_back(*trainMetrics.loss);
    state.evalLoss.push_back(evalMetrics ? *evalMetrics->loss : NAN);
    state.trainAccuracy.push_back(trainMetrics.accuracy.value_or(NAN));
    state.evalAccuracy.push_back(
        evalMetrics ? evalMetrics->accuracy.value_or(NAN) : NAN);
    state.epochLossSum = 0;
    state.epochSamples = state.epochCorrect = state.epochScored = 0;
    if (!checkpointDir.empty() &&
        !writeTrainingCheckpoint(checkpointDir, state, batches->state()))
      return UserError;
    if (!writeReport(false))
      return UserError;
  }
  std::cout.flush();
  if (!writeReport(true))
    return UserError;
  if (reportPage)
    out << "wrote the report " << options.reportPath << "\n";
  if (ExitCode code =
          finishRun(run, options, batches->state(), evaluator.has_value()))
    return code;
  return reportTheProfile();
}

} // namespace nnc::train
