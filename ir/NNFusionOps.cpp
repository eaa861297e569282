//===- NNFusionOps.cpp - Verifiers of nn.fusion ---------------------------===//
//
// What the planner relies on when it inlines a group into a kernel function:
// block arguments that mirror the operands, a yield that mirrors the
// results, and a body of plain nn ops.
//
//===----------------------------------------------------------------------===//

#include "ir/GradientUtils.h"
#include "ir/NNOps.h"

using namespace mlir;

namespace nnc::nn {

LogicalResult FusionOp::verify() {
  Block &body = getBody().front();
  if (body.getNumArguments() != getNumOperands())
    return emitOpError() << "has " << getNumOperands() << " operands but "
                         << body.getNumArguments() << " block arguments";
  for (auto [index, pair] :
       llvm::enumerate(llvm::zip(getOperandTypes(), body.getArgumentTypes()))) {
    auto [operandType, argumentType] = pair;
    if (operandType != argumentType)
      return emitOpError() << "block argument #" << index << " has type "
                           << argumentType << " but operand #" << index
                           << " has type " << operandType;
  }
  return success();
}

LogicalResult FusionOp::verifyRegions() {
  Block &body = getBody().front();
  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (!yield)
    return emitOpError() << "body must end in 'nn.yield'";
  if (yield.getNumOperands() != getNumResults())
    return emitOpError() << "yields " << yield.getNumOperands()
                         << " values but has " << getNumResults() << " results";
  for (auto [index, pair] :
       llvm::enumerate(llvm::zip(getResultTypes(), yield.getOperandTypes()))) {
    auto [resultType, yieldedType] = pair;
    if (resultType != yieldedType)
      return emitOpError() << "yielded value #" << index << " has type "
                           << yieldedType << " but result #" << index
                           << " has type " << resultType;
  }
  for (Operation &op : body.without_terminator()) {
    // The planner clones the body into a kernel function: only ops a
    // backend compiles may be in it.
    if (!isa_and_nonnull<NNDialect>(op.getDialect()) || op.getNumRegions() != 0)
      return op.emitOpError()
             << "cannot be in an 'nn.fusion' body: only nn ops without "
                "regions are";
  }
  return success();
}

// Fusion runs after autodiff: a group is never differentiated.
NNC_NO_GRADIENT_RULE(FusionOp)

} // namespace nnc::nn
