//===- TrainCommands.cpp - nnc train and nnc eval -------------------------===//
//
// The trainer (driver/Trainer.h) on the console: progress, notes and
// warnings as the run goes, its failure as one line and an exit code.
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/Commands.h"

#include "distributed/Communicator.h"
#include "driver/Trainer.h"
#include "tools/StopOnSignal.h"
#include "train/ConsoleReporter.h"

#include "llvm/Support/raw_ostream.h"

#include <iostream>

namespace nnc::cli {

ExitCode runTrain(TrainOptions options) {
  // Open MPI gives each rank a pseudo-terminal whatever mpirun's own output
  // is, so a rank cannot tell a log file from a terminal: a data-parallel
  // run prints plain lines, which read right in both.
  train::ConsoleReporter console(std::cout, rt::isTerminal(1) &&
                                                !options.distributed.enabled);
  options.hooks = console.install(options.hooks);
  // The ranks of a data-parallel job open the same model (they check it at
  // start-up) before they know their ranks from MPI, so the launcher's rank
  // picks the one that shows what opening it says. Each rank still reports
  // its own errors.
  if (options.distributed.enabled && dist::launcherRank() > 0) {
    options.hooks.onWarning = nullptr;
    options.hooks.onDiagnostic = nullptr;
  }
  tools::StopOnSignal stop(options.distributed.enabled
                               ? tools::StopOnSignal::Process::DataParallelRank
                               : tools::StopOnSignal::Process::Alone,
                           options.hooks);
  train::CodedError error = driver::trainModel(options);
  console.endLine();
  if (error.ok() && stop.exitCode() != 0)
    return static_cast<ExitCode>(stop.exitCode());
  return reportError(error);
}

ExitCode runEval(const EvalOptions &options) {
  // evaluateModel refuses it too, as any caller's error; on the command
  // line it is a usage error.
  if (options.batch < 1)
    return reportError(train::CodedError::usage("--batch must be positive"));
  rt::Expected<Metrics> metrics =
      driver::evaluateModel(options, train::stderrNotices());
  if (!metrics.ok())
    return reportError(metrics.takeError());
  llvm::outs() << train::formatMetrics(*metrics) << "\n";
  return Success;
}

} // namespace nnc::cli
