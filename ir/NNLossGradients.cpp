//===- NNLossGradients.cpp - Gradient rules of the losses -----------------===//
//
// The vector-Jacobian products of the losses (GradientOpInterface::
// buildGradient). `dloss` is the scalar gradient of the loss; labels and
// targets get no gradient except mse's, which is symmetric in its operands.
//
//===----------------------------------------------------------------------===//

#include "ir/GradientUtils.h"
#include "ir/NNOps.h"

using namespace mlir;

namespace nnc::nn {

LogicalResult MseOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  Value dloss = beginGradientRule(*this, resultGrads, operandGrads);
  if (!dloss)
    return success();
  Location loc = getLoc();
  // loss = sum((p - t)^2) / numel over the broadcast shape, so
  // dp = 2 (p - t) / numel * dloss and dt = -dp, each reduced to its shape.
  Value diff = builder.create<SubOp>(loc, getPrediction(), getTarget());
  Value two = createScalarLike(builder, loc, dloss, 2.0);
  Value count = createElementCount(builder, loc, diff, {});
  Value scale =
      builder.create<DivOp>(loc, builder.create<MulOp>(loc, dloss, two), count);
  Value grad = builder.create<MulOp>(loc, diff, scale);
  auto typeOf = [](Value value) {
    return cast<RankedTensorType>(value.getType());
  };
  operandGrads[0] =
      reduceGradientToShape(builder, loc, grad, typeOf(getPrediction()));
  operandGrads[1] = builder.create<NegOp>(
      loc, reduceGradientToShape(builder, loc, grad, typeOf(getTarget())));
  return success();
}

LogicalResult
BinaryCrossEntropyOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  if (Value dloss = beginGradientRule(*this, resultGrads, operandGrads))
    operandGrads[0] = builder.create<BinaryCrossEntropyGradOp>(
        getLoc(), getProbabilities(), getTarget(), dloss);
  return success();
}

LogicalResult
SoftmaxCrossEntropyOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                     SmallVectorImpl<Value> &operandGrads) {
  if (Value dloss = beginGradientRule(*this, resultGrads, operandGrads))
    operandGrads[0] = builder.create<SoftmaxCrossEntropyGradOp>(
        getLoc(), getLogits(), getLabels(), dloss, getIgnoreIndex());
  return success();
}

} // namespace nnc::nn
