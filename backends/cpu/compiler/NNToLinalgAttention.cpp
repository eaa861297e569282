//===- NNToLinalgAttention.cpp - Attention the cpu cannot run natively ----===//
//
// scaled_dot_product_attention and its gradient run natively (gemm/
// Attention.h) when they are f32 and alone in their kernel. Otherwise (f64,
// as for gradient checks, or an operand computed in the same kernel) they
// are rewritten here into the nn ops they are made of, which the other
// patterns lower: correct everywhere, if slower, and keeping the [t, s]
// scores.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/compiler/NNToLinalg.h"

#include "ir/NNOps.h"

#include <limits>

using namespace mlir;
using namespace nnc;

namespace {

/// The probabilities softmax(scale * q kT + mask) of `op`, each row over
/// the keys, with the causal triangle hidden when asked.
template <typename AttentionOp>
Value probabilities(AttentionOp op, PatternRewriter &r) {
  Location loc = op.getLoc();
  auto q = cast<RankedTensorType>(op.getQ().getType());
  auto k = cast<RankedTensorType>(op.getK().getType());
  Type element = q.getElementType();
  Value scores = r.create<nn::MatmulOp>(loc, op.getQ(), op.getK(),
                                        /*transpose_lhs=*/false,
                                        /*transpose_rhs=*/true);
  auto scalar = RankedTensorType::get({}, element);
  Value scale = r.create<nn::ConstantOp>(
      loc,
      DenseElementsAttr::get(
          scalar, r.getFloatAttr(element, op.getEffectiveScale()).getValue()));
  scores = r.create<nn::MulOp>(loc, scores, scale);
  if (Value mask = op.getMask())
    scores = r.create<nn::AddOp>(loc, scores, mask);
  if (op.getCausal()) {
    int64_t queries = q.getDimSize(q.getRank() - 2);
    int64_t keys = k.getDimSize(k.getRank() - 2);
    auto type = RankedTensorType::get({queries, keys}, element);
    std::vector<APFloat> triangle;
    const auto &semantics = cast<FloatType>(element).getFloatSemantics();
    for (int64_t i = 0; i < queries; ++i)
      for (int64_t j = 0; j < keys; ++j)
        triangle.push_back(j <= i ? APFloat::getZero(semantics)
                                  : APFloat::getInf(semantics, true));
    Value hidden =
        r.create<nn::ConstantOp>(loc, DenseElementsAttr::get(type, triangle));
    scores = r.create<nn::AddOp>(loc, scores, hidden);
  }
  Value p = r.create<nn::SoftmaxOp>(loc, scores, r.getI64IntegerAttr(-1));
  // A row whose every score is -inf is NaN after softmax; the op defines it
  // as 0 (NaN is the one value not equal to itself).
  Value zero = r.create<nn::ConstantOp>(
      loc,
      DenseElementsAttr::get(scalar, r.getFloatAttr(element, 0.0).getValue()));
  Value undefined = r.create<nn::NotEqualOp>(loc, p, p);
  return r.create<nn::WhereOp>(loc, undefined, zero, p);
}

LogicalResult decomposeAttention(nn::ScaledDotProductAttentionOp op,
                                 PatternRewriter &r) {
  Value p = probabilities(op, r);
  r.replaceOp(op, r.create<nn::MatmulOp>(op.getLoc(), p, op.getV(),
                                         /*transpose_lhs=*/false,
                                         /*transpose_rhs=*/false)
                      .getResult());
  return success();
}

LogicalResult decomposeAttentionGrad(nn::ScaledDotProductAttentionGradOp op,
                                     PatternRewriter &r) {
  Location loc = op.getLoc();
  Value p = probabilities(op, r);
  Value dout = op.getDout();
  Value dv = r.create<nn::MatmulOp>(loc, p, dout, /*transpose_lhs=*/true,
                                    /*transpose_rhs=*/false);
  Value dp = r.create<nn::MatmulOp>(loc, dout, op.getV(),
                                    /*transpose_lhs=*/false,
                                    /*transpose_rhs=*/true);
  // softmax's backward: dS = P * (dP - rowsum(P * dP)), where rowsum(P *
  // dP) = rowsum(dout * out).
  int64_t last = cast<RankedTensorType>(dout.getType()).getRank() - 1;
  Value rowDot = r.create<nn::ReduceSumOp>(
      loc, r.create<nn::MulOp>(loc, dout, op.getOut()).getResult(),
      ArrayRef<int64_t>{last}, /*keepdims=*/true);
  Value ds = r.create<nn::MulOp>(
      loc, p, r.create<nn::SubOp>(loc, dp, rowDot).getResult());
  Type element = cast<RankedTensorType>(dout.getType()).getElementType();
  Value scale = r.create<nn::ConstantOp>(
      loc, DenseElementsAttr::get(
               RankedTensorType::get({}, element),
               r.getFloatAttr(element, op.getEffectiveScale()).getValue()));
  ds = r.create<nn::MulOp>(loc, ds, scale);
  Value dq = r.create<nn::MatmulOp>(loc, ds, op.getK(), /*transpose_lhs=*/false,
                                    /*transpose_rhs=*/false);
  Value dk = r.create<nn::MatmulOp>(loc, ds, op.getQ(), /*transpose_lhs=*/true,
                                    /*transpose_rhs=*/false);
  r.replaceOp(op, ValueRange{dq, dk, dv});
  return success();
}

} // namespace

void nnc::cpu::populateNNToLinalgAttentionPatterns(
    RewritePatternSet &patterns) {
  patterns.add<
      FnPattern<nn::ScaledDotProductAttentionOp, decomposeAttention>,
      FnPattern<nn::ScaledDotProductAttentionGradOp, decomposeAttentionGrad>>(
      patterns.getContext());
}
