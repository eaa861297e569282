//===- StopOnSignal.cpp - Ctrl-C stops a training run at a step -----------===//

#include "tools/StopOnSignal.h"

namespace nnc::tools {
namespace {

volatile std::sig_atomic_t caughtSignal = 0;

extern "C" void recordSignal(int signal) { caughtSignal = signal; }

} // namespace

StopOnSignal::StopOnSignal(bool enabled, train::TrainingHooks &hooks)
    : enabled(enabled) {
  caughtSignal = 0;
  if (!enabled)
    return;
  hooks.stopRequested = [] { return caughtSignal != 0; };
  struct sigaction action {};
  action.sa_handler = recordSignal;
  sigemptyset(&action.sa_mask);
  // The first signal resets the action to the default: a second ends the
  // process at once, as a user pressing Ctrl-C again means.
  action.sa_flags = SA_RESETHAND | SA_RESTART;
  sigaction(SIGINT, &action, &previousInterrupt);
  sigaction(SIGTERM, &action, &previousTerminate);
}

StopOnSignal::~StopOnSignal() {
  if (!enabled)
    return;
  sigaction(SIGINT, &previousInterrupt, nullptr);
  sigaction(SIGTERM, &previousTerminate, nullptr);
}

int StopOnSignal::caught() { return caughtSignal; }

} // namespace nnc::tools
