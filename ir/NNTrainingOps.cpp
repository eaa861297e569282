//===- NNTrainingOps.cpp - Result types and verifiers of training ops -----===//
//
// inferReturnTypes of the backward and optimizer ops of NNTrainingOps.td
// whose base class does not provide it, and the optimizers' learning-rate
// verifier. As for the forward ops (NNTypeInference.cpp), shapes come only
// from ir/ShapeRules.h.
//
//===----------------------------------------------------------------------===//

#include "ir/NNOps.h"
#include "ir/NNTypeInference.h"
#include "ir/InferContext.h"
#include "ir/ShapeRules.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace nnc::nn;
namespace shape = nnc::shape;

using namespace nnc::nn::detail;

namespace {



/// An optimizer's results: `count` tensors of the parameter's type, which
/// AllTypesMatch makes the gradient's and state slots' type too.
LogicalResult inferOptimizer(StringRef opName, std::optional<Location> loc,
                             Value param, unsigned count,
                             SmallVectorImpl<Type> &types) {
  InferContext ctx{opName, loc};
  auto p = dyn_cast<RankedTensorType>(param.getType());
  if (!p)
    return ctx.error("param must be a ranked tensor, got ", param.getType());
  types.append(count, p);
  return success();
}

/// `lr` must be a scalar of the parameter's element type, or f32 for any
/// parameter, so that one f32 schedule drives every parameter.
LogicalResult verifyLearningRate(Operation *op, Value param, Value lr) {
  Type paramElement = getElementTypeOrSelf(param);
  Type lrElement = getElementTypeOrSelf(lr);
  if (lrElement.isF32() || lrElement == paramElement)
    return success();
  return op->emitOpError() << "lr " << lr.getType()
                           << " must be tensor<f32> or have the parameter's "
                              "element type "
                           << paramElement;
}

} // namespace

//===----------------------------------------------------------------------===//
// Softmax and reduction gradients
//===----------------------------------------------------------------------===//

template <typename OpTy>
static LogicalResult inferSoftmaxGrad(std::optional<Location> loc,
                                      typename OpTy::Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  auto ctx = contextFor<OpTy>(loc);
  auto s = ctx.shapes({adaptor.getY()}, {"y"});
  if (failed(s))
    return failure();
  auto axis = static_cast<int64_t>(adaptor.getAxis());
  // dy has y's type (AllTypesMatch), so the forward rule checks everything.
  return ctx.push(shape::softmax((*s)[0], axis), adaptor.getY(), types);
}

LogicalResult SoftmaxGradOp::inferReturnTypes(MLIRContext *context,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  return inferSoftmaxGrad<SoftmaxGradOp>(
      loc, withDefaults<SoftmaxGradOp>(context, adaptor), types);
}

LogicalResult LogSoftmaxGradOp::inferReturnTypes(MLIRContext *context,
                                                 std::optional<Location> loc,
                                                 Adaptor adaptor,
                                                 SmallVectorImpl<Type> &types) {
  return inferSoftmaxGrad<LogSoftmaxGradOp>(
      loc, withDefaults<LogSoftmaxGradOp>(context, adaptor), types);
}

LogicalResult ReduceMaxGradOp::inferReturnTypes(MLIRContext *context,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &types) {
  auto ctx = contextFor<ReduceMaxGradOp>(loc);
  adaptor = withDefaults<ReduceMaxGradOp>(context, adaptor);
  auto s = ctx.shapes({adaptor.getX(), adaptor.getY(), adaptor.getDy()},
                      {"x", "y", "dy"});
  if (failed(s))
    return failure();
  return ctx.push(shape::reduceMaxGrad((*s)[0], (*s)[1], (*s)[2],
                                       toVector(adaptor.getAxes()),
                                       adaptor.getKeepdims()),
                  adaptor.getX(), types);
}

//===----------------------------------------------------------------------===//
// Layout gradients
//===----------------------------------------------------------------------===//

LogicalResult SliceGradOp::inferReturnTypes(MLIRContext *context,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto ctx = contextFor<SliceGradOp>(loc);
  adaptor = withDefaults<SliceGradOp>(context, adaptor);
  auto s = ctx.shapes({adaptor.getDy()}, {"dy"});
  if (failed(s))
    return failure();
  // An empty `steps` means a step of 1 on every listed axis, as in slice.
  std::vector<int64_t> steps = toVector(adaptor.getSteps());
  if (steps.empty())
    steps.assign(adaptor.getAxes().size(), 1);
  return ctx.push(shape::sliceGrad((*s)[0], toVector(adaptor.getShape()),
                                   toVector(adaptor.getAxes()),
                                   toVector(adaptor.getStarts()),
                                   toVector(adaptor.getEnds()), steps),
                  adaptor.getDy(), types);
}

