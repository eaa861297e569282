//===- TrainingOutputs.cpp - What a training run writes -------------------===//
//
// Kept apart from the loop (TrainingRun.cpp), which calls these when it
// starts (the report page's header) and when it stops.
//
//===----------------------------------------------------------------------===//

#include "train/TrainingOutputs.h"

#include "train/TrainingReport.h"

#include "runtime/FileIO.h"
#include "runtime/SvgPlot.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace nnc::train {
namespace {

/// `path` as a shell word: quoted when it holds anything but letters,
/// digits and `/._-+,:=@%`, so that a hint can be pasted as printed.
std::string shellWord(const std::string &path) {
  bool plain =
      !path.empty() && std::all_of(path.begin(), path.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               std::strchr("/._-+,:=@%", c);
      });
  if (plain)
    return path;
  std::string word = "'";
  for (char c : path)
    word += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return word + "'";
}

/// The --plot chart: the loss curve by step when --eval-every drew one,
/// else the loss per epoch.
rt::Error writeChart(const std::string &path, const TrainingState &state,
                     bool evaluated) {
  if (state.curve.empty()) {
    rt::PlotOptions byEpoch;
    byEpoch.firstX = static_cast<double>(state.historyStartEpoch + 1);
    return rt::writeLossChart(
        path, state.trainLoss,
        evaluated ? state.evalLoss : std::vector<double>(), byEpoch);
  }
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

/// Writes the training artifact of --save-artifact, if asked for, and says
/// how to continue from it.
rt::Error saveArtifact(TrainingRun &run, const TrainOptions &options,
                       const rt::BatchIteratorState &position,
                       const TrainingHooks &hooks) {
  if (options.saveArtifact.empty())
    return rt::Error::success();
  // Only a signal stops a run inside an epoch here (such a --max-steps is
  // refused before the first step); what else it writes still counts.
  if (position.position != 0) {
    if (hooks.onWarning)
      hooks.onWarning("--save-artifact: " + options.saveArtifact +
                      " is not written: the run stopped inside epoch " +
                      std::to_string(position.epoch + 1) +
                      ", and an artifact resumes only at an epoch boundary" +
                      (options.checkpointDir.empty()
                           ? " (--checkpoint DIR keeps such a stop)"
                           : ""));
    return rt::Error::success();
  }
  if (rt::Error error = run.saveArtifact(run.state, position); !error.ok())
    return error;
  say(hooks, "wrote the training artifact " + options.saveArtifact + " (step " +
                 std::to_string(run.state.stepCount) + ", epoch " +
                 std::to_string(position.epoch) + "); continue with --resume " +
                 shellWord(options.saveArtifact));
  return rt::Error::success();
}

} // namespace

/// The flags a resumed run must be given again with --resume DIR: the
/// frozen parameters, which a checkpoint holds no optimizer state for.
std::string resumeCommand(const std::string &dir, const TrainOptions &options) {
  std::string command = "--resume " + shellWord(dir);
  if (!options.freeze.empty()) {
    std::string patterns;
    for (const std::string &pattern : options.freeze)
      patterns += (patterns.empty() ? "" : ",") + pattern;
    command += " --freeze " + shellWord(patterns);
  }
  return command;
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
      {"schedule", run.settings.schedule.kind},
      {"optimizer", !run.optimizer.empty()
                        ? run.optimizer
                        : options.optimizer.value_or("the model's")},
      {"seed", std::to_string(run.seed)},
      {"training samples", std::to_string(run.trainSet.numSamples())},
      {"evaluation samples", std::to_string(run.evalSet.numSamples())},
  };
  for (const auto &[name, tensor] : run.state.params.values())
    header.parameterCount += tensor.numElements();
  header.frozen = run.frozen;
  header.evalEvery = run.settings.evalEvery;
  std::string dot = run.reportGraph ? run.reportGraph() : "";
  if (dot.empty()) {
    header.graphText = "(no model source: the run resumed an artifact)";
  } else if (rt::Expected<std::string> svg = renderDot(dot); svg.ok()) {
    header.graphSvg = *svg;
  } else {
    header.graphText =
        "(" + svg.message() + "; the graph in its language:)\n" + dot;
  }
  return header;
}

/// Tells `hooks` a line for the user, when they take one.
void say(const TrainingHooks &hooks, const std::string &line) {
  if (hooks.onMessage)
    hooks.onMessage(line);
}

/// Writes the parameters to --save's folder, if one was given.
rt::Error saveParameters(const TrainingState &state, const std::string &dir,
                         const TrainingHooks &hooks) {
  if (dir.empty())
    return rt::Error::success();
  if (rt::Error error = state.params.save(dir); !error.ok())
    return error;
  say(hooks, "saved " + std::to_string(state.params.values().size()) +
                 " parameters and buffers to " + dir);
  return rt::Error::success();
}

/// What the run writes when it stops: the parameters, the artifact and,
/// at its end, the chart. One that fails does not keep the others from
/// being written, the parameters first: they are what the run was for.
/// Returns the first failure.
rt::Error writeResults(TrainingRun &run, const TrainOptions &options,
                       const rt::BatchIteratorState &position, bool chart,
                       bool evaluated, const TrainingHooks &hooks) {
  rt::Error first = rt::Error::success();
  auto keep = [&](rt::Error error) {
    if (first.ok() && !error.ok())
      first = std::move(error);
  };
  keep(saveParameters(run.state, options.saveDir, hooks));
  keep(saveArtifact(run, options, position, hooks));
  if (chart && !options.plotPath.empty()) {
    rt::Error error = writeChart(options.plotPath, run.state, evaluated);
    if (error.ok())
      say(hooks, "wrote the loss chart to " + options.plotPath);
    keep(std::move(error));
  }
  return first;
}

rt::Error ReportPage::write(ReportStatus status, bool atCurvePoint) {
  if (path.empty())
    return rt::Error::success();
  auto now = std::chrono::steady_clock::now();
  if (atCurvePoint && lastWrite && now - *lastWrite < std::chrono::seconds(1))
    return rt::Error::success();
  lastWrite = now;
  std::optional<rt::GraphProfile> summary;
  if (run.state.stepCount > 0)
    summary = profile.summary();
  std::string page = renderTrainingReport(
      *run.reportHeader, run.state, summary ? &*summary : nullptr, status);
  return rt::writeFileAtomically(path, page);
}

rt::Error ReportPage::finish(ReportStatus status) {
  if (rt::Error error = write(status); !error.ok())
    return error;
  if (!path.empty())
    say(hooks, "wrote the report " + path);
  return rt::Error::success();
}

} // namespace nnc::train
