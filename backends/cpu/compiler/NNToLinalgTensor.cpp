//===- NNToLinalgTensor.cpp - Softmax, reductions, layout ops to linalg ---===//
//
// Reductions accumulate in f64 (integers in i64), in the order the loops
// visit elements, as ref does; layout ops become tensor slices, reshapes
// and index-mapping linalg.generic ops; scatters (gather_grad) become scf
// loops over tensors that bufferize in place.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/compiler/LinalgBuilders.h"
#include "backends/cpu/compiler/NNToLinalg.h"

#include "ir/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace nnc;
using namespace nnc::cpu;

namespace {

using utils::IteratorType;

SmallVector<bool> axisMask(int64_t rank, int64_t axis) {
  SmallVector<bool> reduced(rank, false);
  reduced[normalizeAxis(axis, rank)] = true;
  return reduced;
}

SmallVector<bool> axesMask(int64_t rank, ArrayRef<int64_t> axes) {
  SmallVector<bool> reduced(rank, axes.empty());
  for (int64_t axis : axes)
    reduced[normalizeAxis(axis, rank)] = true;
  return reduced;
}

SmallVector<IteratorType> iteratorsFor(ArrayRef<bool> reduced) {
  SmallVector<IteratorType> iterators;
  for (bool r : reduced)
    iterators.push_back(r ? IteratorType::reduction : IteratorType::parallel);
  return iterators;
}

RankedTensorType keptType(RankedTensorType type, ArrayRef<bool> reduced,
                          Type element) {
  SmallVector<int64_t> kept;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (!reduced[i])
      kept.push_back(type.getDimSize(i));
  return RankedTensorType::get(kept, element);
}

/// Σ f(inputs) over the reduced axes, in f64; `inputs[0]` has the full
/// shape, the others the kept shape.
Value sumF64(OpBuilder &b, Location loc, ValueRange inputs,
             ArrayRef<bool> reduced, ArrayRef<bool> keptInput,
             const std::function<Value(OpBuilder &, Location, ValueRange)> &f) {
  MLIRContext *context = b.getContext();
  RankedTensorType type = tensorTypeOf(inputs[0]);
  unsigned rank = static_cast<unsigned>(type.getRank());
  SmallVector<AffineMap> maps;
  for (size_t i = 0; i < inputs.size(); ++i)
    maps.push_back(keptInput[i]
                       ? keptDimsMap(context, reduced)
                       : AffineMap::getMultiDimIdentityMap(rank, context));
  Value init =
      filledTensor(b, loc, keptType(type, reduced, b.getF64Type()), 0.0);
  return buildGeneric(b, loc, inputs, maps, init, keptDimsMap(context, reduced),
                      iteratorsFor(reduced),
                      [&](OpBuilder &nb, Location nl, ValueRange args) {
                        Value term = f(nb, nl, args.drop_back());
                        return SmallVector<Value>{
                            nb.create<arith::AddFOp>(nl, args.back(), term)};
                      })
      .front();
}

/// An elementwise generic over `type` reading full-shape `full` inputs and
/// kept-shape `kept` inputs.
Value mapWithKept(OpBuilder &b, Location loc, RankedTensorType type,
                  ValueRange full, ValueRange kept, ArrayRef<bool> reduced,
                  const BodyBuilder &body) {
  MLIRContext *context = b.getContext();
  unsigned rank = static_cast<unsigned>(type.getRank());
  SmallVector<Value> inputs(full.begin(), full.end());
  inputs.append(kept.begin(), kept.end());
  SmallVector<AffineMap> maps(full.size(),
                              AffineMap::getMultiDimIdentityMap(rank, context));
  maps.append(kept.size(), keptDimsMap(context, reduced));
  return buildGeneric(b, loc, inputs, maps, emptyTensor(b, loc, type),
                      AffineMap::getMultiDimIdentityMap(rank, context),
                      SmallVector<IteratorType>(rank, IteratorType::parallel),
                      body)
      .front();
}

/// x less its row's maximum, in x's type: exact in f64; in f32, exact but
/// for a rounding of values that lie far below the maximum.
Value shiftedByMax(OpBuilder &b, Location loc, Value x, Value max) {
  return b.create<arith::SubFOp>(loc, x, fromF64(b, loc, max, x.getType()));
}

/// softmax and log_softmax take their exps in the element type: f32 exps
/// run on twice the lanes of f64 ones, and took most of a 1000-wide row's
/// time in f64, twice over. Sums stay in f64.
template <typename SoftmaxOp>
LogicalResult lowerSoftmax(SoftmaxOp op, PatternRewriter &r, bool takeLog) {
  Location loc = op.getLoc();
  Value x = op.getX();
  RankedTensorType type = tensorTypeOf(op.getResult());
  SmallVector<bool> reduced = axisMask(type.getRank(), op.getAxis());
  Value max = maxF64(r, loc, x, reduced);
  Value sum = sumF64(
      r, loc, ValueRange{x, max}, reduced, {false, true},
      [](OpBuilder &b, Location l, ValueRange a) -> Value {
        return toF64(b, l, expOfShifted(b, l, shiftedByMax(b, l, a[0], a[1])));
      });
  Type element = type.getElementType();
  Value result = mapWithKept(
      r, loc, type, x, ValueRange{max, sum}, reduced,
      [&](OpBuilder &b, Location l, ValueRange a) {
        if (takeLog) {
          Value shifted = b.create<arith::SubFOp>(l, toF64(b, l, a[0]), a[1]);
          Value value = b.create<arith::SubFOp>(l, shifted,
                                                b.create<math::LogOp>(l, a[2]));
          return SmallVector<Value>{fromF64(b, l, value, element)};
        }
        // Times 1 / sum, which LLVM hoists out of the row, not a division
        // per element.
        Value inverse =
            fromF64(b, l,
                    b.create<arith::DivFOp>(
                        l, scalarConstant(b, l, a[2].getType(), 1.0), a[2]),
                    element);
        Value e = expOfShifted(b, l, shiftedByMax(b, l, a[0], a[1]));
        return SmallVector<Value>{
            b.create<arith::MulFOp>(l, e, inverse).getResult()};
      });
  r.replaceOp(op, result);
  return success();
}

LogicalResult lowerSoftmaxOp(nn::SoftmaxOp op, PatternRewriter &r) {
  return lowerSoftmax(op, r, false);
}
LogicalResult lowerLogSoftmaxOp(nn::LogSoftmaxOp op, PatternRewriter &r) {
  return lowerSoftmax(op, r, true);
}

template <typename GradOp>
LogicalResult lowerSoftmaxGrad(GradOp op, PatternRewriter &r, bool fromLog) {
  Location loc = op.getLoc();
  RankedTensorType type = tensorTypeOf(op.getResult());
  SmallVector<bool> reduced = axisMask(type.getRank(), op.getAxis());
  Value y = op.getY(), dy = op.getDy();
  Value sum = sumF64(r, loc, ValueRange{y, dy}, reduced, {false, false},
                     [=](OpBuilder &b, Location l, ValueRange a) -> Value {
                       Value g = toF64(b, l, a[1]);
                       if (fromLog)
                         return g;
                       return b.create<arith::MulFOp>(l, g, toF64(b, l, a[0]));
                     });
  Type element = type.getElementType();
  Value result = mapWithKept(
      r, loc, type, ValueRange{y, dy}, sum, reduced,
      [&](OpBuilder &b, Location l, ValueRange a) {
        Value value = toF64(b, l, a[0]), g = toF64(b, l, a[1]);
        Value out =
            fromLog ? b.create<arith::SubFOp>(
                           l, g,
                           b.create<arith::MulFOp>(l, expOfShifted(b, l, value),
                                                   a[2]))
                          .getResult()
                    : b.create<arith::MulFOp>(
                           l, value, b.create<arith::SubFOp>(l, g, a[2]))
                          .getResult();
        return SmallVector<Value>{fromF64(b, l, out, element)};
      });
  r.replaceOp(op, result);
  return success();
}

LogicalResult lowerSoftmaxGradOp(nn::SoftmaxGradOp op, PatternRewriter &r) {
  return lowerSoftmaxGrad(op, r, false);
}
LogicalResult lowerLogSoftmaxGradOp(nn::LogSoftmaxGradOp op,
                                    PatternRewriter &r) {
  return lowerSoftmaxGrad(op, r, true);
}

enum class Reduce { Sum, Mean, Max };

template <typename ReduceOp>
LogicalResult lowerReduce(ReduceOp op, PatternRewriter &r, Reduce kind) {
  Location loc = op.getLoc();
  Value x = op.getX();
  RankedTensorType inType = tensorTypeOf(x);
  RankedTensorType outType = tensorTypeOf(op.getResult());
  Type element = inType.getElementType();
  bool floating = isa<FloatType>(element);
  SmallVector<bool> reduced = axesMask(inType.getRank(), op.getAxes());
  int64_t group = 1;
  for (int64_t i = 0; i < inType.getRank(); ++i)
    if (reduced[i])
      group *= inType.getDimSize(i);
  if (group == 0 &&
      (kind == Reduce::Max || (!floating && kind == Reduce::Mean)))
    return op.emitError("cannot reduce no elements");

  Value acc;
  if (kind == Reduce::Max) {
    double init = floating
                      ? -std::numeric_limits<double>::infinity()
                      : (element.isInteger(32)
                             ? double(std::numeric_limits<int32_t>::min())
                             : double(std::numeric_limits<int64_t>::min()));
    acc = buildReduction(
        r, loc, x, reduced, element, init,
        [](OpBuilder &, Location, Value v) { return v; },
        [=](OpBuilder &b, Location l, Value a, Value v) -> Value {
          if (floating)
            return b.create<arith::MaximumFOp>(l, a, v);
          return b.create<arith::MaxSIOp>(l, a, v);
        });
    r.replaceOp(op, reshapeTo(r, loc, acc, outType));
    return success();
  }
  Type accType = floating ? Type(r.getF64Type()) : Type(r.getI64Type());
  acc = buildReduction(
      r, loc, x, reduced, accType, 0.0,
      [=](OpBuilder &b, Location l, Value v) -> Value {
        if (floating)
          return toF64(b, l, v);
        if (v.getType().isInteger(64))
          return v;
        return b.create<arith::ExtSIOp>(l, b.getI64Type(), v);
      },
      [=](OpBuilder &b, Location l, Value a, Value v) -> Value {
        if (floating)
          return b.create<arith::AddFOp>(l, a, v);
        return b.create<arith::AddIOp>(l, a, v);
      });
  RankedTensorType keptOut = keptType(inType, reduced, element);
  Value result = buildElementwise(
      r, loc, keptOut, acc, [&](OpBuilder &b, Location l, ValueRange a) {
        Value v = a[0];
        if (kind == Reduce::Mean) {
          Value n = scalarConstant(b, l, v.getType(), double(group));
          v = floating ? b.create<arith::DivFOp>(l, v, n).getResult()
                       : b.create<arith::DivSIOp>(l, v, n).getResult();
        }
        if (floating)
          v = fromF64(b, l, v, element);
        else if (!element.isInteger(64))
          v = b.create<arith::TruncIOp>(l, element, v);
        return SmallVector<Value>{v};
      });
  r.replaceOp(op, reshapeTo(r, loc, result, outType));
  return success();
}

LogicalResult lowerReduceSum(nn::ReduceSumOp op, PatternRewriter &r) {
  return lowerReduce(op, r, Reduce::Sum);
}
LogicalResult lowerReduceMean(nn::ReduceMeanOp op, PatternRewriter &r) {
  return lowerReduce(op, r, Reduce::Mean);
}
LogicalResult lowerReduceMax(nn::ReduceMaxOp op, PatternRewriter &r) {
  return lowerReduce(op, r, Reduce::Max);
}

Value isMaxOf(OpBuilder &b, Location l, Value v, Value best) {
  Value v64 = toF64(b, l, v), best64 = toF64(b, l, best);
  Value equal =
      b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OEQ, v64, best64);
  Value vNaN = b.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNO, v64, v64);
  Value bNaN =
      b.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNO, best64, best64);
  return b.create<arith::OrIOp>(l, equal,
                                b.create<arith::AndIOp>(l, vNaN, bNaN));
}

