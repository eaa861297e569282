//===- NNTypeInference.cpp - Result types of the nn ops -------------------===//
//
// The inferReturnTypes of the forward ops that need more than a shape rule
// over their operands (attributes, optional operands); those of the ops
// that name one in their declaration (nnShapeRule) are generated into
// NNInferReturnTypes.cpp.inc, included below. Shapes come only from
// ir/ShapeRules.h, the single source of truth shared with the frontend;
// this file converts MLIR types to shapes and back, and turns a rule's
// message into a diagnostic.
//
//===----------------------------------------------------------------------===//

#include "ir/NNTypeInference.h"

#include "ir/NNOps.h"
#include "ir/InferContext.h"
#include "ir/ShapeRules.h"

#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace nnc::nn;
namespace shape = nnc::shape;

// Shapes cross between MLIR and the rules unchanged only if both spell a
// dynamic extent the same way.
static_assert(ShapedType::kDynamic == shape::kDynamic,
              "nnc::shape::kDynamic must equal mlir::ShapedType::kDynamic");

using namespace nnc::nn::detail;

// The ops that name a shape rule in their declaration (nnShapeRule).
#include "ir/NNInferReturnTypes.cpp.inc"

//===----------------------------------------------------------------------===//
// Shared by the base classes
//===----------------------------------------------------------------------===//

LogicalResult nnc::nn::detail::inferUnaryType(StringRef opName,
                                              std::optional<Location> loc,
                                              Type operand,
                                              SmallVectorImpl<Type> &types) {
  InferContext ctx{opName, loc};
  auto x = ctx.tensor(operand, "operand");
  if (failed(x))
    return failure();
  types.push_back(*x);
  return success();
}

LogicalResult
nnc::nn::detail::inferBroadcastType(StringRef opName,
                                    std::optional<Location> loc, Type lhs,
                                    Type rhs, SmallVectorImpl<Type> &types) {
  InferContext ctx{opName, loc};
  auto a = ctx.tensor(lhs, "lhs");
  auto b = ctx.tensor(rhs, "rhs");
  if (failed(a) || failed(b))
    return failure();
  return ctx.push(shape::broadcast(toShape(*a), toShape(*b)),
                  a->getElementType(), types);
}

LogicalResult WhereOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  auto ctx = contextFor<WhereOp>(loc);
  auto s = ctx.shapes({adaptor.getCond(), adaptor.getA(), adaptor.getB()},
                      {"cond", "a", "b"});
  if (failed(s))
    return failure();
  return ctx.push(shape::broadcast3((*s)[0], (*s)[1], (*s)[2]), adaptor.getA(),
                  types);
}

//===----------------------------------------------------------------------===//
// Contraction and normalisation
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *context,
                                         std::optional<Location> loc,
                                         Adaptor given,
                                         SmallVectorImpl<Type> &types) {
  auto ctx = contextFor<MatmulOp>(loc);
  Adaptor adaptor = withDefaults<MatmulOp>(context, given);
  auto a = ctx.tensor(adaptor.getLhs().getType(), "lhs");
  auto b = ctx.tensor(adaptor.getRhs().getType(), "rhs");
  if (failed(a) || failed(b))
    return failure();
  return ctx.push(shape::matmulTransposed(toShape(*a), toShape(*b),
                                          adaptor.getTransposeLhs(),
                                          adaptor.getTransposeRhs()),
                  a->getElementType(), types);
}

template <typename OpTy>
static LogicalResult inferSoftmax(std::optional<Location> loc,
                                  typename OpTy::Adaptor adaptor,
                                  SmallVectorImpl<Type> &types) {
  auto ctx = contextFor<OpTy>(loc);
  auto x = ctx.tensor(adaptor.getX().getType(), "operand");
  if (failed(x))
    return failure();
  auto axis = static_cast<int64_t>(adaptor.getAxis());
  return ctx.push(shape::softmax(toShape(*x), axis), x->getElementType(),
                  types);
}

LogicalResult SoftmaxOp::inferReturnTypes(MLIRContext *context,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  return inferSoftmax<SoftmaxOp>(loc, withDefaults<SoftmaxOp>(context, adaptor),
                                 types);
}

