//===- NNToLinalg.h - Conversion patterns from nn to linalg -----*- C++ -*-===//
//
// Every supported nn op becomes linalg (and tensor, arith, math, scf) on
// tensors. One populate function per op family; each lives in its own file
// (NNToLinalg<Family>.cpp). Floating-point work that ref does in double is
// done in f64 here too, so results agree with ref to the last bit in most
// cases and within the documented tolerance always.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_COMPILER_NNTOLINALG_H
#define NNC_BACKENDS_CPU_COMPILER_NNTOLINALG_H

#include "mlir/IR/PatternMatch.h"

namespace nnc::cpu {

/// A pattern that calls `Fn` on every op of type `OpTy`.
template <typename OpTy,
          mlir::LogicalResult (*Fn)(OpTy, mlir::PatternRewriter &)>
struct FnPattern : mlir::OpRewritePattern<OpTy> {
  using mlir::OpRewritePattern<OpTy>::OpRewritePattern;
  mlir::LogicalResult
  matchAndRewrite(OpTy op, mlir::PatternRewriter &rewriter) const override {
    return Fn(op, rewriter);
  }
};

/// Attention and its gradient as the nn ops they are made of, where they do
/// not run natively.
void populateNNToLinalgAttentionPatterns(mlir::RewritePatternSet &patterns);
/// Unary and binary maps, activations and their gradients.
void populateNNToLinalgElementwisePatterns(mlir::RewritePatternSet &patterns);
/// Softmax family, reductions, layout ops, gather and constants.
void populateNNToLinalgTensorPatterns(mlir::RewritePatternSet &patterns);
/// matmul, conv2d and the conv2d gradients (the future fast path).
void populateNNToLinalgContractionPatterns(mlir::RewritePatternSet &patterns);
/// max_pool2d, avg_pool2d and their gradients.
void populateNNToLinalgPoolingPatterns(mlir::RewritePatternSet &patterns);
/// batch_norm, layer_norm, rms_norm, dropout and their gradients.
void populateNNToLinalgLayerPatterns(mlir::RewritePatternSet &patterns);
/// Losses and their gradients.
void populateNNToLinalgLossPatterns(mlir::RewritePatternSet &patterns);
/// Optimizer updates and the remaining backward ops.
void populateNNToLinalgTrainingPatterns(mlir::RewritePatternSet &patterns);

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_COMPILER_NNTOLINALG_H