LogicalResult lowerReduceMaxGrad(nn::ReduceMaxGradOp op, PatternRewriter &r) {
  Location loc = op.getLoc();
  RankedTensorType type = tensorTypeOf(op.getResult());
  SmallVector<bool> reduced = axesMask(type.getRank(), op.getAxes());
  RankedTensorType kept = keptType(type, reduced, type.getElementType());
  Value y = reshapeTo(r, loc, op.getY(), kept);
  Value dy = reshapeTo(r, loc, op.getDy(), kept);
  Value ties = sumF64(r, loc, ValueRange{op.getX(), y}, reduced, {false, true},
                      [](OpBuilder &b, Location l, ValueRange a) -> Value {
                        Value hit = isMaxOf(b, l, a[0], a[1]);
                        return b.create<arith::SelectOp>(
                            l, hit, scalarConstant(b, l, b.getF64Type(), 1),
                            scalarConstant(b, l, b.getF64Type(), 0));
                      });
  Type element = type.getElementType();
  Value result =
      mapWithKept(r, loc, type, op.getX(), ValueRange{y, dy, ties}, reduced,
                  [&](OpBuilder &b, Location l, ValueRange a) {
                    Value hit = isMaxOf(b, l, a[0], a[1]);
                    Value share =
                        b.create<arith::DivFOp>(l, toF64(b, l, a[2]), a[3]);
                    Value value = b.create<arith::SelectOp>(
                        l, hit, share, scalarConstant(b, l, b.getF64Type(), 0));
                    return SmallVector<Value>{fromF64(b, l, value, element)};
                  });
  r.replaceOp(op, result);
  return success();
}

