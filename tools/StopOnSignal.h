//===- StopOnSignal.h - Ctrl-C stops a training run at a step ---*- C++ -*-===//
//
// A training run ended by Ctrl-C (SIGINT), SIGTERM or SIGUSR1 (which batch
// schedulers send before a job's time runs out) loses what it trained
// since its last checkpoint, and never writes its --save. While a
// StopOnSignal lives, the first such signal only records itself; the
// trainer asks after each optimizer step (TrainingHooks::stopRequested) and
// stops there as --max-steps does: a checkpoint, --save, the report. The
// handler then gives the signal back its previous action, so a second one
// ends the process at once.
//
// A rank of a data-parallel job catches SIGUSR1 alone: mpirun forwards it
// to every rank, and the ranks agree on the step to stop after. Ctrl-C
// reaches the ranks as mpirun's SIGTERM, followed shortly by SIGKILL, and
// SIGTERM is also how mpirun ends a job one of whose ranks died; those
// stay with the communicator (distributed/MpiCommunicator.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_STOPONSIGNAL_H
#define NNC_TOOLS_STOPONSIGNAL_H

#include "train/TrainingHooks.h"

#include <csignal>
#include <vector>

namespace nnc::tools {

class StopOnSignal {
public:
  enum class Process { Alone, DataParallelRank };

  /// Catches the signals a `process` stops on and sets
  /// `hooks.stopRequested` and `hooks.onRequestedStop`.
  StopOnSignal(Process process, train::TrainingHooks &hooks);
  ~StopOnSignal();
  StopOnSignal(const StopOnSignal &) = delete;
  StopOnSignal &operator=(const StopOnSignal &) = delete;

  /// What a run that ended without error exits with: 128 + the signal
  /// when a signal stopped it (in a data-parallel job, on any rank), as a
  /// shell reports a process the signal ended, or 0 when the run had
  /// finished all the same. Ranks of a job but rank 0 exit 0 all the
  /// same: mpirun ends the whole job at the first rank that exits
  /// otherwise, maybe before rank 0 wrote.
  int exitCode() const;

private:
  Process process;
  std::vector<int> signals;
  std::vector<struct sigaction> previous;
};

} // namespace nnc::tools

#endif // NNC_TOOLS_STOPONSIGNAL_H
