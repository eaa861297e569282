//===- StopOnSignal.cpp - Ctrl-C stops a training run at a step -----------===//

#include "tools/StopOnSignal.h"

#include "distributed/Communicator.h"

namespace nnc::tools {
namespace {

volatile std::sig_atomic_t caughtSignal = 0;
/// Whether the run stopped at a request, this process's or, in a
/// data-parallel job, another rank's: a signal that comes after the last
/// step asked (during the final evaluation, say) stops nothing.
bool stopped = false;

extern "C" void recordSignal(int signal) { caughtSignal = signal; }

} // namespace

StopOnSignal::StopOnSignal(Process process, train::TrainingHooks &hooks)
    : process(process) {
  caughtSignal = 0;
  signals = process == Process::Alone
                ? std::vector<int>{SIGINT, SIGTERM, SIGUSR1}
                : std::vector<int>{SIGUSR1};
  previous.resize(signals.size());
  stopped = false;
  hooks.stopRequested = [] { return caughtSignal != 0; };
  hooks.onRequestedStop = [] { stopped = true; };
  struct sigaction action {};
  action.sa_handler = recordSignal;
  sigemptyset(&action.sa_mask);
  // The first signal resets the action to the default: a second ends the
  // process at once, as a user pressing Ctrl-C again means.
  action.sa_flags = SA_RESETHAND | SA_RESTART;
  for (size_t i = 0; i < signals.size(); ++i)
    sigaction(signals[i], &action, &previous[i]);
}

StopOnSignal::~StopOnSignal() {
  for (size_t i = 0; i < signals.size(); ++i)
    sigaction(signals[i], &previous[i], nullptr);
}

int StopOnSignal::exitCode() const {
  if (!stopped ||
      (process == Process::DataParallelRank && dist::launcherRank() > 0))
    return 0;
  // A rank stopped by another's signal has caught none: the job's signal
  // is SIGUSR1, the only one its ranks stop on.
  return 128 + (caughtSignal != 0 ? caughtSignal : SIGUSR1);
}

} // namespace nnc::tools
