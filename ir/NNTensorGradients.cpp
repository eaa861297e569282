//===- NNTensorGradients.cpp - Gradient rules of tensor ops ---------------===//
//
// The vector-Jacobian products of matmul, the softmax family, reductions,
// the layout ops and constants (GradientOpInterface::buildGradient).
//
//===----------------------------------------------------------------------===//

#include "ir/GradientUtils.h"
#include "ir/NNOps.h"
#include "ir/ShapeRules.h"

using namespace mlir;

namespace nnc::nn {

namespace {

RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// The reduced axes of a reduction over `rank` axes, non-negative and
/// sorted; an empty `axes` means every axis. The verifier has checked them.
SmallVector<int64_t> normalizeReduceAxes(ArrayRef<int64_t> axes, int64_t rank) {
  SmallVector<int64_t> normalized;
  if (axes.empty()) {
    for (int64_t axis = 0; axis < rank; ++axis)
      normalized.push_back(axis);
    return normalized;
  }
  for (int64_t axis : axes)
    normalized.push_back(shape::normalizeAxis(axis, rank));
  llvm::sort(normalized);
  return normalized;
}

/// Spreads `dy`, the gradient of a reduction of `xType` over the sorted
/// `axes`, back over `xType`: reshaped to the keepdims form when the
/// reduction dropped the axes, then broadcast.
Value broadcastReducedGradient(OpBuilder &builder, Location loc, Value dy,
                               RankedTensorType xType, ArrayRef<int64_t> axes,
                               bool keepdims) {
  if (!keepdims) {
    SmallVector<int64_t> kept = getShapeAttrValue(xType);
    for (int64_t axis : axes)
      kept[axis] = 1;
    // A reduction of no axis left nothing to restore.
    if (tensorType(dy).getRank() != xType.getRank())
      dy = builder.create<ReshapeOp>(loc, dy, kept);
  }
  if (dy.getType() != xType)
    dy = builder.create<BroadcastToOp>(loc, dy, getShapeAttrValue(xType));
  return dy;
}

/// The gradient of a 2-D B shared by every matrix of a batched A (a layer's
/// weight applied at every position: [batch..., m, k] @ [k, n]), as one
/// matmul over A's rows with every batch axis merged into them:
/// reshape(A, [-1, k])^T @ reshape(dY, [-1, n]). Per matrix and then
/// summed over the batch, it would be a batch of short products (k = m)
/// writing a [batch..., k, n] tensor as large as B times the batch, only
/// to reduce it. Null where that does not apply: A transposed (its rows
/// are then not the contracted axis), B batched, or a dynamic k or n.
Value weightGradientOverMergedRows(OpBuilder &builder, Location loc, Value a,
                                   Value dy, bool ta, bool tb,
                                   RankedTensorType bType) {
  RankedTensorType aType = tensorType(a), dyType = tensorType(dy);
  if (ta || bType.getRank() != 2 || aType.getRank() < 3)
    return nullptr;
  int64_t k = aType.getShape().back(), n = dyType.getShape().back();
  if (ShapedType::isDynamic(k) || ShapedType::isDynamic(n))
    return nullptr;
  Value rows = builder.create<ReshapeOp>(loc, a, ArrayRef<int64_t>{-1, k});
  Value dyRows = builder.create<ReshapeOp>(loc, dy, ArrayRef<int64_t>{-1, n});
  // B = [k, n]: dB = A^T dY; B stored [n, k] (tb): dB = dY^T A.
  return tb ? builder.create<MatmulOp>(loc, dyRows, rows,
                                       /*transpose_lhs=*/true,
                                       /*transpose_rhs=*/false)
            : builder.create<MatmulOp>(loc, rows, dyRows,
                                       /*transpose_lhs=*/true,
                                       /*transpose_rhs=*/false);
}

} // namespace

//===----------------------------------------------------------------------===//
// Contraction
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::buildGradient(OpBuilder &builder,
                                      ValueRange resultGrads,
                                      SmallVectorImpl<Value> &operandGrads) {
  Value dy = beginGradientRule(*this, resultGrads, operandGrads);
  if (!dy)
    return success();
  Location loc = getLoc();
  Value a = getLhs(), b = getRhs();
  bool ta = getTransposeLhs(), tb = getTransposeRhs();
  // With op(X) = X or X^T as the flags say, Y = op(A) @ op(B) gives
  // d op(A) = dY @ op(B)^T and d op(B) = op(A)^T @ dY; transposing those
  // back when a flag is set yields each gradient in its operand's layout as
  // one matmul whose flags do the transposing, so no transposed copy is
  // built. A [?, k] operand thus contracts over the batch (A^T @ dY) directly,
  // where an nn.transpose to [k, ?] would be rejected by the dialect.
  Value da = ta ? builder.create<MatmulOp>(loc, b, dy, /*transpose_lhs=*/tb,
                                           /*transpose_rhs=*/true)
                : builder.create<MatmulOp>(loc, dy, b, /*transpose_lhs=*/false,
                                           /*transpose_rhs=*/!tb);
  // Summed over the batch axes each operand was broadcast along.
  operandGrads[0] = reduceGradientToShape(builder, loc, da, tensorType(a));
  if (Value merged = weightGradientOverMergedRows(builder, loc, a, dy, ta, tb,
                                                  tensorType(b))) {
    operandGrads[1] = merged;
    return success();
  }
  Value db = tb ? builder.create<MatmulOp>(loc, dy, a, /*transpose_lhs=*/true,
                                           /*transpose_rhs=*/ta)
                : builder.create<MatmulOp>(loc, a, dy, /*transpose_lhs=*/!ta,
                                           /*transpose_rhs=*/false);
  operandGrads[1] = reduceGradientToShape(builder, loc, db, tensorType(b));
  return success();
}

LogicalResult SoftmaxOp::buildGradient(OpBuilder &builder,
                                       ValueRange resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  if (Value dy = beginGradientRule(*this, resultGrads, operandGrads))
    operandGrads[0] =
        builder.create<SoftmaxGradOp>(getLoc(), getResult(), dy, getAxis());
  return success();
}

LogicalResult
LogSoftmaxOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                            SmallVectorImpl<Value> &operandGrads) {
  if (Value dy = beginGradientRule(*this, resultGrads, operandGrads))
    operandGrads[0] =
        builder.create<LogSoftmaxGradOp>(getLoc(), getResult(), dy, getAxis());
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

LogicalResult ReduceSumOp::buildGradient(OpBuilder &builder,
                                         ValueRange resultGrads,
                                         SmallVectorImpl<Value> &operandGrads) {
  Value dy = beginGradientRule(*this, resultGrads, operandGrads);
  if (!dy)
    return success();
  RankedTensorType xType = tensorType(getX());
  SmallVector<int64_t> axes = normalizeReduceAxes(getAxes(), xType.getRank());
  operandGrads[0] = broadcastReducedGradient(builder, getLoc(), dy, xType, axes,
                                             getKeepdims());
  return success();
}

LogicalResult
ReduceMeanOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                            SmallVectorImpl<Value> &operandGrads) {
  Value dy = beginGradientRule(*this, resultGrads, operandGrads);
  if (!dy)
    return success();
  Location loc = getLoc();
  RankedTensorType xType = tensorType(getX());
  SmallVector<int64_t> axes = normalizeReduceAxes(getAxes(), xType.getRank());
  // Divide before broadcasting: the reduced tensor is the smaller one. The
  // count is computed from x when it includes the batch.
  Value count = createElementCount(builder, loc, getX(), axes);
  Value scaled = builder.create<DivOp>(loc, dy, count);
  operandGrads[0] = broadcastReducedGradient(builder, loc, scaled, xType, axes,
                                             getKeepdims());
  return success();
}