LogicalResult LogSoftmaxOp::inferReturnTypes(MLIRContext *context,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  return inferSoftmax<LogSoftmaxOp>(
      loc, withDefaults<LogSoftmaxOp>(context, adaptor), types);
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

template <typename OpTy>
static LogicalResult inferReduce(std::optional<Location> loc,
                                 typename OpTy::Adaptor adaptor,
                                 SmallVectorImpl<Type> &types) {
  auto ctx = contextFor<OpTy>(loc);
  auto x = ctx.tensor(adaptor.getX().getType(), "operand");
  if (failed(x))
    return failure();
  return ctx.push(shape::reduce(toShape(*x), toVector(adaptor.getAxes()),
                                adaptor.getKeepdims()),
                  x->getElementType(), types);
}

LogicalResult ReduceSumOp::inferReturnTypes(MLIRContext *context,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return inferReduce<ReduceSumOp>(
      loc, withDefaults<ReduceSumOp>(context, adaptor), types);
}

LogicalResult ReduceMeanOp::inferReturnTypes(MLIRContext *context,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  return inferReduce<ReduceMeanOp>(
      loc, withDefaults<ReduceMeanOp>(context, adaptor), types);
}

LogicalResult ReduceMaxOp::inferReturnTypes(MLIRContext *context,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return inferReduce<ReduceMaxOp>(
      loc, withDefaults<ReduceMaxOp>(context, adaptor), types);
}

//===----------------------------------------------------------------------===//
// Layout
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  auto ctx = contextFor<ReshapeOp>(loc);
  auto x = ctx.tensor(adaptor.getX().getType(), "operand");
  if (failed(x))
    return failure();
  return ctx.push(shape::reshape(toShape(*x), toVector(adaptor.getShape())),
                  x->getElementType(), types);
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *context,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto ctx = contextFor<TransposeOp>(loc);
  adaptor = withDefaults<TransposeOp>(context, adaptor);
  auto x = ctx.tensor(adaptor.getX().getType(), "operand");
  if (failed(x))
    return failure();
  return ctx.push(shape::transpose(toShape(*x), toVector(adaptor.getPerm())),
                  x->getElementType(), types);
}

LogicalResult BroadcastToOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  auto ctx = contextFor<BroadcastToOp>(loc);
  auto x = ctx.tensor(adaptor.getX().getType(), "operand");
  if (failed(x))
    return failure();
  return ctx.push(shape::broadcastTo(toShape(*x), toVector(adaptor.getShape())),
                  x->getElementType(), types);
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *context,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto ctx = contextFor<ConcatOp>(loc);
  adaptor = withDefaults<ConcatOp>(context, adaptor);
  // The element type comes from the first input, so there must be one.
  if (adaptor.getInputs().empty())
    return ctx.error("needs at least one input");
  std::vector<shape::Shape> shapes;
  Type elementType;
  for (Value input : adaptor.getInputs()) {
    auto t = ctx.tensor(input.getType(), "input");
    if (failed(t))
      return failure();
    shapes.push_back(toShape(*t));
    elementType = elementType ? elementType : t->getElementType();
  }
  return ctx.push(
      shape::concat(shapes, static_cast<int64_t>(adaptor.getAxis())),
      elementType, types);
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *context,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  auto ctx = contextFor<SliceOp>(loc);
  adaptor = withDefaults<SliceOp>(context, adaptor);
  auto x = ctx.tensor(adaptor.getX().getType(), "operand");
  if (failed(x))
    return failure();
  // An empty `steps` is the attribute's default and means a step of 1 on
  // every listed axis.
  std::vector<int64_t> steps = toVector(adaptor.getSteps());
  if (steps.empty())
    steps.assign(adaptor.getAxes().size(), 1);
  return ctx.push(shape::slice(toShape(*x), toVector(adaptor.getAxes()),
                               toVector(adaptor.getStarts()),
                               toVector(adaptor.getEnds()), steps),
                  x->getElementType(), types);
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *context,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto ctx = contextFor<GatherOp>(loc);
  adaptor = withDefaults<GatherOp>(context, adaptor);
  auto x = ctx.tensor(adaptor.getX().getType(), "operand");
  auto indices = ctx.tensor(adaptor.getIndices().getType(), "indices");
  if (failed(x) || failed(indices))
    return failure();
  return ctx.push(shape::gather(toShape(*x), toShape(*indices),
                                static_cast<int64_t>(adaptor.getAxis())),
                  x->getElementType(), types);
}

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  auto ctx = contextFor<ConstantOp>(loc);
  auto t = ctx.tensor(adaptor.getValue().getType(), "value");
  if (failed(t))
    return failure();
  types.push_back(*t);
  return success();
}

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