LogicalResult lowerReshape(nn::ReshapeOp op, PatternRewriter &r) {
  r.replaceOp(
      op, reshapeTo(r, op.getLoc(), op.getX(), tensorTypeOf(op.getResult())));
  return success();
}

LogicalResult lowerTranspose(nn::TransposeOp op, PatternRewriter &r) {
  MLIRContext *context = r.getContext();
  RankedTensorType type = tensorTypeOf(op.getResult());
  int64_t rank = type.getRank();
  SmallVector<int64_t> perm(op.getPerm());
  if (perm.empty())
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  SmallVector<AffineExpr> exprs(rank);
  for (int64_t i = 0; i < rank; ++i)
    exprs[perm[i]] = getAffineDimExpr(static_cast<unsigned>(i), context);
  AffineMap inputMap =
      AffineMap::get(static_cast<unsigned>(rank), 0, exprs, context);
  Value result =
      buildGeneric(r, op.getLoc(), op.getX(), inputMap,
                   emptyTensor(r, op.getLoc(), type),
                   AffineMap::getMultiDimIdentityMap(rank, context),
                   SmallVector<IteratorType>(rank, IteratorType::parallel),
                   [](OpBuilder &, Location, ValueRange a) {
                     return SmallVector<Value>{a[0]};
                   })
          .front();
  r.replaceOp(op, result);
  return success();
}

