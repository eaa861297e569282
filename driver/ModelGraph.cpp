//===- ModelGraph.cpp - A model's fused graph for the report --------------===//

#include "driver/ModelGraph.h"

#include "driver/IrStages.h"

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/ViewOpGraph.h"
#include "llvm/Support/raw_ostream.h"

namespace nnc::driver {

std::string modelGraphDot(const std::string &modelPath) {
  // Diagnostics were reported when the model compiled for training.
  rt::Expected<StagedModule> staged =
      lowerToStage(modelPath, *findIrStage("optimized"), /*batch=*/0,
                   train::OptimizationOptions());
  if (!staged.ok())
    return "";
  std::string dot;
  llvm::raw_string_ostream os(dot);
  mlir::PassManager pm(staged->context.get());
  pm.addPass(mlir::createPrintOpGraphPass(os));
  if (mlir::failed(pm.run(*staged->module)))
    return "";
  return dot;
}

} // namespace nnc::driver
