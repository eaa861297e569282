//===- IrStages.cpp - A model lowered to a point of the pipeline ----------===//

#include "driver/IrStages.h"

#include "driver/Context.h"
#include "driver/ModelSession.h"

#include "passes/ExecutionPlanner.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

namespace nnc::driver {

const std::vector<IrStage> &irStages() {
  static const std::vector<IrStage> stages = {
      {"frontend", PipelineGoal::Forward, false},
      {"grad", PipelineGoal::Gradient, false},
      {"train-step", PipelineGoal::TrainingStep, false},
      {"optimized", PipelineGoal::Forward, true},
      {"optimized-train-step", PipelineGoal::TrainingStep, true},
  };
  return stages;
}

const IrStage *findIrStage(const std::string &name) {
  for (const IrStage &stage : irStages())
    if (name == stage.name)
      return &stage;
  return nullptr;
}

rt::Expected<StagedModule>
lowerToStage(const std::string &modelPath, const IrStage &stage, int64_t batch,
             const train::OptimizationOptions &optimizations,
             WarningHandler onWarning) {
  rt::Expected<LoadedModel> model = loadModel(modelPath);
  if (!model.ok())
    return model.takeError();
  // Left to the passes, autodiff's complaint names an IR function and
  // points at the model's first line; say what is missing, as `nnc grad`
  // and `nnc train` do.
  if (stage.goal != PipelineGoal::Forward && !model->program.hasLoss)
    return rt::Error::failure(
        std::string("the model has no loss to ") +
        (stage.goal == PipelineGoal::Gradient ? "differentiate" : "train") +
        " (stage '" + stage.name + "' needs one)");
  StagedModule staged;
  staged.model = std::move(*model);
  staged.context = createContext();
  rt::Expected<mlir::OwningOpRef<mlir::ModuleOp>> lowered =
      lowerModel(*staged.context, staged.model);
  if (!lowered.ok())
    return lowered.takeError();
  staged.module = std::move(*lowered);

  CompilePipelineOptions pipeline = compilePipelineOptions(optimizations);
  pipeline.goal = stage.goal;
  pipeline.batch = batch;
  pipeline.optimize = stage.optimized;
  SourceDiagnosticHandler diagnostics(
      *staged.context, *staged.model.diagnostics, std::move(onWarning));
  mlir::PassManager pm(staged.context.get());
  std::string pipelineError;
  llvm::raw_string_ostream pipelineErrorStream(pipelineError);
  if (mlir::failed(buildCompilePipeline(pm, pipeline, pipelineErrorStream)))
    return rt::Error::failure("cannot build the compile pipeline: " +
                              pipelineError);
  if (mlir::failed(pm.run(*staged.module)))
    return diagnostics.failure("the pipeline failed");
  return staged;
}

rt::Expected<std::vector<FunctionStats>> planStatistics(StagedModule &staged,
                                                        bool inPlace) {
  SourceDiagnosticHandler diagnostics(*staged.context,
                                      *staged.model.diagnostics);
  std::vector<FunctionStats> all;
  for (auto func : staged.module->getOps<mlir::func::FuncOp>()) {
    PlanOptions planOptions;
    planOptions.inPlace = inPlace;
    mlir::FailureOr<PlannedGraph> planned = planExecution(func, planOptions);
    if (mlir::failed(planned))
      return diagnostics.failure("cannot plan @" + func.getSymName().str());
    all.push_back(
        {func.getSymName().str(), computeGraphStats(func, planned->plan)});
  }
  return all;
}

} // namespace nnc::driver
