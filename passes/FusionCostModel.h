//===- FusionCostModel.h - Which nn ops nn-fuse groups ----------*- C++ -*-===//
//
// The decisions of nn-fuse, apart from the rewrite that applies them
// (FusionPass.cpp), so that they read as one list of rules. The model is
// described in docs/architecture.md ("Fusion"). In short, ops are visited
// in program order and each joins the groups of its producers when:
//
//  - it is elementwise (ElementwiseOpInterface, the activation gradients
//    and the optimizer updates): it joins an elementwise chain, the epilogue
//    of a contraction (bias add, activation, residual add) or the epilogue
//    of a reduction, unless it would re-read what the reduction reduced;
//  - it is a reduction (reduce_*, softmax family, losses and their
//    gradients, batch norm): it joins groups of elementwise ops only, its
//    prologue;
//  - it is a contraction (matmul, conv2d and its gradients): it starts a
//    group, as every other op (reshape, transpose, gather, pooling, ...)
//    stays alone;
//
// and never when a group would hold two contractions or reductions, grow
// past the size limit, or form a cycle with the ops outside it.
//
// Attention (scaled_dot_product_attention and its gradient) reads and
// writes its tensors through strides, so a transpose that keeps the last
// axis costs it nothing: a transpose that is the only reader of one of its
// results joins its group, and one that makes one of its operands (the
// mask aside) is cloned into its group.
//
// Nothing else is ever duplicated, except small constants, which are
// cloned into every group that reads them.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_FUSIONCOSTMODEL_H
#define NNC_PASSES_FUSIONCOSTMODEL_H

#include "ir/NNOpFacts.h"

#include "mlir/IR/Block.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>

namespace nnc {

/// The role of `op` for the cost model.
FusionKind classifyForFusion(mlir::Operation *op);

/// The knobs of the cost model (nn-fuse's options).
struct FusionOptions {
  /// Let elementwise epilogues join matmul and conv2d groups.
  bool fuseContractions = true;
  /// Let reductions take elementwise prologues and epilogues.
  bool fuseReductions = true;
  /// The most ops (constants not counted) in one group; at least 2.
  int64_t maxGroupSize = 32;
  /// Constants of at most this many elements are cloned into each group
  /// that reads them; larger ones stay kernels of their own.
  int64_t maxClonedConstantElements = 256;
};

/// True when `op` is a constant small enough to clone into groups.
bool isClonableConstant(mlir::Operation *op, const FusionOptions &options);

/// True when `use` is the divisor of an integer division. A kernel checks
/// its divisors for zero before it runs, which it can only do for the
/// buffers it is given: such a divisor is never computed inside the
/// division's group, nor a constant cloned into it.
bool isCheckedDivisor(mlir::OpOperand &use);

/// True when `use` reads a transpose that its attention op folds into its
/// addressing: the transpose keeps the last axis last, and the operand is
/// one of the attention's tensors other than the mask. nn-fuse clones such
/// a transpose into the attention's group.
bool isFoldedIntoAttention(mlir::OpOperand &use);

/// Partitions the ops of `block` (its terminator excluded) into fusion
/// groups under the rules above. Returns only groups of two or more ops, or
/// an attention op alone that folds a transpose it reads, each in program
/// order, groups in the order of their first op; constants and the
/// transposes attention folds are never members (the rewrite clones them). The
/// groups are disjoint and their quotient graph is acyclic, so they can be
/// outlined in any order.
llvm::SmallVector<llvm::SmallVector<mlir::Operation *>>
computeFusionGroups(mlir::Block &block, const FusionOptions &options);

} // namespace nnc

#endif // NNC_PASSES_FUSIONCOSTMODEL_H
