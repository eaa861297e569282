//===- IrStages.h - A model lowered to a point of the pipeline --*- C++ -*-===//
//
// `nnc ir --stage` prints the module at a point of the compile pipeline
// (passes/Pipelines.h), and the training report draws the optimised
// forward graph: both lower a model to a stage here, with the pipeline that
// compiling runs, stopped there.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DRIVER_IRSTAGES_H
#define NNC_DRIVER_IRSTAGES_H

#include "driver/ModelLoader.h"
#include "driver/SourceDiagnosticHandler.h"
#include "train/TrainOptions.h"

#include "passes/GraphStats.h"
#include "passes/Pipelines.h"

#include "mlir/IR/MLIRContext.h"

#include <memory>
#include <string>
#include <vector>

namespace nnc::driver {

/// A point of the compile pipeline.
struct IrStage {
  const char *name;
  /// The graph that stage holds.
  PipelineGoal goal;
  /// Whether the graph optimisations (nn-optimize, nn-fuse) have run.
  bool optimized;
};

/// The stages, in pipeline order; "frontend" is the module before any pass.
const std::vector<IrStage> &irStages();

/// The stage called `name`, or null.
const IrStage *findIrStage(const std::string &name);

/// A model lowered to a stage. The context owns the module and outlives it.
struct StagedModule {
  std::unique_ptr<mlir::MLIRContext> context;
  LoadedModel model;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

/// Reads, checks and lowers the model at `modelPath` to `stage`, its batch
/// dimension specialised to `batch` (0: kept dynamic).
rt::Expected<StagedModule>
lowerToStage(const std::string &modelPath, const IrStage &stage, int64_t batch,
             const train::OptimizationOptions &optimizations,
             WarningHandler onWarning = {});

/// The plan statistics (passes/GraphStats.h) of one function.
struct FunctionStats {
  std::string function;
  GraphStats stats;
};

/// Plans every function of `staged` for execution and measures it.
rt::Expected<std::vector<FunctionStats>> planStatistics(StagedModule &staged,
                                                        bool inPlace);

} // namespace nnc::driver

#endif // NNC_DRIVER_IRSTAGES_H
