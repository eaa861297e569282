//===- SimplifyPatterns.cpp - Algebraic rewrites of nn graphs -------------===//
//
// Each pattern checks, before rewriting, that the op it builds has the type
// of the op it replaces: broadcasting must not change a result's shape.
//
//===----------------------------------------------------------------------===//

#include "passes/SimplifyPatterns.h"

#include "ir/NNOps.h"
#include "ir/ShapeRules.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
namespace nn = nnc::nn;
namespace shape = nnc::shape;

namespace {

RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

shape::Shape toShape(Value value) {
  ArrayRef<int64_t> dims = tensorType(value).getShape();
  return shape::Shape(dims.begin(), dims.end());
}

/// The operand of `transpose` if it swaps exactly the last two axes (the
/// empty permutation does so at rank 2), else null.
Value lastTwoTransposed(Value value) {
  auto transpose = value.getDefiningOp<nn::TransposeOp>();
  if (!transpose)
    return Value();
  int64_t rank = tensorType(value).getRank();
  ArrayRef<int64_t> perm = transpose.getPerm();
  if (perm.empty())
    return rank == 2 ? transpose.getX() : Value();
  for (int64_t axis = 0; axis < rank - 2; ++axis)
    if (perm[axis] != axis)
      return Value();
  if (perm[rank - 2] != rank - 1 || perm[rank - 1] != rank - 2)
    return Value();
  return transpose.getX();
}

/// matmul(transpose(a), b) -> matmul(a, b) with transpose_lhs toggled, and
/// likewise for the rhs: the kernel reads the transposed layout through
/// strides instead of a copy.
struct FoldTransposeIntoMatmul : OpRewritePattern<nn::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(nn::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    Value lhs = op.getLhs(), rhs = op.getRhs();
    bool transposeLhs = op.getTransposeLhs();
    bool transposeRhs = op.getTransposeRhs();
    if (Value source = lastTwoTransposed(lhs)) {
      lhs = source;
      transposeLhs = !transposeLhs;
    }
    if (Value source = lastTwoTransposed(rhs)) {
      rhs = source;
      transposeRhs = !transposeRhs;
    }
    if (lhs == op.getLhs() && rhs == op.getRhs())
      return failure();
    shape::ShapeResult result = shape::matmulTransposed(
        toShape(lhs), toShape(rhs), transposeLhs, transposeRhs);
    if (!result.ok() ||
        ArrayRef<int64_t>(result.shape) != op.getType().getShape())
      return rewriter.notifyMatchFailure(op, "the flags change the type");
    rewriter.replaceOpWithNewOp<nn::MatmulOp>(op, op.getType(), lhs, rhs,
                                              transposeLhs, transposeRhs);
    return success();
  }
};

/// log(softmax(x, axis)) -> log_softmax(x, axis), which never takes the log
/// of an underflowed zero.
struct LogOfSoftmaxToLogSoftmax : OpRewritePattern<nn::LogOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(nn::LogOp op,
                                PatternRewriter &rewriter) const override {
    auto softmax = op.getX().getDefiningOp<nn::SoftmaxOp>();
    if (!softmax)
      return failure();
    rewriter.replaceOpWithNewOp<nn::LogSoftmaxOp>(
        op, op.getType(), softmax.getX(), softmax.getAxisAttr());
    return success();
  }
};

/// binary_cross_entropy(sigmoid(z), t) -> the mean of
/// relu(z) - z*t + log(1 + exp(-|z|)): the cross-entropy computed from the
/// logits, which never forms a probability of exactly 0 or 1, so it stays
/// exact where sigmoid saturates (the clamped form would stop at 100 per
/// element) and its gradient is sigmoid(z) - t without a division. Fusion
/// then makes the chain one kernel: the one stable op the user meant.
///
/// -|z| is formed as z - 2*relu(z) (exact in floating point), not from
/// abs: relu and abs both have a kink at 0, and autodiff's one-sided slopes
/// there (relu' = 0, abs' = sign(0) = 0) would give a gradient of -t
/// instead of 1/2 - t at z = 0 exactly, which a zero input row and zero
/// biases produce. With one kink, from relu, the two terms' slopes cancel
/// to the true 1/2 whichever side relu' takes.
struct SigmoidCrossEntropyFromLogits
    : OpRewritePattern<nn::BinaryCrossEntropyOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(nn::BinaryCrossEntropyOp op,
                                PatternRewriter &rewriter) const override {
    auto sigmoid = op.getProbabilities().getDefiningOp<nn::SigmoidOp>();
    if (!sigmoid)
      return failure();
    Value z = sigmoid.getX(), t = op.getTarget();
    // The loss averages over the probabilities' elements; the rewrite must
    // too, so the target may not widen them.
    if (tensorType(z) != tensorType(op.getProbabilities()))
      return failure();
    shape::ShapeResult product = shape::broadcast(toShape(z), toShape(t));
    if (!product.ok() || product.shape != toShape(z))
      return failure();
    Type element = tensorType(z).getElementType();
    if (RankedTensorType::get({}, element) != op.getType())
      return failure();
    Location loc = op.getLoc();
    auto one = rewriter.create<nn::ConstantOp>(
        loc, DenseElementsAttr::get(RankedTensorType::get({}, element),
                                    rewriter.getFloatAttr(element, 1.0)));
    Value positivePart = rewriter.create<nn::ReluOp>(loc, z);
    Value zt = rewriter.create<nn::MulOp>(loc, z, t);
    Value negAbs = rewriter.create<nn::SubOp>(
        loc, rewriter.create<nn::SubOp>(loc, z, positivePart).getResult(),
        positivePart);
    Value softplus = rewriter.create<nn::LogOp>(
        loc, rewriter.create<nn::AddOp>(
                 loc, one, rewriter.create<nn::ExpOp>(loc, negAbs).getResult())
                 .getResult());
    Value terms = rewriter.create<nn::AddOp>(
        loc, rewriter.create<nn::SubOp>(loc, positivePart, zt).getResult(),
        softplus);
    Value mean = rewriter.create<nn::ReduceMeanOp>(
        loc, terms, ArrayRef<int64_t>{}, /*keepdims=*/false);
    rewriter.replaceOp(op, mean);
    return success();
  }
};

