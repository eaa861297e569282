//===- NNToLinalgPooling.cpp - Pooling and its gradients to linalg --------===//
//
// Pooling windows are linalg reductions over a padded input (with a
// shape-only window operand, as linalg's own pooling ops); the pooling
// gradients scatter through scf loops over tensors.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/compiler/LinalgBuilders.h"
#include "backends/cpu/compiler/NNToLinalg.h"

#include "ir/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace nnc;
using namespace nnc::cpu;

namespace {

using utils::IteratorType;

struct PoolWindow {
  int64_t kernel[2], stride[2], padding[2];
  bool countIncludePad = true;
};

template <typename PoolOp> PoolWindow poolWindowOf(PoolOp op) {
  PoolWindow window;
  ArrayRef<int64_t> stride = op.getEffectiveStride();
  for (int i = 0; i < 2; ++i) {
    window.kernel[i] = op.getKernel()[i];
    window.stride[i] = stride[i];
    window.padding[i] = op.getPadding()[i];
  }
  return window;
}

Value padded(OpBuilder &b, Location loc, Value x, const PoolWindow &w,
             double value) {
  if (w.padding[0] == 0 && w.padding[1] == 0)
    return x;
  RankedTensorType type = tensorTypeOf(x);
  SmallVector<int64_t> shape(type.getShape());
  shape[2] += 2 * w.padding[0];
  shape[3] += 2 * w.padding[1];
  SmallVector<int64_t> pads = {0, 0, w.padding[0], w.padding[1]};
  SmallVector<OpFoldResult> low = getAsIndexOpFoldResult(b.getContext(), pads);
  return b.create<tensor::PadOp>(
      loc, RankedTensorType::get(shape, type.getElementType()), x, low, low,
      scalarConstant(b, loc, type.getElementType(), value));
}

/// Maps of a window reduction over iterations (n, c, oh, ow, kh, kw): the
/// padded input, the window operand, the output.
SmallVector<AffineMap> windowMaps(MLIRContext *context, const PoolWindow &w) {
  auto d = [&](unsigned i) { return getAffineDimExpr(i, context); };
  return {AffineMap::get(6, 0,
                         {d(0), d(1), d(2) * w.stride[0] + d(4),
                          d(3) * w.stride[1] + d(5)},
                         context),
          AffineMap::get(6, 0, {d(4), d(5)}, context),
          AffineMap::get(6, 0, {d(0), d(1), d(2), d(3)}, context)};
}

SmallVector<IteratorType> windowIterators() {
  SmallVector<IteratorType> iterators(4, IteratorType::parallel);
  iterators.append(2, IteratorType::reduction);
  return iterators;
}

/// Number of real (unpadded) input elements of the window at output
/// position `out` along one axis.
Value realExtent(OpBuilder &b, Location l, Value out, int64_t kernel,
                 int64_t stride, int64_t padding, int64_t extent) {
  Value start = b.create<arith::SubIOp>(
      l, b.create<arith::MulIOp>(l, out, indexConstant(b, l, stride)),
      indexConstant(b, l, padding));
  Value end = b.create<arith::AddIOp>(l, start, indexConstant(b, l, kernel));
  Value first = b.create<arith::MaxSIOp>(l, start, indexConstant(b, l, 0));
  Value last = b.create<arith::MinSIOp>(l, end, indexConstant(b, l, extent));
  return b.create<arith::SubIOp>(l, last, first);
}

/// The f64 an average pool divides a window's sum by: the window's size,
/// or with count_include_pad off, its taps inside x, whose spatial extents
/// are `extents`. `positionOf(axis)` gives the window's output position
/// along axis 0 (rows) or 1 (columns); it is asked only for the count.
Value averageDivisor(OpBuilder &b, Location l, const PoolWindow &w,
                     const int64_t extents[2],
                     llvm::function_ref<Value(int)> positionOf) {
  if (w.countIncludePad)
    return scalarConstant(b, l, b.getF64Type(),
                          double(w.kernel[0] * w.kernel[1]));
  Value count = b.create<arith::MulIOp>(
      l,
      realExtent(b, l, positionOf(0), w.kernel[0], w.stride[0], w.padding[0],
                 extents[0]),
      realExtent(b, l, positionOf(1), w.kernel[1], w.stride[1], w.padding[1],
                 extents[1]));
  return b.create<arith::SIToFPOp>(
      l, b.getF64Type(),
      b.create<arith::IndexCastOp>(l, b.getI64Type(), count));
}

LogicalResult lowerMaxPool(nn::MaxPool2dOp op, PatternRewriter &r) {
  Location loc = op.getLoc();
  PoolWindow w = poolWindowOf(op);
  RankedTensorType type = tensorTypeOf(op.getResult());
  Type element = type.getElementType();
  // -inf padding never wins; maximumf lets a NaN win, as ref.
  Value x =
      padded(r, loc, op.getX(), w, -std::numeric_limits<double>::infinity());
  Value window = emptyTensor(
      r, loc, RankedTensorType::get({w.kernel[0], w.kernel[1]}, element));
  SmallVector<AffineMap> maps = windowMaps(r.getContext(), w);
  Value init =
      filledTensor(r, loc, type, -std::numeric_limits<double>::infinity());
  Value result = buildGeneric(r, loc, ValueRange{x, window}, {maps[0], maps[1]},
                              init, maps[2], windowIterators(),
                              [](OpBuilder &b, Location l, ValueRange a) {
                                return SmallVector<Value>{
                                    b.create<arith::MaximumFOp>(l, a[2], a[0])};
                              })
                     .front();
  r.replaceOp(op, result);
  return success();
}

LogicalResult lowerAvgPool(nn::AvgPool2dOp op, PatternRewriter &r) {
  Location loc = op.getLoc();
  MLIRContext *context = r.getContext();
  PoolWindow w = poolWindowOf(op);
  w.countIncludePad = op.getCountIncludePad();
  RankedTensorType type = tensorTypeOf(op.getResult());
  RankedTensorType xType = tensorTypeOf(op.getX());
  Type element = type.getElementType();
  Value x = padded(r, loc, op.getX(), w, 0.0);
  Value window = emptyTensor(
      r, loc, RankedTensorType::get({w.kernel[0], w.kernel[1]}, element));
  SmallVector<AffineMap> maps = windowMaps(context, w);
  Value sums =
      buildGeneric(
          r, loc, ValueRange{x, window}, {maps[0], maps[1]},
          filledTensor(r, loc, withElementType(type, r.getF64Type()), 0.0),
          maps[2], windowIterators(),
          [](OpBuilder &b, Location l, ValueRange a) {
            return SmallVector<Value>{
                b.create<arith::AddFOp>(l, a[2], toF64(b, l, a[0]))};
          })
          .front();
  int64_t extents[2] = {xType.getDimSize(2), xType.getDimSize(3)};
  Value result = buildElementwise(
      r, loc, type, sums, [&](OpBuilder &b, Location l, ValueRange a) {
        Value divisor = averageDivisor(b, l, w, extents, [&](int axis) {
          return b.create<linalg::IndexOp>(l, 2 + axis).getResult();
        });
        Value mean = b.create<arith::DivFOp>(l, a[0], divisor);
        return SmallVector<Value>{fromF64(b, l, mean, element)};
      });
  r.replaceOp(op, result);
  return success();
}

/// Input coordinates (ih, iw) of tap (kh, kw) of window (oh, ow), whether
/// they are real, and the same clamped into the input.
struct Tap {
  Value real;
  Value at[2];
};

Tap tapOf(OpBuilder &b, Location l, Value oh, Value ow, Value kh, Value kw,
          const PoolWindow &w, const int64_t extents[2]) {
  Tap tap;
  Value out[2] = {oh, ow}, k[2] = {kh, kw};
  for (int i = 0; i < 2; ++i) {
    Value in = b.create<arith::AddIOp>(
        l,
        b.create<arith::SubIOp>(
            l,
            b.create<arith::MulIOp>(l, out[i],
                                    indexConstant(b, l, w.stride[i])),
            indexConstant(b, l, w.padding[i])),
        k[i]);
    Value ok = b.create<arith::AndIOp>(
        l,
        b.create<arith::CmpIOp>(l, arith::CmpIPredicate::sge, in,
                                indexConstant(b, l, 0)),
        b.create<arith::CmpIOp>(l, arith::CmpIPredicate::slt, in,
                                indexConstant(b, l, extents[i])));
    tap.real =
        tap.real ? b.create<arith::AndIOp>(l, tap.real, ok).getResult() : ok;
    tap.at[i] = b.create<arith::MinSIOp>(
        l, b.create<arith::MaxSIOp>(l, in, indexConstant(b, l, 0)),
        indexConstant(b, l, extents[i] - 1));
  }
  return tap;
}

LogicalResult lowerMaxPoolGrad(nn::MaxPool2dGradOp op, PatternRewriter &r) {
  Location loc = op.getLoc();
  PoolWindow w = poolWindowOf(op);
  RankedTensorType type = tensorTypeOf(op.getResult());
  RankedTensorType dyType = tensorTypeOf(op.getDy());
  Type element = type.getElementType();
  int64_t extents[2] = {type.getDimSize(2), type.getDimSize(3)};
  Value x = op.getX();
  // The first maximum of each window (a NaN sticks), as an index into its
  // plane; -1 before the first real element.
  Value window = emptyTensor(
      r, loc, RankedTensorType::get({w.kernel[0], w.kernel[1]}, element));
  MLIRContext *context = r.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, context); };
  AffineMap windowMap = AffineMap::get(6, 0, {d(4), d(5)}, context);
  AffineMap outMap = AffineMap::get(6, 0, {d(0), d(1), d(2), d(3)}, context);
  Value bestInit = filledTensor(r, loc, dyType.clone(element), 0.0);
  Value indexInit = filledTensor(r, loc, dyType.clone(r.getI64Type()), -1);
  SmallVector<Value> argmax = buildGeneric(
      r, loc, window, windowMap, ValueRange{bestInit, indexInit},
      {outMap, outMap}, windowIterators(),
      [&](OpBuilder &b, Location l, ValueRange a) {
        auto index = [&](int64_t i) {
          return b.create<linalg::IndexOp>(l, i).getResult();
        };
        Tap tap =
            tapOf(b, l, index(2), index(3), index(4), index(5), w, extents);
        Value v = b.create<tensor::ExtractOp>(
            l, x, ValueRange{index(0), index(1), tap.at[0], tap.at[1]});
        Value best = a[1], bestIndex = a[2];
        Value none =
            b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, bestIndex,
                                    scalarConstant(b, l, b.getI64Type(), -1));
        Value bestNaN =
            b.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNO, best, best);
        Value vNaN =
            b.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNO, v, v);
        Value greater =
            b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT, v, best);
        Value better = b.create<arith::AndIOp>(
            l,
            b.create<arith::XOrIOp>(
                l, bestNaN,
                b.create<arith::ConstantIntOp>(l, 1, b.getI1Type())),
            b.create<arith::OrIOp>(l, vNaN, greater));
        Value take = b.create<arith::AndIOp>(
            l, tap.real, b.create<arith::OrIOp>(l, none, better));
        Value flat = b.create<arith::AddIOp>(
            l,
            b.create<arith::MulIOp>(l, tap.at[0],
                                    indexConstant(b, l, extents[1])),
            tap.at[1]);
        Value flat64 = b.create<arith::IndexCastOp>(l, b.getI64Type(), flat);
        return SmallVector<Value>{
            b.create<arith::SelectOp>(l, take, v, best),
            b.create<arith::SelectOp>(l, take, flat64, bestIndex)};
      });
  Value indices = argmax[1];
  Value dy = op.getDy();
  Value sums = filledTensor(r, loc, withElementType(type, r.getF64Type()), 0.0);
  sums = loopOver(
      r, loc, dyType.getShape(), sums,
      [&](OpBuilder &b, Location l, ValueRange ivs, Value acc) {
        Value flat = b.create<arith::IndexCastOp>(
            l, b.getIndexType(), b.create<tensor::ExtractOp>(l, indices, ivs));
        Value width = indexConstant(b, l, extents[1]);
        SmallVector<Value> at = {ivs[0], ivs[1],
                                 b.create<arith::DivUIOp>(l, flat, width),
                                 b.create<arith::RemUIOp>(l, flat, width)};
        Value grad = toF64(b, l, b.create<tensor::ExtractOp>(l, dy, ivs));
        Value current = b.create<tensor::ExtractOp>(l, acc, at);
        Value sum = b.create<arith::AddFOp>(l, current, grad);
        return b.create<tensor::InsertOp>(l, sum, acc, at).getResult();
      });
  r.replaceOp(op, narrowFromF64(r, loc, sums, type));
  return success();
}

