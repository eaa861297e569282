//===- FuseElementwiseChains.h - One loop per elementwise chain -*- C++ -*-===//
//
// The nn-to-linalg patterns lower each op of a kernel to a linalg.generic of
// its own, so a chain of elementwise ops (a layer norm's gradient, then the
// residual's add, then an activation's gradient) would write every link to
// a buffer of its own, allocated on every call, and read it back. Fusing
// each link into its only reader computes the chain in one loop instead.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_COMPILER_FUSEELEMENTWISECHAINS_H
#define NNC_BACKENDS_CPU_COMPILER_FUSEELEMENTWISECHAINS_H

#include "mlir/IR/BuiltinOps.h"

namespace nnc::cpu {

/// Fuses, in `module` (linalg on tensors), an all-parallel linalg.generic
/// into the linalg.generic reading its result, when that is the result's
/// only reader and it reads the result element for element (its indexing
/// map is a permutation, not a broadcast). Each element is then computed
/// once, by the same ops in the same order as before: the results keep
/// their bits. A value read by a whole row or column of the reader's loop
/// (a row's mean, say) keeps its own loop and buffer, computed once per row
/// instead of once per element.
mlir::LogicalResult fuseElementwiseChains(mlir::ModuleOp module);

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_COMPILER_FUSEELEMENTWISECHAINS_H