/// broadcast_to(broadcast_to(x, s1), s2) -> broadcast_to(x, s2): what
/// broadcasts to s1 broadcasts to everything s1 broadcasts to.
struct CollapseBroadcastChain : OpRewritePattern<nn::BroadcastToOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(nn::BroadcastToOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getX().getDefiningOp<nn::BroadcastToOp>();
    if (!inner)
      return failure();
    rewriter.replaceOpWithNewOp<nn::BroadcastToOp>(
        op, op.getType(), inner.getX(), op.getShapeAttr());
    return success();
  }
};

/// `shape` without its leading extents of 1.
ArrayRef<int64_t> dropLeadingOnes(ArrayRef<int64_t> shape) {
  while (!shape.empty() && shape.front() == 1)
    shape = shape.drop_front();
  return shape;
}

/// broadcast_to(reshape(x), s) -> broadcast_to(x, s) when the reshape only
/// adds or drops leading unit axes, which broadcasting does by itself.
struct DropUnitReshapeBeforeBroadcast : OpRewritePattern<nn::BroadcastToOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(nn::BroadcastToOp op,
                                PatternRewriter &rewriter) const override {
    auto reshape = op.getX().getDefiningOp<nn::ReshapeOp>();
    if (!reshape)
      return failure();
    Value source = reshape.getX();
    if (dropLeadingOnes(tensorType(source).getShape()) !=
        dropLeadingOnes(reshape.getType().getShape()))
      return rewriter.notifyMatchFailure(op, "the reshape moves elements");
    shape::ShapeResult result = shape::broadcastTo(
        toShape(source), {op.getShape().begin(), op.getShape().end()});
    if (!result.ok() ||
        ArrayRef<int64_t>(result.shape) != op.getType().getShape())
      return rewriter.notifyMatchFailure(op, "x has more axes than the result");
    rewriter.replaceOpWithNewOp<nn::BroadcastToOp>(op, op.getType(), source,
                                                   op.getShapeAttr());
    return success();
  }
};

/// True if `value` is a splat float or integer constant equal to -1.
bool isMinusOne(Value value) {
  DenseElementsAttr dense;
  if (!matchPattern(value, m_Constant(&dense)) || !dense.isSplat())
    return false;
  if (isa<FloatType>(dense.getElementType()))
    return dense.getSplatValue<APFloat>().isExactlyValue(-1.0);
  return dense.getSplatValue<APInt>().isAllOnes();
}

/// x * -1, -1 * x and x / -1 -> neg(x), where x has the result's type.
/// Integer division is left alone: minimum / -1 is a run-time error that
/// neg would hide.
template <typename OpTy> struct MinusOneToNeg : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    constexpr bool isMul = std::is_same_v<OpTy, nn::MulOp>;
    if (!isMul && !isa<FloatType>(op.getType().getElementType()))
      return failure();
    Value x;
    if (isMinusOne(op.getRhs()))
      x = op.getLhs();
    else if (isMul && isMinusOne(op.getLhs()))
      x = op.getRhs();
    if (!x || x.getType() != op.getType())
      return failure();
    rewriter.replaceOpWithNewOp<nn::NegOp>(op, op.getType(), x);
    return success();
  }
};

/// x + neg(y) and neg(y) + x -> x - y; x - neg(y) -> x + y. Exact in IEEE
/// arithmetic; neg keeps its operand's type, so broadcasting is unchanged.
struct AddOfNegToSub : OpRewritePattern<nn::AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(nn::AddOp op,
                                PatternRewriter &rewriter) const override {
    if (auto neg = op.getRhs().getDefiningOp<nn::NegOp>()) {
      rewriter.replaceOpWithNewOp<nn::SubOp>(op, op.getType(), op.getLhs(),
                                             neg.getX());
      return success();
    }
    if (auto neg = op.getLhs().getDefiningOp<nn::NegOp>()) {
      rewriter.replaceOpWithNewOp<nn::SubOp>(op, op.getType(), op.getRhs(),
                                             neg.getX());
      return success();
    }
    return failure();
  }
};

struct SubOfNegToAdd : OpRewritePattern<nn::SubOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(nn::SubOp op,
                                PatternRewriter &rewriter) const override {
    auto neg = op.getRhs().getDefiningOp<nn::NegOp>();
    if (!neg)
      return failure();
    rewriter.replaceOpWithNewOp<nn::AddOp>(op, op.getType(), op.getLhs(),
                                           neg.getX());
    return success();
  }
};

} // namespace

void nnc::populateSimplifyPatterns(RewritePatternSet &patterns) {
  patterns.add<FoldTransposeIntoMatmul, LogOfSoftmaxToLogSoftmax,
               SigmoidCrossEntropyFromLogits,
               CollapseBroadcastChain, DropUnitReshapeBeforeBroadcast,
               MinusOneToNeg<nn::MulOp>, MinusOneToNeg<nn::DivOp>,
               AddOfNegToSub, SubOfNegToAdd>(patterns.getContext());
  populateAttentionFusionPatterns(patterns);
}
