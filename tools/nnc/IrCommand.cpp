//===- IrCommand.cpp - nnc ir ---------------------------------------------===//
//
// Prints a model lowered to a stage (driver/IrStages.h): its IR, its
// Graphviz drawing, or each function's plan statistics.
//
//===----------------------------------------------------------------------===//

#include "driver/IrStages.h"
#include "frontend/MLIRGen.h"
#include "tools/nnc/Commands.h"

#include "mlir/IR/OperationSupport.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/ViewOpGraph.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

namespace nnc::cli {
namespace {

/// Prints the plan statistics of every function of `staged`.
ExitCode printStats(driver::StagedModule &staged, const IrOptions &options) {
  rt::Expected<std::vector<driver::FunctionStats>> all =
      driver::planStatistics(staged, options.optimizations.inPlace);
  if (!all.ok())
    return reportError(all.takeError());
  for (const driver::FunctionStats &function : *all) {
    const GraphStats &stats = function.stats;
    if (options.json) {
      llvm::outs() << "{\"function\": \"" << function.function
                   << "\", \"ops\": " << stats.ops
                   << ", \"fusion_groups\": " << stats.fusionGroups
                   << ", \"kernels\": " << stats.kernels
                   << ", \"arena_bytes\": " << stats.arenaBytes
                   << ", \"in_place_values\": " << stats.inPlaceValues
                   << ", \"flops\": " << stats.flops
                   << ", \"peak_live_bytes\": " << stats.peakLiveBytes
                   << ", \"state_bytes\": " << stats.stateBytes
                   << ", \"state_updates_in_place\": "
                   << stats.stateUpdatesInPlace << "}\n";
      continue;
    }
    llvm::outs() << "@" << function.function << "\n"
                 << formatGraphStats(stats) << "\n";
  }
  return Success;
}

} // namespace

ExitCode runIr(const IrOptions &options) {
  if (options.batch < 0) {
    llvm::errs() << "error: --batch must be positive (leave it out to keep "
                    "the batch dimension symbolic)\n";
    return UsageError;
  }
  const driver::IrStage *stage = driver::findIrStage(options.stage);
  if (!stage) {
    std::vector<std::string> names;
    for (const driver::IrStage &candidate : driver::irStages())
      names.push_back(candidate.name);
    llvm::errs() << "error: unknown stage '" << options.stage
                 << "' (stages: " << llvm::join(names, ", ") << ")\n";
    return UsageError;
  }
  rt::Expected<driver::StagedModule> staged = driver::lowerToStage(
      options.modelPath, *stage, options.batch, options.optimizations,
      [](const std::string &rendered) { llvm::errs() << rendered; });
  if (!staged.ok())
    return reportError(staged.takeError());
  if (options.dot) {
    mlir::PassManager pm(staged->context.get());
    pm.addPass(mlir::createPrintOpGraphPass(llvm::outs()));
    return mlir::succeeded(pm.run(*staged->module)) ? Success : UserError;
  }
  if (options.stats) {
    // Planning needs static shapes; without this the planner's diagnostic
    // at the first input would name a pass, not the missing flag.
    if (options.batch == 0 &&
        (*staged->module)->hasAttr(frontend::attrs::kBatchSymbol)) {
      llvm::errs() << "error: --stats needs --batch N: the model has a batch "
                      "dimension, and plans are made for one batch size\n";
      return UsageError;
    }
    return printStats(*staged, options);
  }

  mlir::OpPrintingFlags flags;
  flags.enableDebugInfo(options.locations, /*prettyForm=*/false);
  staged->module->print(llvm::outs(), flags);
  llvm::outs() << "\n";
  return Success;
}

} // namespace nnc::cli
