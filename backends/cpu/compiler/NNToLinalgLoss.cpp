//===- NNToLinalgLoss.cpp - Losses and their gradients to linalg ----------===//
//
// Losses sum their terms in f64 in row-major order and divide once, as ref
// does; the label and probability checks run in the kernel before the
// code (KernelPlan.cpp), so indices here are only clamped for safety.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/compiler/LinalgBuilders.h"
#include "backends/cpu/compiler/NNToLinalg.h"

#include "ir/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace nnc;
using namespace nnc::cpu;

namespace {

using utils::IteratorType;

SmallVector<int64_t> broadcastShape(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> shape(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    shape[i] = x == 1 ? y : x;
  }
  return shape;
}

/// Σ term(inputs) over `shape` into a rank-0 f64 tensor, in row-major order.
Value sumAllF64(
    OpBuilder &b, Location loc, ValueRange inputs, ArrayRef<AffineMap> maps,
    ArrayRef<int64_t> shape,
    const std::function<Value(OpBuilder &, Location, ValueRange)> &term) {
  MLIRContext *context = b.getContext();
  unsigned rank = static_cast<unsigned>(shape.size());
  Value init =
      filledTensor(b, loc, RankedTensorType::get({}, b.getF64Type()), 0.0);
  return buildGeneric(b, loc, inputs, maps, init,
                      AffineMap::get(rank, 0, {}, context),
                      SmallVector<IteratorType>(rank, IteratorType::reduction),
                      [&](OpBuilder &nb, Location nl, ValueRange args) {
                        Value t = term(nb, nl, args.drop_back());
                        return SmallVector<Value>{
                            nb.create<arith::AddFOp>(nl, args.back(), t)};
                      })
      .front();
}

/// `sum / count` narrowed to the result type of `op`.
Value meanOf(OpBuilder &b, Location loc, Value sum, double count,
             RankedTensorType type) {
  Type element = type.getElementType();
  return buildElementwise(
      b, loc, type, sum, [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value n = scalarConstant(nb, nl, nb.getF64Type(), count);
        Value mean = nb.create<arith::DivFOp>(nl, a[0], n);
        return SmallVector<Value>{fromF64(nb, nl, mean, element)};
      });
}

template <typename LossOp>
LogicalResult lowerPointwiseLoss(
    LossOp op, PatternRewriter &r,
    const std::function<Value(OpBuilder &, Location, Value, Value)> &term) {
  Location loc = op.getLoc();
  Value lhs = op->getOperand(0), rhs = op->getOperand(1);
  SmallVector<int64_t> shape = broadcastShape(tensorTypeOf(lhs).getShape(),
                                              tensorTypeOf(rhs).getShape());
  MLIRContext *context = r.getContext();
  int64_t count = 1;
  for (int64_t extent : shape)
    count *= extent;
  Value sum =
      sumAllF64(r, loc, ValueRange{lhs, rhs},
                {broadcastMap(context, tensorTypeOf(lhs), shape),
                 broadcastMap(context, tensorTypeOf(rhs), shape)},
                shape, [&](OpBuilder &b, Location l, ValueRange a) {
                  return term(b, l, toF64(b, l, a[0]), toF64(b, l, a[1]));
                });
  r.replaceOp(op,
              meanOf(r, loc, sum, double(count), tensorTypeOf(op.getResult())));
  return success();
}

LogicalResult lowerMse(nn::MseOp op, PatternRewriter &r) {
  return lowerPointwiseLoss(
      op, r, [](OpBuilder &b, Location l, Value p, Value t) {
        Value d = b.create<arith::SubFOp>(l, p, t);
        return b.create<arith::MulFOp>(l, d, d).getResult();
      });
}

LogicalResult lowerBinaryCrossEntropy(nn::BinaryCrossEntropyOp op,
                                      PatternRewriter &r) {
  return lowerPointwiseLoss(
      op, r, [](OpBuilder &b, Location l, Value p, Value t) {
        Type f64 = b.getF64Type();
        Value floor = scalarConstant(b, l, f64, -100.0);
        Value one = scalarConstant(b, l, f64, 1.0);
        Value logP =
            b.create<arith::MaxNumFOp>(l, b.create<math::LogOp>(l, p), floor);
        Value logNotP = b.create<arith::MaxNumFOp>(
            l, b.create<math::Log1pOp>(l, b.create<arith::NegFOp>(l, p)),
            floor);
        Value sum = b.create<arith::AddFOp>(
            l, b.create<arith::MulFOp>(l, t, logP),
            b.create<arith::MulFOp>(l, b.create<arith::SubFOp>(l, one, t),
                                    logNotP));
        return b.create<arith::NegFOp>(l, sum).getResult();
      });
}

/// Row maxima m[i] and Σ_j exp(x[i, j] - m[i]) of logits [n, c], in f64.
std::pair<Value, Value> rowMaxAndExpSum(OpBuilder &b, Location loc,
                                        Value logits) {
  MLIRContext *context = b.getContext();
  SmallVector<bool> reduced = {false, true};
  Value max = maxF64(b, loc, logits, reduced);
  int64_t rows = tensorTypeOf(logits).getDimSize(0);
  Value init =
      filledTensor(b, loc, RankedTensorType::get({rows}, b.getF64Type()), 0.0);
  AffineMap identity = AffineMap::getMultiDimIdentityMap(2, context);
  AffineMap row = keptDimsMap(context, reduced);
  Value sum =
      buildGeneric(
          b, loc, ValueRange{logits, max}, {identity, row}, init, row,
          {IteratorType::parallel, IteratorType::reduction},
          [](OpBuilder &nb, Location nl, ValueRange a) {
            Value shifted =
                nb.create<arith::SubFOp>(nl, toF64(nb, nl, a[0]), a[1]);
            Value e = expOfShifted(nb, nl, shifted);
            return SmallVector<Value>{nb.create<arith::AddFOp>(nl, a[2], e)};
          })
          .front();
  return {max, sum};
}

Value labelIndex(OpBuilder &b, Location l, Value label, int64_t classes) {
  Value index = b.create<arith::IndexCastOp>(l, b.getIndexType(), label);
  Value zero = indexConstant(b, l, 0);
  Value last = indexConstant(b, l, classes - 1);
  return b.create<arith::MinSIOp>(l, b.create<arith::MaxSIOp>(l, index, zero),
                                  last);
}

/// Logits [n, ..., c] and labels [n, ...] as [rows, c] and [rows]: views
/// (collapse_shape), so that every rank runs the 2-D loops.
std::pair<Value, Value> asRows(OpBuilder &b, Location loc, Value logits,
                               Value labels) {
  RankedTensorType type = tensorTypeOf(logits);
  if (type.getRank() == 2)
    return {logits, labels};
  int64_t classes = type.getShape().back();
  int64_t rows = type.getNumElements() / classes;
  auto labelType = tensorTypeOf(labels);
  return {reshapeTo(b, loc, logits, type.clone({rows, classes})),
          reshapeTo(b, loc, labels, labelType.clone({rows}))};
}

/// Whether a label marks a position to leave out (`ignore_index`). An
/// index the label's type cannot hold (2^32 + 1 for i32 labels) matches no
/// label, where a constant of that type would wrap it onto one (to 1).
Value isIgnored(OpBuilder &b, Location l, Value label, int64_t ignoreIndex) {
  unsigned width = label.getType().getIntOrFloatBitWidth();
  if (width < 64 && (ignoreIndex < -(int64_t(1) << (width - 1)) ||
                     ignoreIndex >= (int64_t(1) << (width - 1))))
    return b.create<arith::ConstantOp>(l, b.getBoolAttr(false));
  Value ignored = b.create<arith::ConstantOp>(
      l, b.getIntegerAttr(label.getType(), ignoreIndex));
  return b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, label, ignored);
}

