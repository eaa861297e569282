//===- NNCanonicalize.cpp - Folders and canonicalisation patterns of nn ---===//
//
// What `canonicalize` does to nn graphs: constant folding of elementwise ops
// on small constants, algebraic identities that return an operand unchanged
// (x + 0, x - 0, x * 1, x / 1, x ^ 1, neg(neg(x))), layout ops that do
// nothing (a reshape, broadcast_to or slice to the operand's own type, a
// transpose by the identity, a reduction that reduces nothing away), and
// chains of layout ops collapsed into one (reshape of reshape, transpose of
// transpose, a reduction over extent-1 axes as a reshape).
//
// An identity only fires when the result type is the operand's type: x + 0
// where the zero broadcasts x to a larger shape is not x. Folding computes
// elementwise ops in double and rounds to the element type, exactly as the
// ref backend's kernels do. x + 0 is folded for either sign of zero, so
// -0 + +0 may keep its sign; no other identity changes any value, and none
// that would (x * 0, x - x) is applied, for NaN and infinities.
//
//===----------------------------------------------------------------------===//

#include "ir/NNOps.h"
#include "ir/ShapeRules.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace nnc::nn;

namespace {

/// Constants with more elements than this are folded only when splat: the
/// folded attribute lives in the context for good.
constexpr int64_t kMaxFoldedElements = 1024;

RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// `attr` as dense elements, or null when it is absent or stored otherwise.
DenseElementsAttr denseOf(Attribute attr) {
  return dyn_cast_or_null<DenseElementsAttr>(attr);
}

/// True if a constant of `type` may be built by folding: a static shape
/// and, unless `splat`, few enough elements.
bool canFoldInto(RankedTensorType type, bool splat) {
  return type.hasStaticShape() &&
         (splat || type.getNumElements() <= kMaxFoldedElements);
}

/// True if `attr` is a splat float or integer constant equal to `value`;
/// for `value` 0, a float zero of either sign.
bool isSplatOf(Attribute attr, int64_t value) {
  DenseElementsAttr dense = denseOf(attr);
  if (!dense || !dense.isSplat())
    return false;
  if (isa<FloatType>(dense.getElementType())) {
    APFloat element = dense.getSplatValue<APFloat>();
    return value == 0 ? element.isZero()
                      : element.isExactlyValue(static_cast<double>(value));
  }
  return dense.getSplatValue<APInt>().getSExtValue() == value;
}

/// `value` rounded to the float type `type`, as static_cast<float> does.
APFloat toAPFloat(Type type, double value) {
  APFloat result(value);
  bool losesInfo = false;
  result.convert(cast<FloatType>(type).getFloatSemantics(),
                 APFloat::rmNearestTiesToEven, &losesInfo);
  return result;
}

double toDouble(const APFloat &value) {
  APFloat copy = value;
  bool losesInfo = false;
  copy.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &losesInfo);
  return copy.convertToDouble();
}

/// Folds a unary elementwise op over the constant `operand`: `floatFn` maps
/// float elements (in double), `intFn`, when given, integer ones. Null when
/// `operand` is not a foldable constant.
OpFoldResult
foldUnaryConstant(Attribute operand, RankedTensorType resultType,
                  llvm::function_ref<double(double)> floatFn,
                  llvm::function_ref<APInt(const APInt &)> intFn = nullptr) {
  DenseElementsAttr dense = denseOf(operand);
  if (!dense || dense.getType() != resultType ||
      !canFoldInto(resultType, dense.isSplat()))
    return {};
  Type elementType = resultType.getElementType();
  if (isa<FloatType>(elementType)) {
    if (dense.isSplat())
      return DenseElementsAttr::get(
          resultType,
          toAPFloat(elementType,
                    floatFn(toDouble(dense.getSplatValue<APFloat>()))));
    SmallVector<APFloat> values;
    for (const APFloat &value : dense.getValues<APFloat>())
      values.push_back(toAPFloat(elementType, floatFn(toDouble(value))));
    return DenseElementsAttr::get(resultType, values);
  }
  if (!intFn)
    return {};
  if (dense.isSplat())
    return DenseElementsAttr::get(resultType,
                                  intFn(dense.getSplatValue<APInt>()));
  SmallVector<APInt> values;
  for (const APInt &value : dense.getValues<APInt>())
    values.push_back(intFn(value));
  return DenseElementsAttr::get(resultType, values);
}

