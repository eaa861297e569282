//===- NNElementwiseGradients.cpp - Gradient rules of elementwise ops -----===//
//
// The vector-Jacobian products of the broadcasting binary ops and the unary
// maps (GradientOpInterface::buildGradient). A binary op's gradients are
// computed at the broadcast shape and then reduced to each operand's shape;
// unary maps reuse their result where the derivative is a function of it.
//
//===----------------------------------------------------------------------===//

#include "ir/GradientUtils.h"
#include "ir/NNOps.h"

using namespace mlir;

namespace nnc::nn {

namespace {

/// Stores the broadcast-shaped gradients `lhsGrad` and `rhsGrad` of a binary
/// op, each reduced to its operand's shape.
void setBinaryGrads(OpBuilder &builder, Operation *op, Value lhsGrad,
                    Value rhsGrad, SmallVectorImpl<Value> &operandGrads) {
  Location loc = op->getLoc();
  auto typeOf = [&](unsigned i) {
    return cast<RankedTensorType>(op->getOperand(i).getType());
  };
  operandGrads[0] = reduceGradientToShape(builder, loc, lhsGrad, typeOf(0));
  operandGrads[1] = reduceGradientToShape(builder, loc, rhsGrad, typeOf(1));
}

} // namespace

//===----------------------------------------------------------------------===//
// Binary ops
//===----------------------------------------------------------------------===//

LogicalResult AddOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  Value dy = beginGradientRule(*this, resultGrads, operandGrads);
  if (dy)
    setBinaryGrads(builder, *this, dy, dy, operandGrads);
  return success();
}

LogicalResult SubOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  Value dy = beginGradientRule(*this, resultGrads, operandGrads);
  if (!dy)
    return success();
  setBinaryGrads(builder, *this, dy, dy, operandGrads);
  // Negating after the reduction touches fewer elements.
  operandGrads[1] = builder.create<NegOp>(getLoc(), operandGrads[1]);
  return success();
}

LogicalResult MulOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  Value dy = beginGradientRule(*this, resultGrads, operandGrads);
  if (!dy)
    return success();
  Location loc = getLoc();
  Value lhsGrad = builder.create<MulOp>(loc, dy, getRhs());
  Value rhsGrad = builder.create<MulOp>(loc, dy, getLhs());
  setBinaryGrads(builder, *this, lhsGrad, rhsGrad, operandGrads);
  return success();
}

LogicalResult DivOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  Value dy = beginGradientRule(*this, resultGrads, operandGrads);
  if (!dy)
    return success();
  Location loc = getLoc();
  // d(a/b)/da = 1/b and d(a/b)/db = -a/b^2 = -(1/b) * (a/b).
  Value lhsGrad = builder.create<DivOp>(loc, dy, getRhs());
  Value rhsGrad = builder.create<NegOp>(
      loc, builder.create<MulOp>(loc, lhsGrad, getResult()));
  setBinaryGrads(builder, *this, lhsGrad, rhsGrad, operandGrads);
  return success();
}

LogicalResult PowOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  Value dy = beginGradientRule(*this, resultGrads, operandGrads);
  if (!dy)
    return success();
  Location loc = getLoc();
  Value base = getLhs(), exponent = getRhs();
  // d(a^b)/da = b * a^(b-1), computed with pow rather than b * y / a so that
  // a = 0 stays finite; d(a^b)/db = a^b * log(a). As in PyTorch, the first
  // is 0 where b = 0 (a^b is 1 whatever a; the formula gives 0 * inf at
  // a = 0) and the second 0 where a = 0 and b >= 0 (a^b is 0 or 1 there;
  // the formula gives 0 * -inf or -inf), so that a learned exponent on a
  // relu's zeros (GeM pooling) trains instead of turning NaN.
  Value one = createScalarLike(builder, loc, exponent, 1.0);
  Value zero = createScalarLike(builder, loc, exponent, 0.0);
  Value powMinusOne = builder.create<PowOp>(
      loc, base, builder.create<SubOp>(loc, exponent, one));
  Value zeroExponent = builder.create<EqualOp>(loc, exponent, zero);
  Value byBase = builder.create<WhereOp>(
      loc, zeroExponent, zero,
      builder.create<MulOp>(loc, exponent, powMinusOne));
  Value lhsGrad = builder.create<MulOp>(loc, dy, byBase);
  Value yLogBase = builder.create<MulOp>(loc, getResult(),
                                         builder.create<LogOp>(loc, base));
  Value zeroBase = builder.create<EqualOp>(loc, base, zero);
  Value nonNegativeExponent =
      builder.create<GreaterEqualOp>(loc, exponent, zero);
  Value byExponent = builder.create<WhereOp>(
      loc, zeroBase,
      builder.create<WhereOp>(loc, nonNegativeExponent, zero, yLogBase),
      yLogBase);
  Value rhsGrad = builder.create<MulOp>(loc, dy, byExponent);
  setBinaryGrads(builder, *this, lhsGrad, rhsGrad, operandGrads);
  return success();
}

//===----------------------------------------------------------------------===//
// Unary ops composed of forward ops
//===----------------------------------------------------------------------===//

LogicalResult NegOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  if (Value dy = beginGradientRule(*this, resultGrads, operandGrads))
    operandGrads[0] = builder.create<NegOp>(getLoc(), dy);
  return success();
}

LogicalResult ExpOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  if (Value dy = beginGradientRule(*this, resultGrads, operandGrads))
    operandGrads[0] = builder.create<MulOp>(getLoc(), dy, getResult());
  return success();
}

