//===- AttentionFusion.cpp - Hand-written attention to one op -------------===//
//
// softmax(q @ kT * c + mask) @ v, written out with matmul, mul or div, add
// and softmax, becomes nn.scaled_dot_product_attention: one op whose
// kernels never keep the [queries, keys] probabilities, and whose gradient
// op recomputes them instead of autodiff saving them.
//
//===----------------------------------------------------------------------===//

#include "passes/SimplifyPatterns.h"

#include "ir/BindingRoles.h"
#include "ir/InferContext.h"
#include "ir/NNOps.h"
#include "ir/ShapeRules.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseSet.h"

#include <cmath>
#include <optional>

using namespace mlir;
namespace nn = nnc::nn;
namespace shape = nnc::shape;
namespace rt = nnc::rt;

namespace {

RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

shape::Shape toShape(Value value) {
  return nnc::nn::detail::toShape(tensorType(value));
}

/// `dims` with its last two extents swapped.
shape::Shape swapLastTwo(shape::Shape dims) {
  std::swap(dims[dims.size() - 2], dims[dims.size() - 1]);
  return dims;
}

/// The value of a splat float constant, if `value` is one.
std::optional<double> splatConstant(Value value) {
  DenseElementsAttr dense;
  if (!matchPattern(value, m_Constant(&dense)) || !dense.isSplat() ||
      !isa<FloatType>(dense.getElementType()))
    return std::nullopt;
  return dense.getSplatValue<FloatAttr>().getValueAsDouble();
}

/// q @ kT, times a constant factor.
struct ScaledScores {
  nn::MatmulOp scores;
  double scale = 1.0;
  /// Whether the factor was written (`* c` or `/ c`) rather than implied.
  bool scaled = false;
};

/// `value` as `scores`, `scores * c`, `c * scores` or `scores / c`, where
/// scores is a matmul without transpose_lhs and c a splat float constant
/// that neither widens the scores nor is 0 or non-finite (a 0 factor would
/// read as the fused op's 1/sqrt(d) default). Every value on the way is used
/// once, by the next op of the chain.
std::optional<ScaledScores> matchScaledScores(Value value) {
  if (!value.hasOneUse())
    return std::nullopt;
  auto asScores = [](Value scores) -> std::optional<ScaledScores> {
    auto matmul = scores.getDefiningOp<nn::MatmulOp>();
    if (!matmul || !scores.hasOneUse() || matmul.getTransposeLhs())
      return std::nullopt;
    return ScaledScores{matmul};
  };
  Operation *def = value.getDefiningOp();
  if (!def)
    return std::nullopt;
  if (isa<nn::MatmulOp>(def))
    return asScores(value);

  Value scores;
  std::optional<double> factor;
  if (auto mul = dyn_cast<nn::MulOp>(def)) {
    if ((factor = splatConstant(mul.getRhs())))
      scores = mul.getLhs();
    else if ((factor = splatConstant(mul.getLhs())))
      scores = mul.getRhs();
  } else if (auto div = dyn_cast<nn::DivOp>(def)) {
    if ((factor = splatConstant(div.getRhs())) && *factor != 0)
      factor = 1.0 / *factor;
    scores = div.getLhs();
  }
  if (!factor || !scores || scores.getType() != value.getType() ||
      *factor == 0 || !std::isfinite(*factor))
    return std::nullopt;
  std::optional<ScaledScores> match = asScores(scores);
  if (!match)
    return std::nullopt;
  match->scale = *factor;
  match->scaled = true;
  return match;
}

/// True if argument `index` of `function` is not learned: an input (but
/// one whose gradient is asked for), a buffer or a frozen parameter. An
/// argument without a role may be anything.
bool isFixedArgument(func::FuncOp function, unsigned index) {
  rt::BindingRole role = nn::argumentRole(function, index);
  if (role == rt::BindingRole::Input)
    return !function.getArgAttr(index, nn::kDifferentiatedAttrName);
  if (role == rt::BindingRole::Buffer)
    return true;
  return role == rt::BindingRole::Param &&
         function.getArgAttr(index, "nn.frozen");
}

/// True if `mask` is computed from constants, inputs, buffers, frozen
/// parameters and integer values only. The fused op gives its mask no
/// gradient, so a learned bias added to the scores keeps the written-out
/// form. Inputs count as data, a mask is one, unless their gradient is
/// asked for (`nnc grad --wrt`, which marks them).
bool isFixedMask(Value mask) {
  SmallVector<Value> worklist{mask};
  llvm::DenseSet<Value> seen;
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    if (!seen.insert(value).second)
      continue;
    // No gradient flows through integer (index, mask) values.
    auto type = dyn_cast<ShapedType>(value.getType());
    if (type && !isa<FloatType>(type.getElementType()))
      continue;
    if (auto arg = dyn_cast<BlockArgument>(value)) {
      auto function = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
      if (!function || !isFixedArgument(function, arg.getArgNumber()))
        return false;
      continue;
    }
    Operation *def = value.getDefiningOp();
    if (def->getNumRegions() != 0)
      return false;
    llvm::append_range(worklist, def->getOperands());
  }
  return true;
}