LogicalResult ReduceMaxOp::buildGradient(OpBuilder &builder,
                                         ValueRange resultGrads,
                                         SmallVectorImpl<Value> &operandGrads) {
  if (Value dy = beginGradientRule(*this, resultGrads, operandGrads))
    operandGrads[0] = builder.create<ReduceMaxGradOp>(
        getLoc(), getX(), getResult(), dy, getAxes(), getKeepdims());
  return success();
}

//===----------------------------------------------------------------------===//
// Layout
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::buildGradient(OpBuilder &builder,
                                       ValueRange resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  if (Value dy = beginGradientRule(*this, resultGrads, operandGrads))
    operandGrads[0] = builder.create<ReshapeOp>(
        getLoc(), dy, getShapeAttrValue(tensorType(getX())));
  return success();
}

LogicalResult TransposeOp::buildGradient(OpBuilder &builder,
                                         ValueRange resultGrads,
                                         SmallVectorImpl<Value> &operandGrads) {
  Value dy = beginGradientRule(*this, resultGrads, operandGrads);
  if (!dy)
    return success();
  int64_t rank = tensorType(getX()).getRank();
  SmallVector<int64_t> perm(getPerm());
  if (perm.empty())
    for (int64_t axis = rank - 1; axis >= 0; --axis)
      perm.push_back(axis);
  // Result axis i is input axis perm[i], so the gradient's axis perm[i]
  // comes from dy's axis i.
  SmallVector<int64_t> inverse(rank);
  for (int64_t axis = 0; axis < rank; ++axis)
    inverse[perm[axis]] = axis;
  operandGrads[0] = builder.create<TransposeOp>(getLoc(), dy, inverse);
  return success();
}