LogicalResult LogOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  if (Value dy = beginGradientRule(*this, resultGrads, operandGrads))
    operandGrads[0] = builder.create<DivOp>(getLoc(), dy, getX());
  return success();
}

LogicalResult SqrtOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  Value dy = beginGradientRule(*this, resultGrads, operandGrads);
  if (!dy)
    return success();
  Location loc = getLoc();
  // d sqrt(x)/dx = 1 / (2 sqrt(x)): the result, doubled.
  Value two = createScalarLike(builder, loc, getResult(), 2.0);
  Value twiceY = builder.create<MulOp>(loc, getResult(), two);
  operandGrads[0] = builder.create<DivOp>(loc, dy, twiceY);
  return success();
}

LogicalResult SigmoidOp::buildGradient(OpBuilder &builder,
                                       ValueRange resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  Value dy = beginGradientRule(*this, resultGrads, operandGrads);
  if (!dy)
    return success();
  Location loc = getLoc();
  // sigmoid' = y (1 - y).
  Value y = getResult();
  Value one = createScalarLike(builder, loc, y, 1.0);
  Value slope =
      builder.create<MulOp>(loc, y, builder.create<SubOp>(loc, one, y));
  operandGrads[0] = builder.create<MulOp>(loc, dy, slope);
  return success();
}

LogicalResult SoftplusOp::buildGradient(OpBuilder &builder,
                                        ValueRange resultGrads,
                                        SmallVectorImpl<Value> &operandGrads) {
  // softplus' = sigmoid(x).
  if (Value dy = beginGradientRule(*this, resultGrads, operandGrads))
    operandGrads[0] = builder.create<MulOp>(
        getLoc(), dy, builder.create<SigmoidOp>(getLoc(), getX()));
  return success();
}

LogicalResult TanhOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  Value dy = beginGradientRule(*this, resultGrads, operandGrads);
  if (!dy)
    return success();
  Location loc = getLoc();
  // tanh' = 1 - y^2.
  Value y = getResult();
  Value one = createScalarLike(builder, loc, y, 1.0);
  Value slope =
      builder.create<SubOp>(loc, one, builder.create<MulOp>(loc, y, y));
  operandGrads[0] = builder.create<MulOp>(loc, dy, slope);
  return success();
}

LogicalResult AbsOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                   SmallVectorImpl<Value> &operandGrads) {
  Value dy = beginGradientRule(*this, resultGrads, operandGrads);
  if (!dy)
    return success();
  // |x|' = sign(x), 0 at 0 as in PyTorch.
  Location loc = getLoc();
  operandGrads[0] =
      builder.create<MulOp>(loc, dy, builder.create<SignOp>(loc, getX()));
  return success();
}

//===----------------------------------------------------------------------===//
// Activations with a backward op
//===----------------------------------------------------------------------===//

LogicalResult ReluOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  if (Value dy = beginGradientRule(*this, resultGrads, operandGrads))
    operandGrads[0] = builder.create<ReluGradOp>(getLoc(), getX(), dy);
  return success();
}

LogicalResult LeakyReluOp::buildGradient(OpBuilder &builder,
                                         ValueRange resultGrads,
                                         SmallVectorImpl<Value> &operandGrads) {
  if (Value dy = beginGradientRule(*this, resultGrads, operandGrads))
    operandGrads[0] =
        builder.create<LeakyReluGradOp>(getLoc(), getX(), dy, getAlpha());
  return success();
}

LogicalResult GeluOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  if (Value dy = beginGradientRule(*this, resultGrads, operandGrads))
    operandGrads[0] = builder.create<GeluGradOp>(getLoc(), getX(), dy);
  return success();
}

LogicalResult WhereOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                     SmallVectorImpl<Value> &operandGrads) {
  Value dy = beginGradientRule(*this, resultGrads, operandGrads);
  if (!dy)
    return success();
  Location loc = getLoc();
  // dy where cond holds goes to a, the rest to b: where(cond, dy, 0) and
  // dy minus it, each reduced to its operand's shape.
  Value zero = createScalarLike(builder, loc, dy, 0.0);
  Value toA = builder.create<WhereOp>(loc, getCond(), dy, zero);
  Value toB = builder.create<SubOp>(loc, dy, toA);
  operandGrads[1] = reduceGradientToShape(
      builder, loc, toA, cast<RankedTensorType>(getA().getType()));
  operandGrads[2] = reduceGradientToShape(
      builder, loc, toB, cast<RankedTensorType>(getB().getType()));
  return success();
}

// Comparisons are piecewise constant: their gradient is zero wherever it is
// defined, so no gradient flows to either operand.
#define NNC_COMPARISON_GRADIENT_RULE(OpClass)                                  \
  LogicalResult OpClass::buildGradient(OpBuilder &, ValueRange resultGrads,    \
                                       SmallVectorImpl<Value> &operandGrads) { \
    (void)beginGradientRule(*this, resultGrads, operandGrads);                 \
    return success();                                                          \
  }
NNC_COMPARISON_GRADIENT_RULE(LessOp)
NNC_COMPARISON_GRADIENT_RULE(LessEqualOp)
NNC_COMPARISON_GRADIENT_RULE(GreaterOp)
NNC_COMPARISON_GRADIENT_RULE(GreaterEqualOp)
NNC_COMPARISON_GRADIENT_RULE(EqualOp)
NNC_COMPARISON_GRADIENT_RULE(NotEqualOp)
#undef NNC_COMPARISON_GRADIENT_RULE

} // namespace nnc::nn
