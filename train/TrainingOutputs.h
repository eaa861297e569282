//===- TrainingOutputs.h - What a training run writes -----------*- C++ -*-===//
//
// The training loop's outputs besides its checkpoints: the parameters of
// --save, the artifact of --save-artifact, the chart of --plot and the
// header of the --report page, and the lines that tell the user where they
// went. Internal to the loop (TrainingRun.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_TRAININGOUTPUTS_H
#define NNC_TRAIN_TRAININGOUTPUTS_H

#include "train/TrainingProfile.h"
#include "train/TrainingReport.h"
#include "train/TrainingRun.h"

#include <chrono>
#include <optional>
#include <string>

namespace nnc::train {

/// The flags a resumed run must be given again with --resume DIR: the
/// frozen parameters, which a checkpoint holds no optimizer state for.
std::string resumeCommand(const std::string &dir, const TrainOptions &options);

/// What the --report page shows of the run besides its state.
ReportHeader makeReportHeader(const TrainingRun &run,
                              const TrainOptions &options);

/// The --report page, rewritten at every epoch's end, at curve points at
/// most once a second (a page that reloads every 5 s shows no more, and
/// each write renders every point so far: writing at every point of a long
/// run cost time growing with its square), and at the run's end.
class ReportPage {
public:
  /// A page at `path` (empty: no page; write and finish do nothing) of
  /// `run`, whose reportHeader is made, with `profile`'s kernel summary.
  ReportPage(std::string path, const TrainingRun &run,
             const TrainingProfile &profile, const TrainingHooks &hooks)
      : path(std::move(path)), run(run), profile(profile), hooks(hooks) {}

  /// Renders the page as the run stands, with `status`; at a curve point
  /// (`atCurvePoint`) only when a second passed since the last write.
  rt::Error write(ReportStatus status, bool atCurvePoint = false);
  /// The page's last write, which no longer reloads, and the line that
  /// says where it went.
  rt::Error finish(ReportStatus status);

private:
  std::string path;
  const TrainingRun &run;
  const TrainingProfile &profile;
  const TrainingHooks &hooks;
  std::optional<std::chrono::steady_clock::time_point> lastWrite;
};

/// Tells `hooks` a line for the user, when they take one.
void say(const TrainingHooks &hooks, const std::string &line);

/// Writes the parameters to --save's folder, if one was given.
rt::Error saveParameters(const TrainingState &state, const std::string &dir,
                         const TrainingHooks &hooks);

/// What the run writes when it stops: the parameters, the artifact and,
/// at its end (`chart`), the chart, with the evaluation loss when
/// `evaluated`. One that fails does not keep the others from being
/// written; returns the first failure.
rt::Error writeResults(TrainingRun &run, const TrainOptions &options,
                       const rt::BatchIteratorState &position, bool chart,
                       bool evaluated, const TrainingHooks &hooks);

} // namespace nnc::train

#endif // NNC_TRAIN_TRAININGOUTPUTS_H
