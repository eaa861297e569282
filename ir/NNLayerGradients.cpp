//===- NNLayerGradients.cpp - Gradient rules of layer ops -----------------===//
//
// The vector-Jacobian products of conv2d, pooling, batch_norm, layer_norm,
// rms_norm, attention and dropout (GradientOpInterface::buildGradient).
// Each forwards its attributes, as the forward op spells them, to its
// backward ops; shape attributes spell the dynamic batch as -1.
//
//===----------------------------------------------------------------------===//

#include "ir/GradientUtils.h"
#include "ir/NNOps.h"

using namespace mlir;

namespace nnc::nn {

namespace {

SmallVector<int64_t> shapeAttrOf(Value value) {
  return getShapeAttrValue(cast<RankedTensorType>(value.getType()));
}

} // namespace

LogicalResult Conv2dOp::buildGradient(OpBuilder &builder,
                                      ValueRange resultGrads,
                                      SmallVectorImpl<Value> &operandGrads) {
  Value dy = beginGradientRule(*this, resultGrads, operandGrads);
  if (!dy)
    return success();
  Location loc = getLoc();
  operandGrads[0] = builder.create<Conv2dGradInputOp>(
      loc, dy, getW(), shapeAttrOf(getX()), getStride(), getPadding(),
      getDilation(), getGroups());
  operandGrads[1] = builder.create<Conv2dGradWeightOp>(
      loc, getX(), dy, shapeAttrOf(getW()), getStride(), getPadding(),
      getDilation(), getGroups());
  // The bias [f] is added at every (n, h, w) of the NCHW result.
  if (getBias())
    operandGrads[2] = builder.create<ReduceSumOp>(
        loc, dy, ArrayRef<int64_t>{0, 2, 3}, /*keepdims=*/false);
  return success();
}

LogicalResult MaxPool2dOp::buildGradient(OpBuilder &builder,
                                         ValueRange resultGrads,
                                         SmallVectorImpl<Value> &operandGrads) {
  if (Value dy = beginGradientRule(*this, resultGrads, operandGrads))
    operandGrads[0] =
        builder.create<MaxPool2dGradOp>(getLoc(), getX(), dy, getKernelAttr(),
                                        getStrideAttr(), getPaddingAttr());
  return success();
}

LogicalResult AvgPool2dOp::buildGradient(OpBuilder &builder,
                                         ValueRange resultGrads,
                                         SmallVectorImpl<Value> &operandGrads) {
  if (Value dy = beginGradientRule(*this, resultGrads, operandGrads))
    operandGrads[0] = builder.create<AvgPool2dGradOp>(
        getLoc(), dy, getKernelAttr(), getStrideAttr(), getPaddingAttr(),
        getCountIncludePadAttr(),
        builder.getDenseI64ArrayAttr(shapeAttrOf(getX())));
  return success();
}

LogicalResult BatchNormOp::buildGradient(OpBuilder &builder,
                                         ValueRange resultGrads,
                                         SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign(getNumOperands(), Value());
  // Only y carries a gradient: the updated running statistics are state, not
  // a function the loss is differentiated through.
  Value dy = resultGrads[0];
  if (!dy)
    return success();
  auto grad = builder.create<BatchNormGradOp>(getLoc(), getX(), getGamma(),
                                              getMean(), getVar(), dy,
                                              getEpsAttr(), getTrainingAttr());
  operandGrads[0] = grad.getDx();
  operandGrads[1] = grad.getDgamma();
  operandGrads[2] = grad.getDbeta();
  return success();
}

LogicalResult LayerNormOp::buildGradient(OpBuilder &builder,
                                         ValueRange resultGrads,
                                         SmallVectorImpl<Value> &operandGrads) {
  if (Value dy = beginGradientRule(*this, resultGrads, operandGrads)) {
    auto grad = builder.create<LayerNormGradOp>(getLoc(), getX(), getGamma(),
                                                dy, getEpsAttr());
    operandGrads[0] = grad.getDx();
    operandGrads[1] = grad.getDgamma();
    operandGrads[2] = grad.getDbeta();
  }
  return success();
}

// Built by LayerNormOp's rule, never differentiated itself.
NNC_NO_GRADIENT_RULE(LayerNormGradOp)

LogicalResult RmsNormOp::buildGradient(OpBuilder &builder,
                                       ValueRange resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  if (Value dy = beginGradientRule(*this, resultGrads, operandGrads)) {
    auto grad = builder.create<RmsNormGradOp>(getLoc(), getX(), getGamma(), dy,
                                              getEpsAttr());
    operandGrads[0] = grad.getDx();
    operandGrads[1] = grad.getDgamma();
  }
  return success();
}

// Built by RmsNormOp's rule, never differentiated itself.
NNC_NO_GRADIENT_RULE(RmsNormGradOp)

LogicalResult ScaledDotProductAttentionOp::buildGradient(
    OpBuilder &builder, ValueRange resultGrads,
    SmallVectorImpl<Value> &operandGrads) {
  // The mask (operand 3) gets none: it hides keys, it is not learned.
  if (Value dy = beginGradientRule(*this, resultGrads, operandGrads)) {
    auto grad = builder.create<ScaledDotProductAttentionGradOp>(
        getLoc(), getQ(), getK(), getV(), getResult(), dy, getMask(),
        getCausalAttr(), getScaleAttr());
    operandGrads[0] = grad.getDq();
    operandGrads[1] = grad.getDk();
    operandGrads[2] = grad.getDv();
  }
  return success();
}

// Built by ScaledDotProductAttentionOp's rule, never differentiated itself.
NNC_NO_GRADIENT_RULE(ScaledDotProductAttentionGradOp)

LogicalResult DropoutOp::buildGradient(OpBuilder &builder,
                                       ValueRange resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  // The same seed and step give the forward's mask; the step gets no
  // gradient.
  if (Value dy = beginGradientRule(*this, resultGrads, operandGrads))
    operandGrads[0] =
        builder.create<DropoutGradOp>(getLoc(), dy, getStep(), getRateAttr(),
                                      getSeedAttr(), getTrainingAttr());
  return success();
}

} // namespace nnc::nn