/// The flat index into an operand of `shape`, broadcast to `resultShape`,
/// of the result element at the flat index `index`.
int64_t broadcastIndex(int64_t index, ArrayRef<int64_t> resultShape,
                       ArrayRef<int64_t> shape) {
  int64_t offset = 0, stride = 1;
  int64_t leading = resultShape.size() - shape.size();
  for (int64_t axis = resultShape.size() - 1; axis >= 0; --axis) {
    int64_t coordinate = index % resultShape[axis];
    index /= resultShape[axis];
    if (axis < leading)
      continue;
    int64_t extent = shape[axis - leading];
    if (extent != 1)
      offset += coordinate * stride;
    stride *= extent;
  }
  return offset;
}

/// Folds a broadcasting binary op over two constants: `floatFn` maps float
/// pairs (in double), `intFn`, when given, integer ones (wrapping). Null
/// when either operand is not a foldable constant.
OpFoldResult foldBinaryConstant(
    Attribute lhs, Attribute rhs, RankedTensorType resultType,
    llvm::function_ref<double(double, double)> floatFn,
    llvm::function_ref<APInt(const APInt &, const APInt &)> intFn = nullptr) {
  DenseElementsAttr a = denseOf(lhs), b = denseOf(rhs);
  if (!a || !b)
    return {};
  bool splat = a.isSplat() && b.isSplat();
  if (!canFoldInto(resultType, splat))
    return {};
  Type elementType = resultType.getElementType();
  ArrayRef<int64_t> shape = resultType.getShape();
  ArrayRef<int64_t> shapeA = a.getType().getShape();
  ArrayRef<int64_t> shapeB = b.getType().getShape();
  int64_t count = splat ? 1 : resultType.getNumElements();
  if (isa<FloatType>(elementType)) {
    auto valuesA = a.getValues<APFloat>();
    auto valuesB = b.getValues<APFloat>();
    SmallVector<APFloat> values;
    for (int64_t index = 0; index < count; ++index) {
      double x = toDouble(valuesA[broadcastIndex(index, shape, shapeA)]);
      double y = toDouble(valuesB[broadcastIndex(index, shape, shapeB)]);
      values.push_back(toAPFloat(elementType, floatFn(x, y)));
    }
    if (splat)
      return DenseElementsAttr::get(resultType, values.front());
    return DenseElementsAttr::get(resultType, values);
  }
  if (!intFn)
    return {};
  auto valuesA = a.getValues<APInt>();
  auto valuesB = b.getValues<APInt>();
  SmallVector<APInt> values;
  for (int64_t index = 0; index < count; ++index)
    values.push_back(intFn(valuesA[broadcastIndex(index, shape, shapeA)],
                           valuesB[broadcastIndex(index, shape, shapeB)]));
  if (splat)
    return DenseElementsAttr::get(resultType, values.front());
  return DenseElementsAttr::get(resultType, values);
}

/// `value` if its type is `resultType` (no broadcasting happened), else
/// null.
OpFoldResult sameTypeOrNull(Value value, Type resultType) {
  if (value.getType() == resultType)
    return value;
  return {};
}

/// A splat constant's value re-typed as `resultType`, for layout ops that
/// only move equal elements around; null otherwise.
OpFoldResult foldSplatLayout(Attribute operand, RankedTensorType resultType) {
  DenseElementsAttr dense = denseOf(operand);
  if (!dense || !dense.isSplat() || !resultType.hasStaticShape())
    return {};
  return dense.resizeSplat(resultType);
}

SmallVector<int64_t> fullPermutation(ArrayRef<int64_t> perm, int64_t rank) {
  SmallVector<int64_t> full(perm);
  if (full.empty())
    for (int64_t axis = rank - 1; axis >= 0; --axis)
      full.push_back(axis);
  return full;
}

bool isIdentityPermutation(ArrayRef<int64_t> perm) {
  for (auto [index, axis] : llvm::enumerate(perm))
    if (axis != static_cast<int64_t>(index))
      return false;
  return true;
}

} // namespace