LogicalResult lowerBroadcastTo(nn::BroadcastToOp op, PatternRewriter &r) {
  r.replaceOp(op, buildElementwise(r, op.getLoc(), tensorTypeOf(op.getResult()),
                                   op.getX(),
                                   [](OpBuilder &, Location, ValueRange a) {
                                     return SmallVector<Value>{a[0]};
                                   }));
  return success();
}

SmallVector<OpFoldResult> foldResults(OpBuilder &b, ArrayRef<int64_t> values) {
  return getAsIndexOpFoldResult(b.getContext(), values);
}

LogicalResult lowerConcat(nn::ConcatOp op, PatternRewriter &r) {
  RankedTensorType type = tensorTypeOf(op.getResult());
  int64_t axis = normalizeAxis(op.getAxis(), type.getRank());
  Value dest = emptyTensor(r, op.getLoc(), type);
  int64_t offset = 0;
  for (Value input : op.getInputs()) {
    RankedTensorType inType = tensorTypeOf(input);
    SmallVector<int64_t> offsets(type.getRank(), 0);
    offsets[axis] = offset;
    SmallVector<int64_t> strides(type.getRank(), 1);
    dest = r.create<tensor::InsertSliceOp>(
        op.getLoc(), input, dest, foldResults(r, offsets),
        foldResults(r, inType.getShape()), foldResults(r, strides));
    offset += inType.getDimSize(axis);
  }
  r.replaceOp(op, dest);
  return success();
}

int64_t clampBound(int64_t bound, int64_t extent) {
  if (bound < 0)
    bound += extent;
  return std::clamp<int64_t>(bound, 0, extent);
}

/// Offsets and strides of a slice window over `shape`.
void sliceWindow(ArrayRef<int64_t> shape, ArrayRef<int64_t> axes,
                 ArrayRef<int64_t> starts, ArrayRef<int64_t> steps,
                 SmallVectorImpl<int64_t> &offsets,
                 SmallVectorImpl<int64_t> &strides) {
  int64_t rank = static_cast<int64_t>(shape.size());
  offsets.assign(rank, 0);
  strides.assign(rank, 1);
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t axis =
        normalizeAxis(axes.empty() ? static_cast<int64_t>(i) : axes[i], rank);
    offsets[axis] = clampBound(starts[i], shape[axis]);
    strides[axis] = steps.empty() ? 1 : steps[i];
  }
}