LogicalResult GatherGradOp::inferReturnTypes(MLIRContext *context,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  auto ctx = contextFor<GatherGradOp>(loc);
  adaptor = withDefaults<GatherGradOp>(context, adaptor);
  auto s =
      ctx.shapes({adaptor.getDy(), adaptor.getIndices()}, {"dy", "indices"});
  if (failed(s))
    return failure();
  return ctx.push(shape::gatherGrad((*s)[0], (*s)[1],
                                    toVector(adaptor.getShape()),
                                    static_cast<int64_t>(adaptor.getAxis())),
                  adaptor.getDy(), types);
}

//===----------------------------------------------------------------------===//
// Layer gradients
//===----------------------------------------------------------------------===//

LogicalResult Conv2dGradInputOp::inferReturnTypes(
    MLIRContext *context, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  auto ctx = contextFor<Conv2dGradInputOp>(loc);
  adaptor = withDefaults<Conv2dGradInputOp>(context, adaptor);
  auto s = ctx.shapes({adaptor.getDy(), adaptor.getW()}, {"dy", "weight"});
  if (failed(s))
    return failure();
  auto window = convWindow(ctx, adaptor);
  if (failed(window))
    return failure();
  return ctx.push(shape::conv2dGradInput(
                      (*s)[0], (*s)[1], toVector(adaptor.getInputShape()),
                      *window, static_cast<int64_t>(adaptor.getGroups())),
                  adaptor.getDy(), types);
}

LogicalResult Conv2dGradWeightOp::inferReturnTypes(
    MLIRContext *context, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  auto ctx = contextFor<Conv2dGradWeightOp>(loc);
  adaptor = withDefaults<Conv2dGradWeightOp>(context, adaptor);
  auto s = ctx.shapes({adaptor.getX(), adaptor.getDy()}, {"input", "dy"});
  if (failed(s))
    return failure();
  auto window = convWindow(ctx, adaptor);
  if (failed(window))
    return failure();
  return ctx.push(shape::conv2dGradWeight(
                      (*s)[0], (*s)[1], toVector(adaptor.getWeightShape()),
                      *window, static_cast<int64_t>(adaptor.getGroups())),
                  adaptor.getDy(), types);
}

LogicalResult MaxPool2dGradOp::inferReturnTypes(MLIRContext *context,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &types) {
  auto ctx = contextFor<MaxPool2dGradOp>(loc);
  adaptor = withDefaults<MaxPool2dGradOp>(context, adaptor);
  auto s = ctx.shapes({adaptor.getX(), adaptor.getDy()}, {"input", "dy"});
  if (failed(s))
    return failure();
  auto window = poolWindow(ctx, adaptor);
  if (failed(window))
    return failure();
  return ctx.push(shape::maxPool2dGrad((*s)[0], (*s)[1], *window),
                  adaptor.getX(), types);
}

LogicalResult AvgPool2dGradOp::inferReturnTypes(MLIRContext *context,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &types) {
  auto ctx = contextFor<AvgPool2dGradOp>(loc);
  adaptor = withDefaults<AvgPool2dGradOp>(context, adaptor);
  auto s = ctx.shapes({adaptor.getDy()}, {"dy"});
  if (failed(s))
    return failure();
  auto window = poolWindow(ctx, adaptor);
  if (failed(window))
    return failure();
  return ctx.push(
      shape::avgPool2dGrad((*s)[0], toVector(adaptor.getInputShape()), *window),
      adaptor.getDy(), types);
}

LogicalResult DropoutGradOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  return nnc::nn::detail::inferUnaryType(getOperationName(), loc,
                                         adaptor.getDy().getType(), types);
}

//===----------------------------------------------------------------------===//
// Loss gradients
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxCrossEntropyGradOp::verify() {
  // The labels are integers, so SameOperandsElementType cannot say this.
  Type logits = getElementTypeOrSelf(getLogits());
  if (getElementTypeOrSelf(getDloss()) != logits)
    return emitOpError() << "dloss " << getDloss().getType()
                         << " must have the logits' element type " << logits;
  return success();
}

//===----------------------------------------------------------------------===//
// Optimizer updates
//===----------------------------------------------------------------------===//

LogicalResult SgdUpdateOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return inferOptimizer(getOperationName(), loc, adaptor.getParam(), 1, types);
}

LogicalResult SgdUpdateOp::verify() {
  return verifyLearningRate(*this, getParam(), getLr());
}

LogicalResult MomentumUpdateOp::inferReturnTypes(MLIRContext *,
                                                 std::optional<Location> loc,
                                                 Adaptor adaptor,
                                                 SmallVectorImpl<Type> &types) {
  return inferOptimizer(getOperationName(), loc, adaptor.getParam(), 2, types);
}

LogicalResult MomentumUpdateOp::verify() {
  return verifyLearningRate(*this, getParam(), getLr());
}

LogicalResult AdamUpdateOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  return inferOptimizer(getOperationName(), loc, adaptor.getParam(), 3, types);
}

LogicalResult AdamUpdateOp::verify() {
  return verifyLearningRate(*this, getParam(), getLr());
}