//===----------------------------------------------------------------------===//
// Binary ops
//===----------------------------------------------------------------------===//

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult folded = foldBinaryConstant(
          adaptor.getLhs(), adaptor.getRhs(), getType(),
          [](double x, double y) { return x + y; },
          [](const APInt &x, const APInt &y) { return x + y; }))
    return folded;
  if (isSplatOf(adaptor.getRhs(), 0))
    return sameTypeOrNull(getLhs(), getType());
  if (isSplatOf(adaptor.getLhs(), 0))
    return sameTypeOrNull(getRhs(), getType());
  return {};
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult folded = foldBinaryConstant(
          adaptor.getLhs(), adaptor.getRhs(), getType(),
          [](double x, double y) { return x - y; },
          [](const APInt &x, const APInt &y) { return x - y; }))
    return folded;
  if (isSplatOf(adaptor.getRhs(), 0))
    return sameTypeOrNull(getLhs(), getType());
  return {};
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult folded = foldBinaryConstant(
          adaptor.getLhs(), adaptor.getRhs(), getType(),
          [](double x, double y) { return x * y; },
          [](const APInt &x, const APInt &y) { return x * y; }))
    return folded;
  if (isSplatOf(adaptor.getRhs(), 1))
    return sameTypeOrNull(getLhs(), getType());
  if (isSplatOf(adaptor.getLhs(), 1))
    return sameTypeOrNull(getRhs(), getType());
  return {};
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  // Integer division is left to run time, which reports division by zero.
  if (OpFoldResult folded =
          foldBinaryConstant(adaptor.getLhs(), adaptor.getRhs(), getType(),
                             [](double x, double y) { return x / y; }))
    return folded;
  if (isSplatOf(adaptor.getRhs(), 1))
    return sameTypeOrNull(getLhs(), getType());
  return {};
}

OpFoldResult PowOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult folded =
          foldBinaryConstant(adaptor.getLhs(), adaptor.getRhs(), getType(),
                             [](double x, double y) { return std::pow(x, y); }))
    return folded;
  // pow(x, 1) is x for every x, NaN included. (pow(x, 0) is not folded: it
  // is how gradient rules count the rows of a dynamic batch.)
  if (isSplatOf(adaptor.getRhs(), 1))
    return sameTypeOrNull(getLhs(), getType());
  return {};
}

//===----------------------------------------------------------------------===//
// Unary ops
//===----------------------------------------------------------------------===//

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  if (auto inner = getX().getDefiningOp<NegOp>())
    return inner.getX();
  return foldUnaryConstant(
      adaptor.getX(), getType(), [](double x) { return -x; },
      [](const APInt &x) { return -x; });
}

OpFoldResult AbsOp::fold(FoldAdaptor adaptor) {
  return foldUnaryConstant(
      adaptor.getX(), getType(), [](double x) { return std::fabs(x); },
      [](const APInt &x) { return x.isNegative() ? -x : x; });
}

OpFoldResult ExpOp::fold(FoldAdaptor adaptor) {
  return foldUnaryConstant(adaptor.getX(), getType(),
                           [](double x) { return std::exp(x); });
}

OpFoldResult LogOp::fold(FoldAdaptor adaptor) {
  return foldUnaryConstant(adaptor.getX(), getType(),
                           [](double x) { return std::log(x); });
}

OpFoldResult SqrtOp::fold(FoldAdaptor adaptor) {
  return foldUnaryConstant(adaptor.getX(), getType(),
                           [](double x) { return std::sqrt(x); });
}

OpFoldResult ReluOp::fold(FoldAdaptor adaptor) {
  // The kernel's comparison, so that NaN propagates and -0 stays -0.
  return foldUnaryConstant(adaptor.getX(), getType(),
                           [](double x) { return x < 0 ? 0.0 : x; });
}

OpFoldResult SigmoidOp::fold(FoldAdaptor adaptor) {
  // The kernel's two forms, so that exp never overflows.
  return foldUnaryConstant(adaptor.getX(), getType(), [](double x) {
    if (x >= 0)
      return 1.0 / (1.0 + std::exp(-x));
    double e = std::exp(x);
    return e / (1.0 + e);
  });
}