/// The positions of `labels` [rows] that count, as an f64 scalar tensor.
Value countedPositions(OpBuilder &b, Location loc, Value labels, int64_t rows,
                       int64_t ignoreIndex) {
  AffineMap identity = AffineMap::getMultiDimIdentityMap(1, b.getContext());
  return sumAllF64(b, loc, ValueRange{labels}, {identity}, {rows},
                   [&](OpBuilder &nb, Location l, ValueRange a) {
                     Type f64 = nb.getF64Type();
                     return nb
                         .create<arith::SelectOp>(
                             l, isIgnored(nb, l, a[0], ignoreIndex),
                             scalarConstant(nb, l, f64, 0.0),
                             scalarConstant(nb, l, f64, 1.0))
                         .getResult();
                   });
}

LogicalResult lowerSoftmaxCrossEntropy(nn::SoftmaxCrossEntropyOp op,
                                       PatternRewriter &r) {
  Location loc = op.getLoc();
  MLIRContext *context = r.getContext();
  auto [logitRows, labelRows] = asRows(r, loc, op.getLogits(), op.getLabels());
  Value logits = logitRows, labels = labelRows;
  RankedTensorType type = tensorTypeOf(logits);
  int64_t rows = type.getDimSize(0), classes = type.getDimSize(1);
  auto [max, sum] = rowMaxAndExpSum(r, loc, logits);
  AffineMap identity = AffineMap::getMultiDimIdentityMap(1, context);
  Value total = sumAllF64(
      r, loc, ValueRange{max, sum, labels}, {identity, identity, identity},
      {rows}, [&](OpBuilder &b, Location l, ValueRange a) {
        Value logSumExp =
            b.create<arith::AddFOp>(l, a[0], b.create<math::LogOp>(l, a[1]));
        Value row = b.create<linalg::IndexOp>(l, 0);
        Value picked = b.create<tensor::ExtractOp>(
            l, logits, ValueRange{row, labelIndex(b, l, a[2], classes)});
        Value term = b.create<arith::SubFOp>(l, logSumExp, toF64(b, l, picked));
        return b
            .create<arith::SelectOp>(
                l, isIgnored(b, l, a[2], op.getIgnoreIndex()),
                scalarConstant(b, l, b.getF64Type(), 0.0), term)
            .getResult();
      });
  Value count = countedPositions(r, loc, labels, rows, op.getIgnoreIndex());
  RankedTensorType resultType = tensorTypeOf(op.getResult());
  Type element = resultType.getElementType();
  r.replaceOp(op, buildElementwise(
                      r, loc, resultType, ValueRange{total, count},
                      [&](OpBuilder &b, Location l, ValueRange a) {
                        // Nothing to score (every position ignored): 0,
                        // not 0/0, as on ref.
                        Value positions = b.create<arith::MaximumFOp>(
                            l, a[1], scalarConstant(b, l, b.getF64Type(), 1.0));
                        Value mean =
                            b.create<arith::DivFOp>(l, a[0], positions);
                        return SmallVector<Value>{fromF64(b, l, mean, element)};
                      }));
  return success();
}

