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

#include <cstdint>
#include <string>
#include <vector>

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

/// What a compiled graph is for: the stage the compile pipeline stops at.
enum class PipelineGoal {
  Forward,      ///< @forward as written.
  Gradient,     ///< @grad: forward and backward (nn-autodiff).
  TrainingStep, ///< @train_step: forward, backward, update (nn-training-step).
};

/// Everything the compile pipeline depends on. One pipeline serves
/// compiling (tools/nnc's model session), `nnc ir --stage` and the tests.
struct CompilePipelineOptions {
  PipelineGoal goal = PipelineGoal::Forward;
  /// When positive, the batch dimension is specialised to it first.
  int64_t batch = 0;
  /// Promote every f32 to f64 first (gradient checks).
  bool promoteToF64 = false;
  /// nn-autodiff's wrt-inputs (Gradient only).
  std::vector<std::string> wrtInputs;
  /// Forward and Gradient: batch_norm and dropout as in training
  /// (nn-training-mode, before autodiff). The training step always is.
  bool trainingMode = false;
  /// nn-training-step's options, as KEY=VALUE (TrainingStep only).
  std::vector<std::string> trainingOptions;
  /// Whether the graph optimisations run (nnc ir's unoptimised stages
  /// leave them out), and which of them.
  bool optimize = true;
  bool canonicalize = true, cse = true, simplify = true, fuse = true;
};

/// The compile pipeline as pass-pipeline text for a PassManager anchored
/// on builtin.module, stage by stage: promote to f64, specialise the batch,
/// simplify (before autodiff too, so that rewrites such as the stable
/// cross-entropy from logits shape the backward graph), differentiate or
/// build the training step, then nn-optimize and nn-fuse.
std::string compilePipeline(const CompilePipelineOptions &options);

/// Adds the compile pipeline to `pm` (anchored on builtin.module); fails,
/// with the parser's message on `errors`, only on a malformed pass option.
llvm::LogicalResult buildCompilePipeline(mlir::OpPassManager &pm,
                                         const CompilePipelineOptions &options,
                                         llvm::raw_ostream &errors);

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