OpFoldResult TanhOp::fold(FoldAdaptor adaptor) {
  return foldUnaryConstant(adaptor.getX(), getType(),
                           [](double x) { return std::tanh(x); });
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

namespace {

/// A reduction whose reduced axes all have extent 1 and are dropped is a
/// reshape: reduce_sum %x axes [1] : tensor<?x1xf32> -> tensor<?xf32> is
/// reshape %x shape [-1].
template <typename ReduceOpTy>
struct ReduceOfUnitAxesToReshape : OpRewritePattern<ReduceOpTy> {
  using OpRewritePattern<ReduceOpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(ReduceOpTy op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType xType = tensorType(op.getX());
    int64_t rank = xType.getRank();
    SmallVector<int64_t> axes(op.getAxes());
    if (axes.empty())
      for (int64_t axis = 0; axis < rank; ++axis)
        axes.push_back(axis);
    for (int64_t axis : axes) {
      int64_t normalized = nnc::shape::normalizeAxis(axis, rank);
      if (normalized < 0 || xType.getDimSize(normalized) != 1)
        return rewriter.notifyMatchFailure(op, "reduces an axis of extent "
                                               "other than 1");
    }
    RankedTensorType resultType = op.getType();
    if (resultType == xType)
      return failure(); // The folder returns x.
    SmallVector<int64_t> shape(resultType.getShape());
    for (int64_t &extent : shape)
      if (ShapedType::isDynamic(extent))
        extent = -1;
    rewriter.replaceOpWithNewOp<ReshapeOp>(
        op, resultType, op.getX(), rewriter.getDenseI64ArrayAttr(shape));
    return success();
  }
};

} // namespace

// A reduction to the operand's own type reduced only extent-1 axes and kept
// them: the sum, mean and maximum of one element are that element.
OpFoldResult ReduceSumOp::fold(FoldAdaptor) {
  return sameTypeOrNull(getX(), getType());
}

OpFoldResult ReduceMeanOp::fold(FoldAdaptor) {
  return sameTypeOrNull(getX(), getType());
}

OpFoldResult ReduceMaxOp::fold(FoldAdaptor) {
  return sameTypeOrNull(getX(), getType());
}

void ReduceSumOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<ReduceOfUnitAxesToReshape<ReduceSumOp>>(context);
}

void ReduceMeanOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                               MLIRContext *context) {
  results.add<ReduceOfUnitAxesToReshape<ReduceMeanOp>>(context);
}

void ReduceMaxOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<ReduceOfUnitAxesToReshape<ReduceMaxOp>>(context);
}

//===----------------------------------------------------------------------===//
// Layout
//===----------------------------------------------------------------------===//

namespace {

/// reshape(reshape(x, s1), s2) -> reshape(x, s2): the row-major order of the
/// elements is the same whatever the intermediate shape.
struct CollapseReshapeChain : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getX().getDefiningOp<ReshapeOp>();
    if (!inner)
      return failure();
    ArrayRef<int64_t> source = tensorType(inner.getX()).getShape();
    nnc::shape::ShapeResult collapsed =
        nnc::shape::reshape({source.begin(), source.end()},
                            {op.getShape().begin(), op.getShape().end()});
    // A -1 that absorbed the batch in the inner reshape only may leave the
    // outer shape unable to take x directly.
    if (!collapsed.ok() ||
        ArrayRef<int64_t>(collapsed.shape) != op.getType().getShape())
      return rewriter.notifyMatchFailure(op, "x cannot take the outer shape");
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), inner.getX(),
                                           op.getShapeAttr());
    return success();
  }
};

/// transpose(transpose(x, p1), p2) -> transpose(x, p1[p2[i]]), or x when
/// that is the identity.
struct CollapseTransposeChain : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getX().getDefiningOp<TransposeOp>();
    if (!inner)
      return failure();
    int64_t rank = op.getType().getRank();
    SmallVector<int64_t> first = fullPermutation(inner.getPerm(), rank);
    SmallVector<int64_t> second = fullPermutation(op.getPerm(), rank);
    SmallVector<int64_t> composed;
    for (int64_t axis : second)
      composed.push_back(first[axis]);
    if (isIdentityPermutation(composed)) {
      rewriter.replaceOp(op, inner.getX());
      return success();
    }
    rewriter.replaceOpWithNewOp<TransposeOp>(
        op, op.getType(), inner.getX(),
        rewriter.getDenseI64ArrayAttr(composed));
    return success();
  }
};

} // namespace

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult same = sameTypeOrNull(getX(), getType()))
    return same;
  DenseElementsAttr dense = denseOf(adaptor.getX());
  if (!dense || !canFoldInto(getType(), dense.isSplat()))
    return {};
  return dense.reshape(getType());
}

void ReshapeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                            MLIRContext *context) {
  results.add<CollapseReshapeChain>(context);
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  int64_t rank = getType().getRank();
  if (isIdentityPermutation(fullPermutation(getPerm(), rank)))
    return getX();
  return foldSplatLayout(adaptor.getX(), getType());
}

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<CollapseTransposeChain>(context);
}

OpFoldResult BroadcastToOp::fold(FoldAdaptor adaptor) {
  if (OpFoldResult same = sameTypeOrNull(getX(), getType()))
    return same;
  return foldSplatLayout(adaptor.getX(), getType());
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  // A dynamic axis can only be sliced whole, and a static one keeps its
  // extent only when the slice covers it: the same type means all of x.
  if (OpFoldResult same = sameTypeOrNull(getX(), getType()))
    return same;
  return foldSplatLayout(adaptor.getX(), getType());
}