LogicalResult Conv2dOp::inferReturnTypes(MLIRContext *context,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto ctx = contextFor<Conv2dOp>(loc);
  adaptor = withDefaults<Conv2dOp>(context, adaptor);
  auto x = ctx.tensor(adaptor.getX().getType(), "input");
  auto w = ctx.tensor(adaptor.getW().getType(), "weight");
  if (failed(x) || failed(w))
    return failure();
  std::optional<shape::Shape> bias;
  if (Value b = adaptor.getBias()) {
    auto t = ctx.tensor(b.getType(), "bias");
    if (failed(t))
      return failure();
    bias = toShape(*t);
  }
  FailureOr<shape::Window2d> window = convWindow(ctx, adaptor);
  if (failed(window))
    return failure();
  return ctx.push(shape::conv2d(toShape(*x), toShape(*w),
                                bias ? &*bias : nullptr, *window,
                                static_cast<int64_t>(adaptor.getGroups())),
                  x->getElementType(), types);
}

template <typename OpTy>
static LogicalResult inferPool(std::optional<Location> loc,
                               typename OpTy::Adaptor adaptor,
                               SmallVectorImpl<Type> &types) {
  auto ctx = contextFor<OpTy>(loc);
  auto x = ctx.tensor(adaptor.getX().getType(), "input");
  if (failed(x))
    return failure();
  FailureOr<shape::Window2d> window = poolWindow(ctx, adaptor);
  if (failed(window))
    return failure();
  return ctx.push(shape::pool2d(toShape(*x), *window), x->getElementType(),
                  types);
}

LogicalResult MaxPool2dOp::inferReturnTypes(MLIRContext *context,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return inferPool<MaxPool2dOp>(
      loc, withDefaults<MaxPool2dOp>(context, adaptor), types);
}

LogicalResult AvgPool2dOp::inferReturnTypes(MLIRContext *context,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return inferPool<AvgPool2dOp>(
      loc, withDefaults<AvgPool2dOp>(context, adaptor), types);
}

/// The mask operand's shape, when there is one.
static FailureOr<std::optional<shape::Shape>>
attentionMaskShape(InferContext &ctx, Value mask) {
  if (!mask)
    return std::optional<shape::Shape>();
  auto t = ctx.tensor(mask.getType(), "mask");
  if (failed(t))
    return failure();
  return std::optional<shape::Shape>(toShape(*t));
}

LogicalResult ScaledDotProductAttentionOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  auto ctx = contextFor<ScaledDotProductAttentionOp>(loc);
  auto s = ctx.shapes({adaptor.getQ(), adaptor.getK(), adaptor.getV()},
                      {"q", "k", "v"});
  auto mask = attentionMaskShape(ctx, adaptor.getMask());
  if (failed(s) || failed(mask))
    return failure();
  return ctx.push(
      shape::attention((*s)[0], (*s)[1], (*s)[2], *mask ? &**mask : nullptr),
      adaptor.getQ(), types);
}

LogicalResult ScaledDotProductAttentionGradOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  auto ctx = contextFor<ScaledDotProductAttentionGradOp>(loc);
  auto s = ctx.shapes({adaptor.getQ(), adaptor.getK(), adaptor.getV(),
                       adaptor.getOut(), adaptor.getDout()},
                      {"q", "k", "v", "out", "dout"});
  auto mask = attentionMaskShape(ctx, adaptor.getMask());
  if (failed(s) || failed(mask))
    return failure();
  if (failed(ctx.push(shape::attentionGrad((*s)[0], (*s)[1], (*s)[2], (*s)[3],
                                           (*s)[4], *mask ? &**mask : nullptr),
                      adaptor.getQ(), types)))
    return failure();
  types.push_back(adaptor.getK().getType());
  types.push_back(adaptor.getV().getType());
  return success();
}

LogicalResult DropoutOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  return nnc::nn::detail::inferUnaryType(getOperationName(), loc,
                                         adaptor.getX().getType(), types);
}
