//===- ConsoleReporter.h - A training run on a console ----------*- C++ -*-===//
//
// What `nnc train` shows while it trains: a progress bar on a terminal (or
// a few lines per epoch otherwise), a line per epoch, the points of the
// loss curve, and the notes of what the run wrote, on a stream; warnings,
// diagnostics and the error that ends a data-parallel job on stderr. The
// loop prints nothing itself: the command installs this through
// TrainingHooks, and stderrNotices for the calls that take Notices.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_CONSOLEREPORTER_H
#define NNC_TRAIN_CONSOLEREPORTER_H

#include "train/TrainingHooks.h"

#include "runtime/ProgressBar.h"

#include <memory>
#include <ostream>
#include <string>

namespace nnc::train {

class ConsoleReporter {
public:
  /// Reports on `out`; draws a bar that redraws itself when `terminal`.
  ConsoleReporter(std::ostream &out, bool terminal)
      : out(out), terminal(terminal) {}

  /// `hooks` with this reporter's callbacks run first and theirs after,
  /// so a caller's hook sees what the console has shown. The reporter must
  /// outlive the run.
  TrainingHooks install(const TrainingHooks &hooks);

  /// Writes `line` on a line of its own (between bar updates).
  void message(const std::string &line);

  /// Ends the bar's line if a run stopped inside an epoch left it open, so
  /// that an error printed next starts a line of its own.
  void endLine();

private:
  void startEpoch(const EpochStart &start);
  void finishStep(const StepReport &step);
  void curvePoint(const CurvePointReport &report);
  void finishEpoch(const EpochReport &report);

  std::ostream &out;
  bool terminal;
  /// Made at the first epoch, when the epoch's batches are known.
  std::unique_ptr<rt::ProgressBar> progress;
};

/// Notices shown as the command line shows them: warnings as "warning:
/// MESSAGE" lines and diagnostics as they are, on stderr.
Notices stderrNotices();

} // namespace nnc::train

#endif // NNC_TRAIN_CONSOLEREPORTER_H
