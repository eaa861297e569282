//===- IrCommand.cpp - nnc ir ---------------------------------------------===//

#include "driver/Context.h"
#include "driver/ModelLoader.h"
#include "driver/ModelSession.h"
#include "driver/SourceDiagnosticHandler.h"
#include "tools/nnc/Commands.h"

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
  /// The graph that stage holds.
  PipelineGoal goal;
  /// Whether the graph optimisations (nn-optimize, nn-fuse) have run.
  bool optimized;
};

/// The stages `nnc ir --stage` accepts, in pipeline order; "frontend" is
/// the module before any pass.
constexpr Stage kStages[] = {
    {"frontend", PipelineGoal::Forward, false},
    {"grad", PipelineGoal::Gradient, false},
    {"train-step", PipelineGoal::TrainingStep, false},
    {"optimized", PipelineGoal::Forward, true},
    {"optimized-train-step", PipelineGoal::TrainingStep, true},
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

  rt::Expected<driver::LoadedModel> model =
      driver::loadModel(options.modelPath);
  if (!model.ok())
    return reportError(model.takeError());
  std::unique_ptr<mlir::MLIRContext> context = driver::createContext();
  rt::Expected<mlir::OwningOpRef<mlir::ModuleOp>> lowered =
      driver::lowerModel(*context, *model);
  if (!lowered.ok())
    return reportError(lowered.takeError());
  mlir::OwningOpRef<mlir::ModuleOp> module = std::move(*lowered);

  // The pipeline compiling runs, stopped at the stage.
  CompilePipelineOptions pipeline =
      driver::compilePipelineOptions(options.optimizations);
  pipeline.goal = stage->goal;
  pipeline.batch = options.batch;
  pipeline.optimize = stage->optimized;
  driver::SourceDiagnosticHandler diagnostics(
      *context, *model->diagnostics,
      [](const std::string &rendered) { llvm::errs() << rendered; });
  mlir::PassManager pm(context.get());
  if (mlir::failed(buildCompilePipeline(pm, pipeline, llvm::errs())))
    return UserError;
  if (options.dot)
    pm.addPass(mlir::createPrintOpGraphPass(llvm::outs()));
  if (mlir::failed(pm.run(*module)))
    return reportError(diagnostics.failure("the pipeline failed"));
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
