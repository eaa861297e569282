//===- NNToLinalgContraction.cpp - matmul and conv2d to linalg ------------===//
//
// The contractions, kept apart because they will switch to the fast
// JIT-generated GEMM path: rank-2 matmul is linalg.matmul; batched and
// broadcasting matmul, conv2d and its gradients are linalg.generic
// contractions (convolutions over a zero-padded input; the input gradient
// gathers the taps that reach each input element).
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/compiler/LinalgBuilders.h"
#include "backends/cpu/compiler/NNToLinalg.h"

#include "ir/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace nnc;
using namespace nnc::cpu;

namespace {

using utils::IteratorType;

SmallVector<Value> multiplyAccumulate(OpBuilder &b, Location l, ValueRange a) {
  Value product = b.create<arith::MulFOp>(l, a[0], a[1]);
  return {b.create<arith::AddFOp>(l, a[2], product)};
}

LogicalResult lowerMatmul(nn::MatmulOp op, PatternRewriter &r) {
  Location loc = op.getLoc();
  RankedTensorType type = tensorTypeOf(op.getResult());
  RankedTensorType lhsType = tensorTypeOf(op.getLhs());
  RankedTensorType rhsType = tensorTypeOf(op.getRhs());
  Value init = filledTensor(r, loc, type, 0.0);
  bool transposeLhs = op.getTransposeLhs(), transposeRhs = op.getTransposeRhs();
  if (type.getRank() == 2 && lhsType.getRank() == 2 && rhsType.getRank() == 2 &&
      !transposeLhs && !transposeRhs) {
    r.replaceOp(op, r.create<linalg::MatmulOp>(
                         loc, ValueRange{op.getLhs(), op.getRhs()}, init)
                        .getResult(0));
    return success();
  }
  // Iterations (batch..., m, n, k); operand batch dims align right and
  // broadcast.
  MLIRContext *context = r.getContext();
  int64_t batchRank = type.getRank() - 2;
  unsigned numDims = static_cast<unsigned>(type.getRank() + 1);
  auto dim = [&](int64_t i) {
    return getAffineDimExpr(static_cast<unsigned>(i), context);
  };
  auto operandMap = [&](RankedTensorType operand, int64_t row, int64_t col) {
    SmallVector<AffineExpr> exprs;
    int64_t operandBatch = operand.getRank() - 2;
    int64_t shift = batchRank - operandBatch;
    for (int64_t i = 0; i < operandBatch; ++i) {
      bool broadcast =
          operand.getDimSize(i) == 1 && type.getDimSize(i + shift) != 1;
      exprs.push_back(broadcast ? getAffineConstantExpr(0, context)
                                : dim(i + shift));
    }
    exprs.push_back(dim(row));
    exprs.push_back(dim(col));
    return AffineMap::get(numDims, 0, exprs, context);
  };
  int64_t m = batchRank, n = batchRank + 1, k = batchRank + 2;
  SmallVector<AffineExpr> outExprs;
  for (int64_t i = 0; i < batchRank + 2; ++i)
    outExprs.push_back(dim(i));
  SmallVector<IteratorType> iterators(batchRank + 2, IteratorType::parallel);
  iterators.push_back(IteratorType::reduction);
  Value result =
      buildGeneric(
          r, loc, ValueRange{op.getLhs(), op.getRhs()},
          {transposeLhs ? operandMap(lhsType, k, m) : operandMap(lhsType, m, k),
           transposeRhs ? operandMap(rhsType, n, k)
                        : operandMap(rhsType, k, n)},
          init, AffineMap::get(numDims, 0, outExprs, context), iterators,
          multiplyAccumulate)
          .front();
  r.replaceOp(op, result);
  return success();
}

/// The window attributes shared by conv2d and its gradients.
struct ConvWindow {
  int64_t stride[2], padding[2], dilation[2], groups;
};

template <typename ConvOp> ConvWindow windowOf(ConvOp op) {
  ConvWindow window;
  for (int i = 0; i < 2; ++i) {
    window.stride[i] = op.getStride()[i];
    window.padding[i] = op.getPadding()[i];
    window.dilation[i] = op.getDilation()[i];
  }
  window.groups = op.getGroups();
  return window;
}

/// `x` [n, c, h, w] padded with `value` by `padding` on both spatial sides.
Value padSpatial(OpBuilder &b, Location loc, Value x, const int64_t padding[2],
                 double value) {
  if (padding[0] == 0 && padding[1] == 0)
    return x;
  RankedTensorType type = tensorTypeOf(x);
  SmallVector<int64_t> shape(type.getShape());
  shape[2] += 2 * padding[0];
  shape[3] += 2 * padding[1];
  SmallVector<int64_t> pads = {0, 0, padding[0], padding[1]};
  SmallVector<OpFoldResult> low = getAsIndexOpFoldResult(b.getContext(), pads);
  Value fill = scalarConstant(b, loc, type.getElementType(), value);
  return b.create<tensor::PadOp>(
      loc, RankedTensorType::get(shape, type.getElementType()), x, low, low,
      fill);
}

LogicalResult lowerConv2d(nn::Conv2dOp op, PatternRewriter &r) {
  Location loc = op.getLoc();
  MLIRContext *context = r.getContext();
  ConvWindow window = windowOf(op);
  RankedTensorType type = tensorTypeOf(op.getResult());
  RankedTensorType wType = tensorTypeOf(op.getW());
  int64_t groupChannels = wType.getDimSize(1);
  int64_t groupFilters = wType.getDimSize(0) / window.groups;
  Value x = padSpatial(r, loc, op.getX(), window.padding, 0.0);
  // Iterations (n, f, oh, ow, cg, kh, kw).
  auto d = [&](unsigned i) { return getAffineDimExpr(i, context); };
  AffineExpr channel = groupFilters == wType.getDimSize(0)
                           ? d(4)
                           : d(1).floorDiv(groupFilters) * groupChannels + d(4);
  AffineMap xMap = AffineMap::get(
      7, 0,
      {d(0), channel, d(2) * window.stride[0] + d(5) * window.dilation[0],
       d(3) * window.stride[1] + d(6) * window.dilation[1]},
      context);
  AffineMap wMap = AffineMap::get(7, 0, {d(1), d(4), d(5), d(6)}, context);
  AffineMap outMap = AffineMap::get(7, 0, {d(0), d(1), d(2), d(3)}, context);
  SmallVector<IteratorType> iterators(4, IteratorType::parallel);
  iterators.append(3, IteratorType::reduction);
  Value result = buildGeneric(r, loc, ValueRange{x, op.getW()}, {xMap, wMap},
                              filledTensor(r, loc, type, 0.0), outMap,
                              iterators, multiplyAccumulate)
                     .front();
  if (Value bias = op.getBias()) {
    AffineMap identity = AffineMap::getMultiDimIdentityMap(4, context);
    AffineMap biasMap =
        AffineMap::get(4, 0, {getAffineDimExpr(1, context)}, context);
    result = buildGeneric(r, loc, ValueRange{result, bias}, {identity, biasMap},
                          emptyTensor(r, loc, type), identity,
                          SmallVector<IteratorType>(4, IteratorType::parallel),
                          [](OpBuilder &b, Location l, ValueRange a) {
                            return SmallVector<Value>{
                                b.create<arith::AddFOp>(l, a[0], a[1])};
                          })
                 .front();
  }
  r.replaceOp(op, result);
  return success();
}

LogicalResult lowerConv2dGradWeight(nn::Conv2dGradWeightOp op,
                                    PatternRewriter &r) {
  Location loc = op.getLoc();
  MLIRContext *context = r.getContext();
  ConvWindow window = windowOf(op);
  RankedTensorType type = tensorTypeOf(op.getResult());
  int64_t groupChannels = type.getDimSize(1);
  int64_t groupFilters = type.getDimSize(0) / window.groups;
  Value x = padSpatial(r, loc, op.getX(), window.padding, 0.0);
  // Iterations (f, cg, kh, kw, n, oh, ow).
  auto d = [&](unsigned i) { return getAffineDimExpr(i, context); };
  AffineExpr channel = groupFilters == type.getDimSize(0)
                           ? d(1)
                           : d(0).floorDiv(groupFilters) * groupChannels + d(1);
  AffineMap xMap = AffineMap::get(
      7, 0,
      {d(4), channel, d(5) * window.stride[0] + d(2) * window.dilation[0],
       d(6) * window.stride[1] + d(3) * window.dilation[1]},
      context);
  AffineMap dyMap = AffineMap::get(7, 0, {d(4), d(0), d(5), d(6)}, context);
  AffineMap outMap = AffineMap::get(7, 0, {d(0), d(1), d(2), d(3)}, context);
  SmallVector<IteratorType> iterators(4, IteratorType::parallel);
  iterators.append(3, IteratorType::reduction);
  Value result = buildGeneric(r, loc, ValueRange{x, op.getDy()}, {xMap, dyMap},
                              filledTensor(r, loc, type, 0.0), outMap,
                              iterators, multiplyAccumulate)
                     .front();
  r.replaceOp(op, result);
  return success();
}

LogicalResult lowerConv2dGradInput(nn::Conv2dGradInputOp op,
                                   PatternRewriter &r) {
  Location loc = op.getLoc();
  MLIRContext *context = r.getContext();
  ConvWindow window = windowOf(op);
  RankedTensorType type = tensorTypeOf(op.getResult());
  RankedTensorType wType = tensorTypeOf(op.getW());
  RankedTensorType dyType = tensorTypeOf(op.getDy());
  int64_t groupChannels = wType.getDimSize(1);
  int64_t groupFilters = wType.getDimSize(0) / window.groups;
  int64_t outExtent[2] = {dyType.getDimSize(2), dyType.getDimSize(3)};
  // Iterations (n, c, ih, iw, fg, kh, kw): input element (ih, iw) meets
  // output (oh, ow) through tap (kh, kw) when ih + p - kh * d = oh * s.
  auto d = [&](unsigned i) { return getAffineDimExpr(i, context); };
  AffineMap wMap =
      AffineMap::get(7, 0,
                     {d(1).floorDiv(groupChannels) * groupFilters + d(4),
                      d(1) % groupChannels, d(5), d(6)},
                     context);
  AffineMap outMap = AffineMap::get(7, 0, {d(0), d(1), d(2), d(3)}, context);
  SmallVector<IteratorType> iterators(4, IteratorType::parallel);
  iterators.append(3, IteratorType::reduction);
  Value dy = op.getDy();
  // fg appears in no operand on its own: a shape-only operand gives its
  // extent (as linalg's pooling ops do for their window).
  Value filterWindow = emptyTensor(
      r, loc, RankedTensorType::get({groupFilters}, type.getElementType()));
  AffineMap filterMap = AffineMap::get(7, 0, {d(4)}, context);
  Value result =
      buildGeneric(
          r, loc, ValueRange{op.getW(), filterWindow}, {wMap, filterMap},
          filledTensor(r, loc, type, 0.0), outMap, iterators,
          [&](OpBuilder &b, Location l, ValueRange a) {
            auto index = [&](int64_t i) {
              return b.create<linalg::IndexOp>(l, i).getResult();
            };
            auto constant = [&](int64_t v) { return indexConstant(b, l, v); };
            Value valid;
            SmallVector<Value> at = {index(0), Value()};
            Value c = index(1);
            at[1] = b.create<arith::AddIOp>(
                l,
                b.create<arith::MulIOp>(
                    l, b.create<arith::DivUIOp>(l, c, constant(groupChannels)),
                    constant(groupFilters)),
                index(4));
            for (int i = 0; i < 2; ++i) {
              Value in = index(2 + i), tap = index(5 + i);
              Value shifted = b.create<arith::SubIOp>(
                  l,
                  b.create<arith::AddIOp>(l, in, constant(window.padding[i])),
                  b.create<arith::MulIOp>(l, tap,
                                          constant(window.dilation[i])));
              Value nonNegative = b.create<arith::CmpIOp>(
                  l, arith::CmpIPredicate::sge, shifted, constant(0));
              Value safe = b.create<arith::MaxSIOp>(l, shifted, constant(0));
              Value out =
                  b.create<arith::DivUIOp>(l, safe, constant(window.stride[i]));
              Value exact = b.create<arith::CmpIOp>(
                  l, arith::CmpIPredicate::eq,
                  b.create<arith::RemUIOp>(l, safe, constant(window.stride[i])),
                  constant(0));
              Value inside = b.create<arith::CmpIOp>(
                  l, arith::CmpIPredicate::slt, out, constant(outExtent[i]));
              Value ok = b.create<arith::AndIOp>(
                  l, nonNegative, b.create<arith::AndIOp>(l, exact, inside));
              valid = valid ? b.create<arith::AndIOp>(l, valid, ok).getResult()
                            : ok;
              at.push_back(
                  b.create<arith::MinSIOp>(l, out, constant(outExtent[i] - 1)));
            }
            Value grad = b.create<tensor::ExtractOp>(l, dy, at);
            Value zero = scalarConstant(b, l, grad.getType(), 0);
            Value product = b.create<arith::MulFOp>(l, grad, a[0]);
            Value term = b.create<arith::SelectOp>(l, valid, product, zero);
            return SmallVector<Value>{b.create<arith::AddFOp>(l, a[2], term)};
          })
          .front();
  r.replaceOp(op, result);
  return success();
}

} // namespace

void nnc::cpu::populateNNToLinalgContractionPatterns(
    RewritePatternSet &patterns) {
  patterns.add<FnPattern<nn::MatmulOp, lowerMatmul>,
               FnPattern<nn::Conv2dOp, lowerConv2d>,
               FnPattern<nn::Conv2dGradInputOp, lowerConv2dGradInput>,
               FnPattern<nn::Conv2dGradWeightOp, lowerConv2dGradWeight>>(
      patterns.getContext());
}