LogicalResult lowerSlice(nn::SliceOp op, PatternRewriter &r) {
  RankedTensorType type = tensorTypeOf(op.getResult());
  SmallVector<int64_t> offsets, strides;
  sliceWindow(tensorTypeOf(op.getX()).getShape(), op.getAxes(), op.getStarts(),
              op.getSteps(), offsets, strides);
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.getDimSize(i) == 0)
      offsets[i] = 0;
  Value result = r.create<tensor::ExtractSliceOp>(
      op.getLoc(), type, op.getX(), foldResults(r, offsets),
      foldResults(r, type.getShape()), foldResults(r, strides));
  r.replaceOp(op, result);
  return success();
}

LogicalResult lowerSliceGrad(nn::SliceGradOp op, PatternRewriter &r) {
  RankedTensorType type = tensorTypeOf(op.getResult());
  RankedTensorType dyType = tensorTypeOf(op.getDy());
  SmallVector<int64_t> offsets, strides;
  sliceWindow(type.getShape(), op.getAxes(), op.getStarts(), op.getSteps(),
              offsets, strides);
  Value zeros = filledTensor(r, op.getLoc(), type, 0.0);
  if (dyType.getNumElements() == 0) {
    r.replaceOp(op, zeros);
    return success();
  }
  Value result = r.create<tensor::InsertSliceOp>(
      op.getLoc(), op.getDy(), zeros, foldResults(r, offsets),
      foldResults(r, dyType.getShape()), foldResults(r, strides));
  r.replaceOp(op, result);
  return success();
}

/// An index scalar from an i32/i64 element, clamped into [0, extent) so a
/// bad index can never read out of bounds (the kernel reports it first).
Value clampedIndex(OpBuilder &b, Location l, Value value, int64_t extent) {
  Value index = b.create<arith::IndexCastOp>(l, b.getIndexType(), value);
  Value zero = indexConstant(b, l, 0);
  Value last = indexConstant(b, l, std::max<int64_t>(extent - 1, 0));
  return b.create<arith::MinSIOp>(l, b.create<arith::MaxSIOp>(l, index, zero),
                                  last);
}

LogicalResult lowerGather(nn::GatherOp op, PatternRewriter &r) {
  MLIRContext *context = r.getContext();
  Location loc = op.getLoc();
  RankedTensorType type = tensorTypeOf(op.getResult());
  RankedTensorType xType = tensorTypeOf(op.getX());
  int64_t axis = normalizeAxis(op.getAxis(), xType.getRank());
  int64_t indexRank = tensorTypeOf(op.getIndices()).getRank();
  unsigned rank = static_cast<unsigned>(type.getRank());
  SmallVector<AffineExpr> indexExprs;
  for (int64_t i = 0; i < indexRank; ++i)
    indexExprs.push_back(
        getAffineDimExpr(static_cast<unsigned>(axis + i), context));
  AffineMap indexMap = AffineMap::get(rank, 0, indexExprs, context);
  Value x = op.getX();
  int64_t extent = xType.getDimSize(axis);
  Value result =
      buildGeneric(r, loc, op.getIndices(), indexMap, emptyTensor(r, loc, type),
                   AffineMap::getMultiDimIdentityMap(rank, context),
                   SmallVector<IteratorType>(rank, IteratorType::parallel),
                   [&](OpBuilder &b, Location l, ValueRange a) {
                     SmallVector<Value> at;
                     for (int64_t i = 0; i < axis; ++i)
                       at.push_back(b.create<linalg::IndexOp>(l, i));
                     at.push_back(clampedIndex(b, l, a[0], extent));
                     for (int64_t i = axis + indexRank; i < type.getRank(); ++i)
                       at.push_back(b.create<linalg::IndexOp>(l, i));
                     return SmallVector<Value>{
                         b.create<tensor::ExtractOp>(l, x, at)};
                   })
          .front();
  r.replaceOp(op, result);
  return success();
}