/// The labels of rows [first, first + rows) of `labels` [all rows], where
/// `first` is the kernel's first row (the wrapper's trailing argument)
/// times the label rows per leading row of the logits: a kernel split by
/// the logits' rows reads every label, and takes its own from them.
Value labelsOfChunk(OpBuilder &b, Location loc, Operation *op, Value labels,
                    int64_t rows, int64_t rowsPerLeadingRow) {
  auto fn = op->getParentOfType<func::FuncOp>();
  Value firstRow = b.create<arith::IndexCastOp>(loc, b.getIndexType(),
                                                fn.getArguments().back());
  Value offset = b.create<arith::MulIOp>(
      loc, firstRow, indexConstant(b, loc, rowsPerLeadingRow));
  return b.create<tensor::ExtractSliceOp>(
      loc, labels, ArrayRef<OpFoldResult>{offset},
      ArrayRef<OpFoldResult>{b.getIndexAttr(rows)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
}

LogicalResult lowerSoftmaxCrossEntropyGrad(nn::SoftmaxCrossEntropyGradOp op,
                                           PatternRewriter &r) {
  Location loc = op.getLoc();
  MLIRContext *context = r.getContext();
  auto [logitRows, labelRows] = asRows(r, loc, op.getLogits(), op.getLabels());
  Value logits = logitRows, allLabels = labelRows, labels = labelRows;
  RankedTensorType type = tensorTypeOf(logits);
  int64_t rows = type.getDimSize(0);
  int64_t allRows = tensorTypeOf(allLabels).getDimSize(0);
  // Split by rows (KernelPlan.cpp): the logits are this chunk's, the labels
  // all of them, so that the count below is the whole batch's.
  if (allRows != rows)
    labels = labelsOfChunk(r, loc, op, allLabels, rows,
                           rows / tensorTypeOf(op.getLogits()).getDimSize(0));
  SmallVector<bool> reduced = {false, true};
  Value max = maxF64(r, loc, logits, reduced);
  AffineMap identity = AffineMap::getMultiDimIdentityMap(2, context);
  AffineMap row = AffineMap::get(2, 0, {getAffineDimExpr(0, context)}, context);
  AffineMap scalar = AffineMap::get(2, 0, {}, context);
  // e^(x - m) once, kept for the row sums and for p = e / sum: the
  // exponentials are most of this kernel's time.
  Value exps =
      buildGeneric(r, loc, ValueRange{logits, max}, {identity, row},
                   emptyTensor(r, loc, type.clone(r.getF64Type())), identity,
                   {IteratorType::parallel, IteratorType::parallel},
                   [](OpBuilder &b, Location l, ValueRange a) {
                     Value shifted =
                         b.create<arith::SubFOp>(l, toF64(b, l, a[0]), a[1]);
                     return SmallVector<Value>{expOfShifted(b, l, shifted)};
                   })
          .front();
  Value sum = buildReduction(
      r, loc, exps, reduced, r.getF64Type(), 0.0,
      [](OpBuilder &, Location, Value v) { return v; },
      [](OpBuilder &b, Location l, Value acc, Value v) -> Value {
        return b.create<arith::AddFOp>(l, acc, v);
      });
  Value count =
      countedPositions(r, loc, allLabels, allRows, op.getIgnoreIndex());
  Type element = type.getElementType();
  Value result =
      buildGeneric(
          r, loc, ValueRange{exps, sum, labels, op.getDloss(), count},
          {identity, row, row, scalar, scalar}, emptyTensor(r, loc, type),
          identity, {IteratorType::parallel, IteratorType::parallel},
          [&](OpBuilder &b, Location l, ValueRange a) {
            Type f64 = b.getF64Type();
            Value scale = b.create<arith::DivFOp>(l, toF64(b, l, a[3]), a[4]);
            Value p = b.create<arith::DivFOp>(l, a[0], a[1]);
            Value column = b.create<arith::IndexCastOp>(
                l, a[2].getType(), b.create<linalg::IndexOp>(l, 1));
            Value isLabel = b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq,
                                                    column, a[2]);
            Value target = b.create<arith::SelectOp>(
                l, isLabel, scalarConstant(b, l, f64, 1.0),
                scalarConstant(b, l, f64, 0.0));
            Value grad = b.create<arith::MulFOp>(
                l, b.create<arith::SubFOp>(l, p, target), scale);
            grad = b.create<arith::SelectOp>(
                l, isIgnored(b, l, a[2], op.getIgnoreIndex()),
                scalarConstant(b, l, f64, 0.0), grad);
            return SmallVector<Value>{fromF64(b, l, grad, element)};
          })
          .front();
  r.replaceOp(op, reshapeTo(r, loc, result, tensorTypeOf(op.getResult())));
  return success();
}

LogicalResult lowerBinaryCrossEntropyGrad(nn::BinaryCrossEntropyGradOp op,
                                          PatternRewriter &r) {
  Location loc = op.getLoc();
  RankedTensorType type = tensorTypeOf(op.getResult());
  Value p = op.getProbabilities(), t = op.getTarget();
  SmallVector<int64_t> shape =
      broadcastShape(tensorTypeOf(p).getShape(), tensorTypeOf(t).getShape());
  if (ArrayRef<int64_t>(shape) != type.getShape())
    return op.emitError("cpu backend needs the probabilities to have the "
                        "broadcast shape of the targets");
  int64_t count = type.getNumElements();
  Type element = type.getElementType();
  Value result = buildElementwise(
      r, loc, type, ValueRange{p, t, op.getDloss()},
      [&](OpBuilder &b, Location l, ValueRange a) {
        Type f64 = b.getF64Type();
        Value pv = toF64(b, l, a[0]), tv = toF64(b, l, a[1]);
        Value scale = b.create<arith::DivFOp>(
            l, toF64(b, l, a[2]), scalarConstant(b, l, f64, double(count)));
        Value one = scalarConstant(b, l, f64, 1.0);
        Value variance =
            b.create<arith::MulFOp>(l, pv, b.create<arith::SubFOp>(l, one, pv));
        Value denominator = b.create<arith::MaximumFOp>(
            l, variance, scalarConstant(b, l, f64, 1e-12));
        Value grad = b.create<arith::MulFOp>(
            l,
            b.create<arith::DivFOp>(l, b.create<arith::SubFOp>(l, pv, tv),
                                    denominator),
            scale);
        return SmallVector<Value>{fromF64(b, l, grad, element)};
      });
  r.replaceOp(op, result);
  return success();
}

} // namespace

void nnc::cpu::populateNNToLinalgLossPatterns(RewritePatternSet &patterns) {
  patterns.add<
      FnPattern<nn::MseOp, lowerMse>,
      FnPattern<nn::BinaryCrossEntropyOp, lowerBinaryCrossEntropy>,
      FnPattern<nn::SoftmaxCrossEntropyOp, lowerSoftmaxCrossEntropy>,
      FnPattern<nn::SoftmaxCrossEntropyGradOp, lowerSoftmaxCrossEntropyGrad>,
      FnPattern<nn::BinaryCrossEntropyGradOp, lowerBinaryCrossEntropyGrad>>(
      patterns.getContext());
}
