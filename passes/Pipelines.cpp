//===- Pipelines.cpp - nnc's pass pipelines -------------------------------===//

#include "passes/Pipelines.h"

#include "passes/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;

void nnc::buildOptimizePipeline(OpPassManager &pm,
                                const OptimizePipelineOptions &options) {
  // Fold constants and identities and erase dead ops first, so that
  // nn-simplify sees fewer, merged ops.
  if (options.canonicalize)
    pm.addPass(createCanonicalizerPass());
  if (options.cse)
    pm.addPass(createCSEPass());
  if (options.simplify) {
    pm.addPass(createSimplifyPass());
    // Clean up what the rewrites exposed: new identities, duplicates, and
    // the transposes and softmaxes they left unused.
    if (options.canonicalize)
      pm.addPass(createCanonicalizerPass());
    if (options.cse)
      pm.addPass(createCSEPass());
  }
  // Fusion is not part of nn-optimize: compilePipeline runs nn-fuse after
  // it, last, since no rewrite above sees through an nn.fusion kernel.
}

std::string nnc::compilePipeline(const CompilePipelineOptions &options) {
  auto boolText = [](bool value) { return value ? "true" : "false"; };
  auto optimizePass = [&](bool simplify) {
    return std::string("nn-optimize{canonicalize=") +
           boolText(options.canonicalize) + " cse=" + boolText(options.cse) +
           " simplify=" + boolText(simplify) + "}";
  };
  std::vector<std::string> passes;
  if (options.promoteToF64)
    passes.push_back("func.func(nn-promote-f64)");
  if (options.batch > 0)
    passes.push_back("func.func(nn-specialize-batch{batch-size=" +
                     std::to_string(options.batch) + "})");
  if (options.trainingMode && options.goal != PipelineGoal::TrainingStep)
    passes.push_back("func.func(nn-training-mode)");
  if (options.goal != PipelineGoal::Forward && options.optimize &&
      options.simplify)
    passes.push_back(optimizePass(/*simplify=*/true));
  if (options.goal == PipelineGoal::Gradient)
    passes.push_back(options.wrtInputs.empty()
                         ? std::string("nn-autodiff")
                         : "nn-autodiff{wrt-inputs=" +
                               llvm::join(options.wrtInputs, ",") + "}");
  if (options.goal == PipelineGoal::TrainingStep)
    passes.push_back(options.trainingOptions.empty()
                         ? std::string("nn-training-step")
                         : "nn-training-step{" +
                               llvm::join(options.trainingOptions, " ") + "}");
  if (options.optimize) {
    if (options.canonicalize || options.cse || options.simplify)
      passes.push_back(optimizePass(options.simplify));
    if (options.fuse)
      passes.push_back("func.func(nn-fuse)");
  }
  return llvm::join(passes, ",");
}

llvm::LogicalResult
nnc::buildCompilePipeline(OpPassManager &pm,
                          const CompilePipelineOptions &options,
                          llvm::raw_ostream &errors) {
  return parsePassPipeline(compilePipeline(options), pm, errors);
}

void nnc::registerPipelines() {
  // Once per process: the CLI and the Python module both call it.
  static const bool registered = [] {
    PassPipelineRegistration<OptimizePipelineOptions>(
        "nn-optimize",
        "simplifies nn graphs: canonicalize, cse, nn-simplify, canonicalize, "
        "cse (each can be switched off)",
        buildOptimizePipeline);
    return true;
  }();
  (void)registered;
}