LogicalResult lowerGatherGrad(nn::GatherGradOp op, PatternRewriter &r) {
  Location loc = op.getLoc();
  RankedTensorType type = tensorTypeOf(op.getResult());
  RankedTensorType dyType = tensorTypeOf(op.getDy());
  int64_t axis = normalizeAxis(op.getAxis(), type.getRank());
  int64_t indexRank = tensorTypeOf(op.getIndices()).getRank();
  int64_t extent = type.getDimSize(axis);
  // Summed in the result's own type, in the order of dy's elements: an
  // f64 table to narrow afterwards cost two more passes over the whole
  // table, twice its size, on every step (a 50 000-row embedding's
  // gradient took 31.6 ms, of which the scatter is a few thousand rows).
  bool floating = isa<FloatType>(type.getElementType());
  Value sums = filledTensor(r, loc, type, 0.0);
  Value dy = op.getDy(), indices = op.getIndices();
  sums = loopOver(
      r, loc, dyType.getShape(), sums,
      [&](OpBuilder &b, Location l, ValueRange ivs, Value acc) {
        SmallVector<Value> at(ivs.begin(), ivs.begin() + axis);
        SmallVector<Value> indexAt(ivs.begin() + axis,
                                   ivs.begin() + axis + indexRank);
        Value index = b.create<tensor::ExtractOp>(l, indices, indexAt);
        at.push_back(clampedIndex(b, l, index, extent));
        at.append(ivs.begin() + axis + indexRank, ivs.end());
        Value grad = b.create<tensor::ExtractOp>(l, dy, ivs);
        Value current = b.create<tensor::ExtractOp>(l, acc, at);
        Value sum = floating
                        ? b.create<arith::AddFOp>(l, current, grad).getResult()
                        : b.create<arith::AddIOp>(l, current, grad).getResult();
        return b.create<tensor::InsertOp>(l, sum, acc, at).getResult();
      });
  r.replaceOp(op, sums);
  return success();
}

LogicalResult lowerConstant(nn::ConstantOp op, PatternRewriter &r) {
  ElementsAttr value = op.getValue();
  auto dense = dyn_cast<DenseElementsAttr>(value);
  if (!dense) {
    SmallVector<Attribute> elements(value.getValues<Attribute>());
    dense = DenseElementsAttr::get(cast<ShapedType>(value.getType()), elements);
  }
  // A splat of more than one element becomes a loop that writes it (fused
  // into its reader where it is read element for element): as a dense
  // constant it is stored in full in the object code, 8 MB of 1e-6 for a
  // training step's 1/B at batch 10^6.
  auto type = cast<RankedTensorType>(dense.getType());
  if (dense.isSplat() && type.getNumElements() > 1) {
    auto element = dense.getSplatValue<TypedAttr>();
    r.replaceOp(op,
                buildElementwise(r, op.getLoc(), type, ValueRange{},
                                 [&](OpBuilder &b, Location l, ValueRange) {
                                   return SmallVector<Value>{
                                       b.create<arith::ConstantOp>(l, element)};
                                 }));
    return success();
  }
  r.replaceOpWithNewOp<arith::ConstantOp>(op, dense);
  return success();
}

} // namespace

void nnc::cpu::populateNNToLinalgTensorPatterns(RewritePatternSet &patterns) {
  patterns.add<FnPattern<nn::SoftmaxOp, lowerSoftmaxOp>,
               FnPattern<nn::LogSoftmaxOp, lowerLogSoftmaxOp>,
               FnPattern<nn::SoftmaxGradOp, lowerSoftmaxGradOp>,
               FnPattern<nn::LogSoftmaxGradOp, lowerLogSoftmaxGradOp>,
               FnPattern<nn::ReduceSumOp, lowerReduceSum>,
               FnPattern<nn::ReduceMeanOp, lowerReduceMean>,
               FnPattern<nn::ReduceMaxOp, lowerReduceMax>,
               FnPattern<nn::ReduceMaxGradOp, lowerReduceMaxGrad>,
               FnPattern<nn::ReshapeOp, lowerReshape>,
               FnPattern<nn::TransposeOp, lowerTranspose>,
               FnPattern<nn::BroadcastToOp, lowerBroadcastTo>,
               FnPattern<nn::ConcatOp, lowerConcat>,
               FnPattern<nn::SliceOp, lowerSlice>,
               FnPattern<nn::SliceGradOp, lowerSliceGrad>,
               FnPattern<nn::GatherOp, lowerGather>,
               FnPattern<nn::GatherGradOp, lowerGatherGrad>,
               FnPattern<nn::ConstantOp, lowerConstant>>(patterns.getContext());
}
