//===- CollapseContiguousLoops.h - One loop per contiguous run  -*- C++ -*-===//
//
// Before linalg ops become loops, runs of consecutive loops that every
// operand walks contiguously are merged into one: an elementwise map over
// [64, 6, 24, 24] becomes one loop of 221,184 iterations, a sum over axes
// [0, 2, 3] gets one inner loop of 576. LLVM then vectorises the long inner
// loop. Left as they are, an inner loop of 24 iterations is unrolled whole
// and the loop around it vectorised instead, with a gather and a scatter per
// vector across its stride.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_COMPILER_COLLAPSECONTIGUOUSLOOPS_H
#define NNC_BACKENDS_CPU_COMPILER_COLLAPSECONTIGUOUSLOOPS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Pass/Pass.h"

#include <memory>

namespace nnc::cpu {

/// The runs of consecutive loops of `op`, a linalg.generic or linalg.copy
/// over buffers, that every operand walks contiguously and that are all
/// parallel or all reductions; runs of one loop are left out. Empty unless
/// every indexing map is a projected permutation (a window's (oh * 2 + kh)
/// does not merge) and every operand is a buffer of the identity layout:
/// the maps alone do not say that a strided view's rows lie back to back.
llvm::SmallVector<mlir::ReassociationIndices>
contiguousLoopRuns(mlir::linalg::LinalgOp op);

/// Merges the contiguousLoopRuns of every linalg op in a function over
/// buffers (after bufferization), reshaping the operands to match.
std::unique_ptr<mlir::Pass> createCollapseContiguousLoopsPass();

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_COMPILER_COLLAPSECONTIGUOUSLOOPS_H
