//===- IrCommand.cpp - nnc ir ---------------------------------------------===//

#include "tools/nnc/Commands.h"
#include "tools/nnc/Context.h"
#include "tools/nnc/ModelLoader.h"
#include "tools/nnc/ModelSession.h"
#include "tools/nnc/SourceDiagnosticHandler.h"

#include "passes/ExecutionPlanner.h"
#include "passes/GraphStats.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/ViewOpGraph.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

namespace nnc::cli {
namespace {

struct Stage {
  const char *name;
  /// The passes that lead to it from the frontend's module.
  const char *pipeline;
  /// Whether the graph optimisations (nn-optimize, nn-fuse) run last.
  bool optimized;
};

/// The stages `nnc ir --stage` accepts, in pipeline order.
constexpr Stage kStages[] = {
    {"frontend", "", false},
    {"grad", "nn-autodiff", false},
    {"train-step", "nn-training-step", false},
    {"optimized", "", true},
    {"optimized-train-step", "nn-training-step", true},
};

/// Prints the plan statistics of every function of `module`.
bool printStats(mlir::ModuleOp module, const IrOptions &options) {
  for (auto func : module.getOps<mlir::func::FuncOp>()) {
    PlanOptions planOptions;
    planOptions.inPlace = options.optimizations.inPlace;
    mlir::FailureOr<PlannedGraph> planned = planExecution(func, planOptions);
    if (mlir::failed(planned))
      return false;
    GraphStats stats = computeGraphStats(func, planned->plan);
    if (options.json) {
      llvm::outs() << "{\"function\": \"" << func.getSymName()
                   << "\", \"ops\": " << stats.ops
                   << ", \"fusion_groups\": " << stats.fusionGroups
                   << ", \"kernels\": " << stats.kernels
                   << ", \"arena_bytes\": " << stats.arenaBytes
                   << ", \"in_place_values\": " << stats.inPlaceValues
                   << ", \"flops\": " << stats.flops
                   << ", \"peak_live_bytes\": " << stats.peakLiveBytes
                   << ", \"state_bytes\": " << stats.stateBytes << "}\n";
      continue;
    }
    llvm::outs() << "@" << func.getSymName() << "\n"
                 << formatGraphStats(stats) << "\n";
  }
  return true;
}

} // namespace

ExitCode runIr(const IrOptions &options) {
  const Stage *stage = nullptr;
  std::vector<std::string> names;
  for (const Stage &candidate : kStages) {
    names.push_back(candidate.name);
    if (options.stage == candidate.name)
      stage = &candidate;
  }
  if (!stage) {
    llvm::errs() << "error: unknown stage '" << options.stage
                 << "' (stages: " << llvm::join(names, ", ") << ")\n";
    return UsageError;
  }

  std::optional<LoadedModel> model = loadModel(options.modelPath);
  if (!model)
    return UserError;
  std::unique_ptr<mlir::MLIRContext> context = createContext();
  mlir::OwningOpRef<mlir::ModuleOp> module = lowerModel(*context, *model);
  if (!module)
    return UserError;

  std::vector<std::string> passes;
  if (options.batch > 0)
    passes.push_back("func.func(nn-specialize-batch{batch-size=" +
                     std::to_string(options.batch) + "})");
  // As compiling does: simplify before autodiff, so that rewrites shape the
  // backward graph too.
  if (stage->optimized && *stage->pipeline && options.optimizations.simplify)
    passes.push_back(optimizationPipeline(
        {options.optimizations.canonicalize, options.optimizations.cse,
         /*simplify=*/true, /*fuse=*/false, options.optimizations.inPlace}));
  if (*stage->pipeline)
    passes.push_back(stage->pipeline);
  if (stage->optimized) {
    std::string optimize = optimizationPipeline(options.optimizations);
    if (!optimize.empty())
      passes.push_back(optimize);
  }
  SourceDiagnosticHandler diagnostics(*context, *model->diagnostics);
  mlir::PassManager pm(context.get());
  if (mlir::failed(mlir::parsePassPipeline(llvm::join(passes, ","), pm,
                                           llvm::errs())))
    return UserError;
  if (options.dot)
    pm.addPass(mlir::createPrintOpGraphPass(llvm::outs()));
  if (mlir::failed(pm.run(*module)))
    return UserError;
  if (options.dot)
    return Success;
  if (options.stats)
    return printStats(*module, options) ? Success : UserError;

  mlir::OpPrintingFlags flags;
  flags.enableDebugInfo(options.locations, /*prettyForm=*/false);
  module->print(llvm::outs(), flags);
  llvm::outs() << "\n";
  return Success;
}

} // namespace nnc::cli