LogicalResult
BroadcastToOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                             SmallVectorImpl<Value> &operandGrads) {
  if (Value dy = beginGradientRule(*this, resultGrads, operandGrads))
    operandGrads[0] =
        reduceGradientToShape(builder, getLoc(), dy, tensorType(getX()));
  return success();
}

LogicalResult ConcatOp::buildGradient(OpBuilder &builder,
                                      ValueRange resultGrads,
                                      SmallVectorImpl<Value> &operandGrads) {
  Value dy = beginGradientRule(*this, resultGrads, operandGrads);
  if (!dy)
    return success();
  if (getInputs().size() == 1) {
    operandGrads[0] = dy;
    return success();
  }
  int64_t rank = tensorType(dy).getRank();
  int64_t axis = shape::normalizeAxis(static_cast<int64_t>(getAxis()), rank);
  // Concatenation along the batch is rejected, so every offset is static.
  int64_t offset = 0;
  for (auto [index, input] : llvm::enumerate(getInputs())) {
    int64_t extent = tensorType(input).getDimSize(axis);
    operandGrads[index] = builder.create<SliceOp>(
        getLoc(), dy, ArrayRef<int64_t>{axis}, ArrayRef<int64_t>{offset},
        ArrayRef<int64_t>{offset + extent});
    offset += extent;
  }
  return success();
}

LogicalResult SliceOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                     SmallVectorImpl<Value> &operandGrads) {
  if (Value dy = beginGradientRule(*this, resultGrads, operandGrads))
    operandGrads[0] = builder.create<SliceGradOp>(
        getLoc(), dy, getShapeAttrValue(tensorType(getX())), getAxes(),
        getStarts(), getEnds(), getSteps());
  return success();
}

LogicalResult GatherOp::buildGradient(OpBuilder &builder,
                                      ValueRange resultGrads,
                                      SmallVectorImpl<Value> &operandGrads) {
  // The indices are integers: beginGradientRule leaves them null.
  if (Value dy = beginGradientRule(*this, resultGrads, operandGrads))
    operandGrads[0] =
        builder.create<GatherGradOp>(getLoc(), dy, getIndices(), getAxis(),
                                     getShapeAttrValue(tensorType(getX())));
  return success();
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::buildGradient(OpBuilder &, ValueRange,
                                        SmallVectorImpl<Value> &operandGrads) {
  // No operands, so nothing to differentiate.
  operandGrads.clear();
  return success();
}

} // namespace nnc::nn
