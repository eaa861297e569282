//===- NNLossGradients.cpp - Gradient rules of the losses -----------------===//
//
// The vector-Jacobian products of the losses (GradientOpInterface::
// buildGradient). `dloss` is the scalar gradient of the loss. Integer
// labels get no gradient; float targets do (mse's and binary
// cross-entropy's), for a target computed from something trained, as in
// distillation.
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
  Value dloss = beginGradientRule(*this, resultGrads, operandGrads);
  if (!dloss)
    return success();
  Location loc = getLoc();
  Value p = getProbabilities(), t = getTarget();
  operandGrads[0] = builder.create<BinaryCrossEntropyGradOp>(loc, p, t, dloss);
  // loss = -mean(t L(p) + (1 - t) L(1 - p)) over the broadcast shape, L
  // being log clamped at -100 as the forward computes it, so
  // dt = (L(1 - p) - L(p)) / numel * dloss, reduced to t's shape.
  Value floor = createScalarLike(builder, loc, dloss, -100.0);
  auto clampedLog = [&](Value x) -> Value {
    return builder.create<MaximumOp>(loc, builder.create<LogOp>(loc, x), floor);
  };
  Value one = createScalarLike(builder, loc, dloss, 1.0);
  Value diff = builder.create<SubOp>(
      loc, clampedLog(builder.create<SubOp>(loc, one, p)), clampedLog(p));
  // The target broadcasts to the probabilities' shape (the shape rule),
  // which is the loss's.
  Value count = createElementCount(builder, loc, diff, {});
  Value grad = builder.create<MulOp>(loc, diff,
                                     builder.create<DivOp>(loc, dloss, count));
  operandGrads[1] = reduceGradientToShape(builder, loc, grad,
                                          cast<RankedTensorType>(t.getType()));
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
