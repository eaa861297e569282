//===- Pipelines.h - nnc's pass pipelines -----------------------*- C++ -*-===//
//
// Named sequences of passes, the only place besides tools/ that chains
// passes. Each is registered for nnc-opt (`--nn-optimize`) and can be built
// into a pass manager directly by the CLI.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_PIPELINES_H
#define NNC_PASSES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace nnc {

/// Options of the nn-optimize pipeline: one switch per pass, all on by
/// default. Spelled `nn-optimize{simplify=false cse=false canonicalize=false}`.
struct OptimizePipelineOptions
    : mlir::PassPipelineOptions<OptimizePipelineOptions> {
  Option<bool> canonicalize{*this, "canonicalize",
                            llvm::cl::desc("run canonicalize (folders, "
                                           "canonicalisation patterns, DCE)"),
                            llvm::cl::init(true)};
  Option<bool> cse{*this, "cse",
                   llvm::cl::desc("run cse (common subexpressions)"),
                   llvm::cl::init(true)};
  Option<bool> simplify{*this, "simplify",
                        llvm::cl::desc("run nn-simplify (algebraic rewrites)"),
                        llvm::cl::init(true)};
};

/// Adds nn-optimize to `pm`: canonicalize, cse, nn-simplify, canonicalize,
/// cse, leaving out the passes `options` switches off. Every pass is
/// op-agnostic, so `pm` may be anchored on a module or a function. Values
/// change only where nn-simplify says so (docs in Passes.td); unused ops,
/// forward or backward, are erased.
void buildOptimizePipeline(mlir::OpPassManager &pm,
                           const OptimizePipelineOptions &options);

/// Registers every pipeline of this file with MLIR's pass registry (so far
/// nn-optimize). Call it once, next to registerPasses().
void registerPipelines();

} // namespace nnc

#endif // NNC_PASSES_PIPELINES_H
