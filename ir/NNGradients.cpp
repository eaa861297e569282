//===- NNGradients.cpp - Gradient rules of the nn ops ---------------------===//
//
// Each op's vector-Jacobian product (GradientOpInterface::buildGradient).
// Ops whose rule has not been written yet report a located error.
//
//===----------------------------------------------------------------------===//

#include "ir/GradientUtils.h"
#include "ir/NNOps.h"

using namespace mlir;

namespace nnc::nn {

LogicalResult emitMissingGradient(Operation *op) {
  return op->emitError() << "no gradient rule for '" << op->getName() << "'";
}

#define NNC_NO_GRADIENT_RULE(OpClass)                                          \
  LogicalResult OpClass::buildGradient(OpBuilder &, ValueRange,                \
                                       SmallVectorImpl<Value> &) {             \
    return emitMissingGradient(getOperation());                                \
  }

NNC_NO_GRADIENT_RULE(AddOp)
NNC_NO_GRADIENT_RULE(SubOp)
NNC_NO_GRADIENT_RULE(MulOp)
NNC_NO_GRADIENT_RULE(DivOp)
NNC_NO_GRADIENT_RULE(PowOp)
NNC_NO_GRADIENT_RULE(NegOp)
NNC_NO_GRADIENT_RULE(AbsOp)
NNC_NO_GRADIENT_RULE(ExpOp)
NNC_NO_GRADIENT_RULE(LogOp)
NNC_NO_GRADIENT_RULE(SqrtOp)
NNC_NO_GRADIENT_RULE(ReluOp)
NNC_NO_GRADIENT_RULE(SigmoidOp)
NNC_NO_GRADIENT_RULE(TanhOp)
NNC_NO_GRADIENT_RULE(GeluOp)
NNC_NO_GRADIENT_RULE(LeakyReluOp)
NNC_NO_GRADIENT_RULE(MatmulOp)
NNC_NO_GRADIENT_RULE(SoftmaxOp)
NNC_NO_GRADIENT_RULE(LogSoftmaxOp)
NNC_NO_GRADIENT_RULE(ReduceSumOp)
NNC_NO_GRADIENT_RULE(ReduceMeanOp)
NNC_NO_GRADIENT_RULE(ReduceMaxOp)
NNC_NO_GRADIENT_RULE(ReshapeOp)
NNC_NO_GRADIENT_RULE(TransposeOp)
NNC_NO_GRADIENT_RULE(BroadcastToOp)
NNC_NO_GRADIENT_RULE(ConcatOp)
NNC_NO_GRADIENT_RULE(SliceOp)
NNC_NO_GRADIENT_RULE(GatherOp)
NNC_NO_GRADIENT_RULE(ConstantOp)
NNC_NO_GRADIENT_RULE(Conv2dOp)
NNC_NO_GRADIENT_RULE(MaxPool2dOp)
NNC_NO_GRADIENT_RULE(AvgPool2dOp)
NNC_NO_GRADIENT_RULE(BatchNormOp)
NNC_NO_GRADIENT_RULE(DropoutOp)
NNC_NO_GRADIENT_RULE(MseOp)
NNC_NO_GRADIENT_RULE(BinaryCrossEntropyOp)
NNC_NO_GRADIENT_RULE(SoftmaxCrossEntropyOp)

} // namespace nnc::nn
