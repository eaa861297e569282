//===- TrainCommands.cpp - nnc train and nnc eval -------------------------===//
//
// The trainer (driver/Trainer.h) on the console: progress, notes and
// warnings as the run goes, its failure as one line and an exit code.
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/Commands.h"

#include "driver/Trainer.h"
#include "train/ConsoleReporter.h"

#include "llvm/Support/raw_ostream.h"

#include <iostream>

namespace nnc::cli {

ExitCode runTrain(TrainOptions options) {
  train::ConsoleReporter console(std::cout, rt::isTerminal(1));
  options.hooks = console.install(options.hooks);
  return reportError(driver::trainModel(options));
}

ExitCode runEval(const EvalOptions &options) {
  rt::Expected<Metrics> metrics =
      driver::evaluateModel(options, train::stderrNotices());
  if (!metrics.ok())
    return reportError(metrics.takeError());
  llvm::outs() << train::formatMetrics(*metrics) << "\n";
  return Success;
}

} // namespace nnc::cli
