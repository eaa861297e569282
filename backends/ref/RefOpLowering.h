//===- RefOpLowering.h - nn ops to interpreter steps ------------*- C++ -*-===//
//
// The compiler half's op-to-step mapping, with no case per op: a step runs
// the op of the same name (RefSteps.h), and takes the op's attributes as
// they are, by name, with the declaration's defaults filled in. The
// operands and results (the step's slots) are the caller's business.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_REF_REFOPLOWERING_H
#define NNC_BACKENDS_REF_REFOPLOWERING_H

#include "backends/ref/RefProgram.h"

#include "mlir/IR/Operation.h"
#include "mlir/Support/LogicalResult.h"

namespace nnc::ref {

/// Fills step.op and step.attrs from `op` and prepares the step. An op the
/// interpreter has no row for, an attribute of a kind a step cannot hold,
/// or a step its row refuses is an error emitted at `op`.
mlir::LogicalResult lowerOpToStep(mlir::Operation *op, Step &step);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_REFOPLOWERING_H
