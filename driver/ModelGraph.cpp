//===- ModelGraph.cpp - A model's fused graph for the report --------------===//

#include "driver/ModelGraph.h"

#include "driver/Context.h"
#include "driver/ModelLoader.h"
#include "driver/ModelSession.h"

#include "passes/Pipelines.h"

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/ViewOpGraph.h"
#include "llvm/Support/raw_ostream.h"

namespace nnc::driver {

std::string modelGraphDot(const std::string &modelPath) {
  rt::Expected<LoadedModel> model = loadModel(modelPath);
  if (!model.ok())
    return "";
  std::unique_ptr<mlir::MLIRContext> context = createContext();
  rt::Expected<mlir::OwningOpRef<mlir::ModuleOp>> module =
      lowerModel(*context, *model);
  if (!module.ok())
    return "";
  CompilePipelineOptions pipeline =
      compilePipelineOptions(train::OptimizationOptions());
  pipeline.goal = PipelineGoal::Forward;
  std::string dot;
  llvm::raw_string_ostream os(dot);
  mlir::PassManager pm(context.get());
  if (mlir::failed(buildCompilePipeline(pm, pipeline, llvm::nulls())))
    return "";
  pm.addPass(mlir::createPrintOpGraphPass(os));
  // Diagnostics were reported when the model compiled for training.
  mlir::ScopedDiagnosticHandler quiet(
      context.get(), [](mlir::Diagnostic &) { return mlir::success(); });
  if (mlir::failed(pm.run(**module)))
    return "";
  return dot;
}

} // namespace nnc::driver