LogicalResult lowerAvgPoolGrad(nn::AvgPool2dGradOp op, PatternRewriter &r) {
  Location loc = op.getLoc();
  PoolWindow w = poolWindowOf(op);
  w.countIncludePad = op.getCountIncludePad();
  RankedTensorType type = tensorTypeOf(op.getResult());
  RankedTensorType dyType = tensorTypeOf(op.getDy());
  int64_t extents[2] = {type.getDimSize(2), type.getDimSize(3)};
  Value dy = op.getDy();
  SmallVector<int64_t> space(dyType.getShape());
  space.push_back(w.kernel[0]);
  space.push_back(w.kernel[1]);
  Value sums = filledTensor(r, loc, withElementType(type, r.getF64Type()), 0.0);
  sums = loopOver(
      r, loc, space, sums,
      [&](OpBuilder &b, Location l, ValueRange ivs, Value acc) {
        Tap tap = tapOf(b, l, ivs[2], ivs[3], ivs[4], ivs[5], w, extents);
        Value divisor = averageDivisor(b, l, w, extents,
                                       [&](int axis) { return ivs[2 + axis]; });
        Value grad =
            toF64(b, l, b.create<tensor::ExtractOp>(l, dy, ivs.take_front(4)));
        Value share = b.create<arith::DivFOp>(l, grad, divisor);
        SmallVector<Value> at = {ivs[0], ivs[1], tap.at[0], tap.at[1]};
        Value current = b.create<tensor::ExtractOp>(l, acc, at);
        Value sum = b.create<arith::SelectOp>(
            l, tap.real, b.create<arith::AddFOp>(l, current, share), current);
        return b.create<tensor::InsertOp>(l, sum, acc, at).getResult();
      });
  r.replaceOp(op, narrowFromF64(r, loc, sums, type));
  return success();
}

} // namespace

void nnc::cpu::populateNNToLinalgPoolingPatterns(RewritePatternSet &patterns) {
  patterns.add<FnPattern<nn::MaxPool2dOp, lowerMaxPool>,
               FnPattern<nn::AvgPool2dOp, lowerAvgPool>,
               FnPattern<nn::MaxPool2dGradOp, lowerMaxPoolGrad>,
               FnPattern<nn::AvgPool2dGradOp, lowerAvgPoolGrad>>(
      patterns.getContext());
}
