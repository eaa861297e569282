//===- Pipelines.cpp - nnc's pass pipelines -------------------------------===//

#include "passes/Pipelines.h"

#include "passes/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

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
  // Fusion goes here, last: it groups the simplified graph's ops into
  // nn.fusion kernels, after which no rewrite above would see through them.
}

void nnc::registerPipelines() {
  PassPipelineRegistration<OptimizePipelineOptions>(
      "nn-optimize",
      "simplifies nn graphs: canonicalize, cse, nn-simplify, canonicalize, "
      "cse (each can be switched off)",
      buildOptimizePipeline);
}
