//===- StopOnSignal.h - Ctrl-C stops a training run at a step ---*- C++ -*-===//
//
// A training run ended by Ctrl-C (SIGINT) or SIGTERM loses what it trained
// since its last checkpoint, and never writes its --save. While a
// StopOnSignal lives, the first such signal only records itself; the
// trainer asks after each optimizer step (TrainingHooks::stopRequested) and
// stops there as --max-steps does: a checkpoint, --save, the report. The
// handler then gives the signal back its previous action, so a second one
// ends the process at once.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_STOPONSIGNAL_H
#define NNC_TOOLS_STOPONSIGNAL_H

#include "train/TrainingHooks.h"

#include <csignal>

namespace nnc::tools {

class StopOnSignal {
public:
  /// When `enabled`, catches the signals and sets `hooks.stopRequested`
  /// (a data-parallel job's ranks would stop at different steps: its
  /// caller passes false, leaving the signals as they are).
  StopOnSignal(bool enabled, train::TrainingHooks &hooks);
  ~StopOnSignal();
  StopOnSignal(const StopOnSignal &) = delete;
  StopOnSignal &operator=(const StopOnSignal &) = delete;

  /// The signal caught (SIGINT or SIGTERM), or 0.
  static int caught();

private:
  bool enabled;
  struct sigaction previousInterrupt {};
  struct sigaction previousTerminate {};
};

} // namespace nnc::tools

#endif // NNC_TOOLS_STOPONSIGNAL_H