/// The permutation of `rank` axes that swaps the last two.
SmallVector<int64_t> lastTwoSwapped(int64_t rank) {
  SmallVector<int64_t> perm;
  for (int64_t axis = 0; axis < rank; ++axis)
    perm.push_back(axis);
  std::swap(perm[rank - 2], perm[rank - 1]);
  return perm;
}

/// `value` with its last two axes swapped, by a new transpose.
Value transposeLastTwo(PatternRewriter &rewriter, Location loc, Value value) {
  int64_t rank = tensorType(value).getRank();
  return rewriter.create<nn::TransposeOp>(loc, value, lastTwoSwapped(rank));
}

/// matmul(softmax(scale * q @ kT + mask), v) -> scaled_dot_product_attention
/// (q, k, v, mask) with that scale (1 when none is written, never the 0
/// default). The softmax runs over the last axis; q, k and v have one rank
/// and the same leading dimensions (no broadcasting batch); the mask
/// broadcasts to the scores without widening them and takes no gradient.
/// The scores, the scaled and masked scores and the probabilities are used
/// only by the chain, so that none of them has to be computed anyway.
struct HandWrittenAttentionToOp : OpRewritePattern<nn::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(nn::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getTransposeLhs())
      return failure();
    auto softmax = op.getLhs().getDefiningOp<nn::SoftmaxOp>();
    if (!softmax || !softmax->hasOneUse())
      return failure();
    int64_t rank = softmax.getType().getRank();
    if (rank < 2 || (softmax.getAxis() != -1 && softmax.getAxis() != rank - 1))
      return rewriter.notifyMatchFailure(op, "not a softmax over the keys");

    Value logits = softmax.getX();
    std::optional<ScaledScores> match;
    Value mask;
    if (auto add = logits.getDefiningOp<nn::AddOp>()) {
      if (!logits.hasOneUse())
        return failure();
      // Either operand may be the mask; when both are scores, the scaled
      // one is, as written by hand, q @ kT * c + bias.
      std::optional<ScaledScores> lhs = matchScaledScores(add.getLhs());
      std::optional<ScaledScores> rhs = matchScaledScores(add.getRhs());
      bool rhsFirst = rhs && (!lhs || (rhs->scaled && !lhs->scaled));
      for (bool useRhs : {rhsFirst, !rhsFirst}) {
        std::optional<ScaledScores> &candidate = useRhs ? rhs : lhs;
        Value scaled = useRhs ? add.getRhs() : add.getLhs();
        Value other = useRhs ? add.getLhs() : add.getRhs();
        if (candidate && scaled.getType() == logits.getType() &&
            isFixedMask(other)) {
          match = candidate;
          mask = other;
          break;
        }
      }
    } else {
      match = matchScaledScores(logits);
    }
    if (!match)
      return rewriter.notifyMatchFailure(op, "no q @ kT feeds the softmax");

    nn::MatmulOp scores = match->scores;
    Value q = scores.getLhs(), kSource = scores.getRhs(), vSource = op.getRhs();
    shape::Shape k = toShape(kSource), v = toShape(vSource);
    if (!scores.getTransposeRhs())
      k = swapLastTwo(std::move(k));
    if (op.getTransposeRhs())
      v = swapLastTwo(std::move(v));
    shape::Shape maskShape = mask ? toShape(mask) : shape::Shape();
    shape::ShapeResult fused =
        shape::attention(toShape(q), k, v, mask ? &maskShape : nullptr);
    if (!fused.ok() ||
        ArrayRef<int64_t>(fused.shape) != op.getType().getShape())
      return rewriter.notifyMatchFailure(op, "q, k and v do not fit one op");
    Type element = op.getType().getElementType();
    for (Value operand : {q, kSource, vSource, mask})
      if (operand && tensorType(operand).getElementType() != element)
        return rewriter.notifyMatchFailure(op, "mixed element types");

    Location loc = op.getLoc();
    Value key = scores.getTransposeRhs()
                    ? kSource
                    : transposeLastTwo(rewriter, scores.getLoc(), kSource);
    Value value = op.getTransposeRhs()
                      ? transposeLastTwo(rewriter, loc, vSource)
                      : vSource;
    rewriter.replaceOpWithNewOp<nn::ScaledDotProductAttentionOp>(
        op, op.getType(), q, key, value, mask, rewriter.getBoolAttr(false),
        rewriter.getF64FloatAttr(match->scale));
    return success();
  }
};

} // namespace

void nnc::populateAttentionFusionPatterns(RewritePatternSet &patterns) {
  patterns.add<HandWrittenAttentionToOp>(patterns.getContext());
}
