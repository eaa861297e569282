//===- ConsoleReporter.cpp - A training run's progress on a console -------===//

#include "train/ConsoleReporter.h"
#include "train/ExitCode.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

namespace nnc::train {
namespace {

/// `first`, then `second`, either of which may be empty.
template <typename T>
std::function<void(const T &)> chain(std::function<void(const T &)> first,
                                     std::function<void(const T &)> second) {
  if (!second)
    return first;
  return [first, second](const T &value) {
    first(value);
    second(value);
  };
}

} // namespace

TrainingHooks ConsoleReporter::install(const TrainingHooks &hooks) {
  TrainingHooks installed = hooks;
  installed.onEpochStart =
      chain<EpochStart>([this](const EpochStart &start) { startEpoch(start); },
                        hooks.onEpochStart);
  installed.onStepEnd = chain<StepReport>(
      [this](const StepReport &step) { finishStep(step); }, hooks.onStepEnd);
  installed.onCurvePoint = chain<CurvePointReport>(
      [this](const CurvePointReport &report) { curvePoint(report); },
      hooks.onCurvePoint);
  installed.onEpochEnd = chain<EpochReport>(
      [this](const EpochReport &report) { finishEpoch(report); },
      hooks.onEpochEnd);
  installed.onMessage = chain<std::string>(
      [this](const std::string &line) { message(line); }, hooks.onMessage);
  Notices console = stderrNotices();
  installed.onWarning = chain<std::string>(console.warning, hooks.onWarning);
  installed.onDiagnostic =
      chain<std::string>(console.diagnostic, hooks.onDiagnostic);
  installed.onJobAbort = chain<rt::Error>(
      [](const rt::Error &error) { reportError(error); }, hooks.onJobAbort);
  return installed;
}

Notices stderrNotices() {
  Notices notices;
  notices.warning = [](const std::string &warning) {
    llvm::errs() << ("warning: " + warning + "\n");
  };
  notices.diagnostic = [](const std::string &text) { llvm::errs() << text; };
  return notices;
}

void ConsoleReporter::message(const std::string &line) {
  if (progress)
    progress->note(line);
  else
    out << line << "\n";
  // Whatever the command writes next, on any stream, comes after it.
  out.flush();
}

void ConsoleReporter::endLine() {
  if (progress)
    progress->endLine();
}

void ConsoleReporter::startEpoch(const EpochStart &start) {
  if (!progress) {
    rt::ProgressOptions options;
    options.terminal = terminal;
    options.linesEveryBatches = std::max<int64_t>(1, start.batchesPerEpoch / 4);
    progress = std::make_unique<rt::ProgressBar>(out, options);
  }
  progress->startEpoch(start.epoch, start.epochs, start.samples,
                       start.samplesDone);
}

void ConsoleReporter::finishStep(const StepReport &step) {
  rt::ProgressMetrics running;
  running.loss = step.epochLoss;
  running.accuracy = step.epochAccuracy;
  progress->update(step.samplesDone, running);
}

void ConsoleReporter::curvePoint(const CurvePointReport &report) {
  const TrainingState::CurvePoint &point = report.point;
  std::string line = "step " + std::to_string(point.step) + ": train loss " +
                     llvm::formatv("{0:F4}", point.trainLoss).str() +
                     " (since step " + std::to_string(report.sinceStep) + ")";
  if (report.evaluated) {
    line += ", eval loss " + llvm::formatv("{0:F4}", point.evalLoss).str();
    // NaN where the loss does not say how to score.
    if (point.evalAccuracy == point.evalAccuracy)
      line += ", eval accuracy " +
              llvm::formatv("{0:F3}", point.evalAccuracy).str();
  }
  progress->note(line);
}

void ConsoleReporter::finishEpoch(const EpochReport &report) {
  rt::ProgressMetrics train{report.loss, report.accuracy};
  std::optional<rt::ProgressMetrics> eval;
  if (report.evalLoss)
    eval = rt::ProgressMetrics{report.evalLoss, report.evalAccuracy};
  progress->finishEpoch(train, eval);
}

} // namespace nnc::train
