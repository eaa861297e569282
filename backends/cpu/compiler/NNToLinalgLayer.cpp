//===- NNToLinalgLayer.cpp - Normalisations and dropout to linalg ---------===//
//
// batch_norm sums per channel, layer_norm and rms_norm per row (and per
// feature for their gradients) in f64 as ref; dropout evaluates ref's
// counter-based hash (splitmix64 of seed, step and flat element index) bit
// for bit.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/compiler/LinalgBuilders.h"
#include "backends/cpu/compiler/NNToLinalg.h"

#include "ir/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <tuple>

using namespace mlir;
using namespace nnc;
using namespace nnc::cpu;

namespace {

using utils::IteratorType;

//===----------------------------------------------------------------------===//
// batch_norm
//===----------------------------------------------------------------------===//

/// Reduced-axis mask of a per-channel reduction over x [n, c, ...].
SmallVector<bool> allButChannel(int64_t rank) {
  SmallVector<bool> reduced(rank, true);
  reduced[1] = false;
  return reduced;
}

AffineMap channelMap(MLIRContext *context, int64_t rank) {
  return AffineMap::get(static_cast<unsigned>(rank), 0,
                        {getAffineDimExpr(1, context)}, context);
}

/// Per-channel batch mean and (biased) variance of x, in f64.
std::pair<Value, Value> batchStatistics(OpBuilder &b, Location loc, Value x,
                                        double count) {
  RankedTensorType type = tensorTypeOf(x);
  int64_t rank = type.getRank();
  MLIRContext *context = b.getContext();
  SmallVector<bool> reduced = allButChannel(rank);
  Value sum = buildReduction(
      b, loc, x, reduced, b.getF64Type(), 0.0,
      [](OpBuilder &nb, Location nl, Value v) { return toF64(nb, nl, v); },
      [](OpBuilder &nb, Location nl, Value acc, Value v) -> Value {
        return nb.create<arith::AddFOp>(nl, acc, v);
      });
  auto perChannel = RankedTensorType::get({type.getDimSize(1)}, b.getF64Type());
  auto divide = [&](Value total) {
    return buildElementwise(
        b, loc, perChannel, total,
        [&](OpBuilder &nb, Location nl, ValueRange a) {
          return SmallVector<Value>{nb.create<arith::DivFOp>(
              nl, a[0], scalarConstant(nb, nl, nb.getF64Type(), count))};
        });
  };
  Value mean = divide(sum);
  unsigned urank = static_cast<unsigned>(rank);
  Value squares =
      buildGeneric(
          b, loc, ValueRange{x, mean},
          {AffineMap::getMultiDimIdentityMap(urank, context),
           channelMap(context, rank)},
          filledTensor(b, loc, perChannel, 0.0), channelMap(context, rank),
          [&] {
            SmallVector<IteratorType> it;
            for (bool red : reduced)
              it.push_back(red ? IteratorType::reduction
                               : IteratorType::parallel);
            return it;
          }(),
          [](OpBuilder &nb, Location nl, ValueRange a) {
            Value d = nb.create<arith::SubFOp>(nl, toF64(nb, nl, a[0]), a[1]);
            return SmallVector<Value>{nb.create<arith::AddFOp>(
                nl, a[2], nb.create<arith::MulFOp>(nl, d, d))};
          })
          .front();
  return {mean, divide(squares)};
}

LogicalResult lowerBatchNorm(nn::BatchNormOp op, PatternRewriter &r) {
  Location loc = op.getLoc();
  MLIRContext *context = r.getContext();
  Value x = op.getX();
  RankedTensorType type = tensorTypeOf(x);
  int64_t rank = type.getRank();
  Type element = type.getElementType();
  double eps = op.getEpsAttr().getValueAsDouble();
  double momentum = op.getMomentumAttr().getValueAsDouble();
  double count = double(type.getNumElements() / type.getDimSize(1));
  AffineMap identity =
      AffineMap::getMultiDimIdentityMap(static_cast<unsigned>(rank), context);
  AffineMap channel = channelMap(context, rank);
  SmallVector<IteratorType> parallel(rank, IteratorType::parallel);

  Value center = op.getMean(), variance = op.getVar();
  if (op.getTraining()) {
    if (count < 2)
      return op.emitError("training needs more than one value per channel");
    std::tie(center, variance) = batchStatistics(r, loc, x, count);
  }
  Value y =
      buildGeneric(
          r, loc, ValueRange{x, op.getGamma(), op.getBeta(), center, variance},
          {identity, channel, channel, channel, channel},
          emptyTensor(r, loc, tensorTypeOf(op.getY())), identity, parallel,
          [&](OpBuilder &b, Location l, ValueRange a) {
            Value scale = b.create<arith::DivFOp>(
                l, toF64(b, l, a[1]),
                b.create<math::SqrtOp>(
                    l, b.create<arith::AddFOp>(
                           l, toF64(b, l, a[4]),
                           scalarConstant(b, l, b.getF64Type(), eps))));
            Value centered = b.create<arith::SubFOp>(l, toF64(b, l, a[0]),
                                                     toF64(b, l, a[3]));
            Value value = b.create<arith::AddFOp>(
                l, b.create<arith::MulFOp>(l, centered, scale),
                toF64(b, l, a[2]));
            return SmallVector<Value>{fromF64(b, l, value, element)};
          })
          .front();
  if (!op.getTraining()) {
    r.replaceOp(op, {y, op.getMean(), op.getVar()});
    return success();
  }
  RankedTensorType statType = tensorTypeOf(op.getNewMean());
  auto update = [&](Value old, Value batch, double correction) {
    return buildElementwise(
        r, loc, statType, ValueRange{old, batch},
        [&](OpBuilder &b, Location l, ValueRange a) {
          Type f64 = b.getF64Type();
          Value value = a[1];
          if (correction != 1.0)
            value = b.create<arith::DivFOp>(
                l,
                b.create<arith::MulFOp>(l, value,
                                        scalarConstant(b, l, f64, count)),
                scalarConstant(b, l, f64, count - 1));
          Value blended = b.create<arith::AddFOp>(
              l,
              b.create<arith::MulFOp>(l,
                                      scalarConstant(b, l, f64, 1 - momentum),
                                      toF64(b, l, a[0])),
              b.create<arith::MulFOp>(l, scalarConstant(b, l, f64, momentum),
                                      value));
          return SmallVector<Value>{fromF64(b, l, blended, element)};
        });
  };
  r.replaceOp(op, {y, update(op.getMean(), center, 1.0),
                   update(op.getVar(), variance, 0.0)});
  return success();
}

LogicalResult lowerBatchNormGrad(nn::BatchNormGradOp op, PatternRewriter &r) {
  Location loc = op.getLoc();
  MLIRContext *context = r.getContext();
  Value x = op.getX(), dy = op.getDy();
  RankedTensorType type = tensorTypeOf(x);
  int64_t rank = type.getRank();
  Type element = type.getElementType();
  double eps = op.getEpsAttr().getValueAsDouble();
  double count = double(type.getNumElements() / type.getDimSize(1));
  bool training = op.getTraining();
  AffineMap identity =
      AffineMap::getMultiDimIdentityMap(static_cast<unsigned>(rank), context);
  AffineMap channel = channelMap(context, rank);
  auto perChannel = RankedTensorType::get({type.getDimSize(1)}, r.getF64Type());

  Value center = op.getMean(), variance = op.getVar();
  if (training)
    std::tie(center, variance) = batchStatistics(r, loc, x, count);
  Value invStd = buildElementwise(
      r, loc, perChannel, variance,
      [&](OpBuilder &b, Location l, ValueRange a) {
        Type f64 = b.getF64Type();
        Value root = b.create<math::SqrtOp>(
            l, b.create<arith::AddFOp>(l, toF64(b, l, a[0]),
                                       scalarConstant(b, l, f64, eps)));
        return SmallVector<Value>{
            b.create<arith::DivFOp>(l, scalarConstant(b, l, f64, 1.0), root)};
      });
  SmallVector<IteratorType> iterators;
  for (bool red : allButChannel(rank))
    iterators.push_back(red ? IteratorType::reduction : IteratorType::parallel);
  // Per channel: the sums of dy and of dy * xhat, one reduction each (as
  // the layer norm's, which LLVM vectorises only with one accumulator).
  auto channelSum = [&](bool timesXhat) {
    return buildGeneric(
               r, loc, ValueRange{x, dy, center, invStd},
               {identity, identity, channel, channel},
               filledTensor(r, loc, perChannel, 0.0), channel, iterators,
               [&](OpBuilder &b, Location l, ValueRange a) {
                 Value term = toF64(b, l, a[1]);
                 if (timesXhat) {
                   Value centered = b.create<arith::SubFOp>(
                       l, toF64(b, l, a[0]), toF64(b, l, a[2]));
                   term = b.create<arith::MulFOp>(
                       l, b.create<arith::MulFOp>(l, term, centered), a[3]);
                 }
                 return SmallVector<Value>{
                     b.create<arith::AddFOp>(l, a[4], term)};
               })
        .front();
  };
  Value sumDy = channelSum(false), sumDyXhat = channelSum(true);
  Value dx =
      buildGeneric(
          r, loc,
          ValueRange{x, dy, op.getGamma(), center, invStd, sumDy, sumDyXhat},
          {identity, identity, channel, channel, channel, channel, channel},
          emptyTensor(r, loc, tensorTypeOf(op.getDx())), identity,
          SmallVector<IteratorType>(rank, IteratorType::parallel),
          [&](OpBuilder &b, Location l, ValueRange a) {
            Type f64 = b.getF64Type();
            Value g = toF64(b, l, a[1]);
            Value scale = b.create<arith::MulFOp>(l, toF64(b, l, a[2]), a[4]);
            if (training) {
              Value n = scalarConstant(b, l, f64, count);
              Value xhat = b.create<arith::MulFOp>(
                  l,
                  b.create<arith::SubFOp>(l, toF64(b, l, a[0]),
                                          toF64(b, l, a[3])),
                  a[4]);
              g = b.create<arith::SubFOp>(
                  l,
                  b.create<arith::SubFOp>(l, g,
                                          b.create<arith::DivFOp>(l, a[5], n)),
                  b.create<arith::DivFOp>(
                      l, b.create<arith::MulFOp>(l, xhat, a[6]), n));
            }
            return SmallVector<Value>{
                fromF64(b, l, b.create<arith::MulFOp>(l, scale, g), element)};
          })
          .front();
  r.replaceOp(op, {dx,
                   narrowFromF64(r, loc, sumDyXhat,
                                 tensorTypeOf(op.getDgamma())),
                   narrowFromF64(r, loc, sumDy, tensorTypeOf(op.getDbeta()))});
  return success();
}

//===----------------------------------------------------------------------===//
// layer_norm
//===----------------------------------------------------------------------===//

/// The iteration space of x [rows..., features...] for a layer norm whose
/// gamma has rank `featureRank`: the maps of x, of a per-row tensor and of
/// a per-feature one, and which dims are features.
struct LayerNormSpace {
  int64_t rank = 0;
  AffineMap identity, perRow, perFeature;
  SmallVector<bool> isFeature;
  RankedTensorType rowType; ///< f64 [rows...]
  double features = 1;

  LayerNormSpace(MLIRContext *context, RankedTensorType x, int64_t featureRank)
      : rank(x.getRank()) {
    auto urank = static_cast<unsigned>(rank);
    int64_t lead = rank - featureRank;
    identity = AffineMap::getMultiDimIdentityMap(urank, context);
    SmallVector<AffineExpr> rowDims, featureDims;
    for (int64_t d = 0; d < rank; ++d) {
      bool feature = d >= lead;
      isFeature.push_back(feature);
      (feature ? featureDims : rowDims)
          .push_back(getAffineDimExpr(static_cast<unsigned>(d), context));
      if (feature)
        features *= double(x.getDimSize(d));
    }
    perRow = AffineMap::get(urank, 0, rowDims, context);
    perFeature = AffineMap::get(urank, 0, featureDims, context);
    rowType = RankedTensorType::get(x.getShape().take_front(lead),
                                    Float64Type::get(context));
  }

  /// Iterators reducing the features (per-row sums) or the rows
  /// (per-feature sums).
  SmallVector<IteratorType> reducing(bool features) const {
    SmallVector<IteratorType> result;
    for (bool feature : isFeature)
      result.push_back(feature == features ? IteratorType::reduction
                                           : IteratorType::parallel);
    return result;
  }
  SmallVector<IteratorType> parallel() const {
    return SmallVector<IteratorType>(static_cast<size_t>(rank),
                                     IteratorType::parallel);
  }
};

/// Per row: 1 / sqrt(squares / features + eps), from each row's sum of
/// squares (of x - mean for layer_norm, of x for rms_norm), in f64.
Value reciprocalRoot(OpBuilder &b, Location loc, Value squares,
                     const LayerNormSpace &space, double eps) {
  Type f64 = b.getF64Type();
  return buildElementwise(
      b, loc, space.rowType, squares,
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value meanSquare = nb.create<arith::DivFOp>(
            nl, a[0], scalarConstant(nb, nl, f64, space.features));
        Value root = nb.create<math::SqrtOp>(
            nl, nb.create<arith::AddFOp>(nl, meanSquare,
                                         scalarConstant(nb, nl, f64, eps)));
        return SmallVector<Value>{nb.create<arith::DivFOp>(
            nl, scalarConstant(nb, nl, f64, 1.0), root)};
      });
}

/// Per row of x: the mean and 1 / sqrt(biased variance + eps), in f64.
std::pair<Value, Value> layerStatistics(OpBuilder &b, Location loc, Value x,
                                        const LayerNormSpace &space,
                                        double eps) {
  Type f64 = b.getF64Type();
  Value sum = buildReduction(
      b, loc, x, space.isFeature, f64, 0.0,
      [](OpBuilder &nb, Location nl, Value v) { return toF64(nb, nl, v); },
      [](OpBuilder &nb, Location nl, Value acc, Value v) -> Value {
        return nb.create<arith::AddFOp>(nl, acc, v);
      });
  Value mean = buildElementwise(
      b, loc, space.rowType, sum,
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        return SmallVector<Value>{nb.create<arith::DivFOp>(
            nl, a[0], scalarConstant(nb, nl, f64, space.features))};
      });
  Value squares =
      buildGeneric(b, loc, ValueRange{x, mean}, {space.identity, space.perRow},
                   filledTensor(b, loc, space.rowType, 0.0), space.perRow,
                   space.reducing(/*features=*/true),
                   [](OpBuilder &nb, Location nl, ValueRange a) {
                     Value d = nb.create<arith::SubFOp>(nl, toF64(nb, nl, a[0]),
                                                        a[1]);
                     return SmallVector<Value>{nb.create<arith::AddFOp>(
                         nl, a[2], nb.create<arith::MulFOp>(nl, d, d))};
                   })
          .front();
  return {mean, reciprocalRoot(b, loc, squares, space, eps)};
}

LogicalResult lowerLayerNorm(nn::LayerNormOp op, PatternRewriter &r) {
  Location loc = op.getLoc();
  RankedTensorType type = tensorTypeOf(op.getX());
  Type element = type.getElementType();
  LayerNormSpace space(r.getContext(), type,
                       tensorTypeOf(op.getGamma()).getRank());
  auto [mean, rstd] = layerStatistics(r, loc, op.getX(), space,
                                      op.getEpsAttr().getValueAsDouble());
  Value y =
      buildGeneric(
          r, loc,
          ValueRange{op.getX(), mean, rstd, op.getGamma(), op.getBeta()},
          {space.identity, space.perRow, space.perRow, space.perFeature,
           space.perFeature},
          emptyTensor(r, loc, type), space.identity, space.parallel(),
          [&](OpBuilder &b, Location l, ValueRange a) {
            Value xhat = b.create<arith::MulFOp>(
                l, b.create<arith::SubFOp>(l, toF64(b, l, a[0]), a[1]), a[2]);
            Value value = b.create<arith::AddFOp>(
                l, b.create<arith::MulFOp>(l, xhat, toF64(b, l, a[3])),
                toF64(b, l, a[4]));
            return SmallVector<Value>{fromF64(b, l, value, element)};
          })
          .front();
  r.replaceOp(op, y);
  return success();
}

LogicalResult lowerLayerNormGrad(nn::LayerNormGradOp op, PatternRewriter &r) {
  Location loc = op.getLoc();
  MLIRContext *context = r.getContext();
  Value x = op.getX(), dy = op.getDy(), gamma = op.getGamma();
  RankedTensorType type = tensorTypeOf(x);
  Type element = type.getElementType();
  LayerNormSpace space(context, type, tensorTypeOf(gamma).getRank());
  Value mean, rstd;
  std::tie(mean, rstd) =
      layerStatistics(r, loc, x, space, op.getEpsAttr().getValueAsDouble());
  auto xhatOf = [](OpBuilder &b, Location l, Value xv, Value m, Value s) {
    return b.create<arith::MulFOp>(
        l, b.create<arith::SubFOp>(l, toF64(b, l, xv), m), s);
  };
  // Per row: the sums of g = dy * gamma and of g * xhat, one reduction
  // each. LLVM vectorises a loop summing into one accumulator, but not one
  // summing into two: it keeps both in memory and adds one element at a
  // time (the whole gradient of a [16, 64, 128] batch took 401 µs so,
  // 174 µs as two sums).
  auto rowSum = [&](bool timesXhat) {
    return buildGeneric(
               r, loc, ValueRange{x, dy, gamma, mean, rstd},
               {space.identity, space.identity, space.perFeature, space.perRow,
                space.perRow},
               filledTensor(r, loc, space.rowType, 0.0), space.perRow,
               space.reducing(/*features=*/true),
               [&](OpBuilder &b, Location l, ValueRange a) {
                 Value g = b.create<arith::MulFOp>(l, toF64(b, l, a[1]),
                                                   toF64(b, l, a[2]));
                 if (timesXhat)
                   g = b.create<arith::MulFOp>(l, g,
                                               xhatOf(b, l, a[0], a[3], a[4]));
                 return SmallVector<Value>{b.create<arith::AddFOp>(l, a[5], g)};
               })
        .front();
  };
  Value rowSums[] = {rowSum(false), rowSum(true)};
  Value dx =
      buildGeneric(
          r, loc, ValueRange{x, dy, gamma, mean, rstd, rowSums[0], rowSums[1]},
          {space.identity, space.identity, space.perFeature, space.perRow,
           space.perRow, space.perRow, space.perRow},
          emptyTensor(r, loc, type), space.identity, space.parallel(),
          [&](OpBuilder &b, Location l, ValueRange a) {
            Value n = scalarConstant(b, l, b.getF64Type(), space.features);
            Value g = b.create<arith::MulFOp>(l, toF64(b, l, a[1]),
                                              toF64(b, l, a[2]));
            Value xhat = xhatOf(b, l, a[0], a[3], a[4]);
            Value centred = b.create<arith::SubFOp>(
                l,
                b.create<arith::SubFOp>(l, g,
                                        b.create<arith::DivFOp>(l, a[5], n)),
                b.create<arith::MulFOp>(l, xhat,
                                        b.create<arith::DivFOp>(l, a[6], n)));
            return SmallVector<Value>{fromF64(
                b, l, b.create<arith::MulFOp>(l, a[4], centred), element)};
          })
          .front();
  // Per feature, over the rows: dgamma = sum(dy * xhat), dbeta = sum(dy).
  auto featureType =
      RankedTensorType::get(tensorTypeOf(gamma).getShape(), r.getF64Type());
  SmallVector<Value> featureSums = buildGeneric(
      r, loc, ValueRange{x, dy, mean, rstd},
      {space.identity, space.identity, space.perRow, space.perRow},
      ValueRange{filledTensor(r, loc, featureType, 0.0),
                 filledTensor(r, loc, featureType, 0.0)},
      {space.perFeature, space.perFeature}, space.reducing(/*features=*/false),
      [&](OpBuilder &b, Location l, ValueRange a) {
        Value d = toF64(b, l, a[1]);
        Value xhat = xhatOf(b, l, a[0], a[2], a[3]);
        return SmallVector<Value>{
            b.create<arith::AddFOp>(l, a[4],
                                    b.create<arith::MulFOp>(l, d, xhat)),
            b.create<arith::AddFOp>(l, a[5], d)};
      });
  r.replaceOp(op,
              {dx, narrowFromF64(r, loc, featureSums[0], tensorTypeOf(gamma)),
               narrowFromF64(r, loc, featureSums[1], tensorTypeOf(gamma))});
  return success();
}

//===----------------------------------------------------------------------===//
// rms_norm
//===----------------------------------------------------------------------===//

/// Per row of x: 1 / sqrt(mean(x^2) + eps), in f64.
Value rmsStatistic(OpBuilder &b, Location loc, Value x,
                   const LayerNormSpace &space, double eps) {
  Value squares = buildReduction(
      b, loc, x, space.isFeature, b.getF64Type(), 0.0,
      [](OpBuilder &nb, Location nl, Value v) -> Value {
        Value wide = toF64(nb, nl, v);
        return nb.create<arith::MulFOp>(nl, wide, wide);
      },
      [](OpBuilder &nb, Location nl, Value acc, Value v) -> Value {
        return nb.create<arith::AddFOp>(nl, acc, v);
      });
  return reciprocalRoot(b, loc, squares, space, eps);
}

LogicalResult lowerRmsNorm(nn::RmsNormOp op, PatternRewriter &r) {
  Location loc = op.getLoc();
  RankedTensorType type = tensorTypeOf(op.getX());
  Type element = type.getElementType();
  LayerNormSpace space(r.getContext(), type,
                       tensorTypeOf(op.getGamma()).getRank());
  Value rstd = rmsStatistic(r, loc, op.getX(), space,
                            op.getEpsAttr().getValueAsDouble());
  Value y =
      buildGeneric(r, loc, ValueRange{op.getX(), rstd, op.getGamma()},
                   {space.identity, space.perRow, space.perFeature},
                   emptyTensor(r, loc, type), space.identity, space.parallel(),
                   [&](OpBuilder &b, Location l, ValueRange a) {
                     Value xhat =
                         b.create<arith::MulFOp>(l, toF64(b, l, a[0]), a[1]);
                     Value value =
                         b.create<arith::MulFOp>(l, xhat, toF64(b, l, a[2]));
                     return SmallVector<Value>{fromF64(b, l, value, element)};
                   })
          .front();
  r.replaceOp(op, y);
  return success();
}

LogicalResult lowerRmsNormGrad(nn::RmsNormGradOp op, PatternRewriter &r) {
  Location loc = op.getLoc();
  Value x = op.getX(), dy = op.getDy(), gamma = op.getGamma();
  RankedTensorType type = tensorTypeOf(x);
  Type element = type.getElementType();
  LayerNormSpace space(r.getContext(), type, tensorTypeOf(gamma).getRank());
  Value rstd =
      rmsStatistic(r, loc, x, space, op.getEpsAttr().getValueAsDouble());
  auto xhatOf = [](OpBuilder &b, Location l, Value xv, Value s) {
    return b.create<arith::MulFOp>(l, toF64(b, l, xv), s);
  };
  // Per row: the sum of g * xhat, g = dy * gamma.
  Value rowSum =
      buildGeneric(
          r, loc, ValueRange{x, dy, gamma, rstd},
          {space.identity, space.identity, space.perFeature, space.perRow},
          filledTensor(r, loc, space.rowType, 0.0), space.perRow,
          space.reducing(/*features=*/true),
          [&](OpBuilder &b, Location l, ValueRange a) {
            Value g = b.create<arith::MulFOp>(l, toF64(b, l, a[1]),
                                              toF64(b, l, a[2]));
            Value xhat = xhatOf(b, l, a[0], a[3]);
            return SmallVector<Value>{b.create<arith::AddFOp>(
                l, a[4], b.create<arith::MulFOp>(l, g, xhat))};
          })
          .front();
  // dx = rstd * (g - xhat * mean(g * xhat)).
  Value dx =
      buildGeneric(
          r, loc, ValueRange{x, dy, gamma, rstd, rowSum},
          {space.identity, space.identity, space.perFeature, space.perRow,
           space.perRow},
          emptyTensor(r, loc, type), space.identity, space.parallel(),
          [&](OpBuilder &b, Location l, ValueRange a) {
            Value n = scalarConstant(b, l, b.getF64Type(), space.features);
            Value g = b.create<arith::MulFOp>(l, toF64(b, l, a[1]),
                                              toF64(b, l, a[2]));
            Value xhat = xhatOf(b, l, a[0], a[3]);
            Value rest = b.create<arith::SubFOp>(
                l, g,
                b.create<arith::MulFOp>(l, xhat,
                                        b.create<arith::DivFOp>(l, a[4], n)));
            return SmallVector<Value>{
                fromF64(b, l, b.create<arith::MulFOp>(l, a[3], rest), element)};
          })
          .front();
  // Per feature, over the rows: dgamma = sum(dy * xhat).
  auto featureType =
      RankedTensorType::get(tensorTypeOf(gamma).getShape(), r.getF64Type());
  Value dgamma =
      buildGeneric(
          r, loc, ValueRange{x, dy, rstd},
          {space.identity, space.identity, space.perRow},
          filledTensor(r, loc, featureType, 0.0), space.perFeature,
          space.reducing(/*features=*/false),
          [&](OpBuilder &b, Location l, ValueRange a) {
            Value xhat = xhatOf(b, l, a[0], a[2]);
            return SmallVector<Value>{b.create<arith::AddFOp>(
                l, a[3], b.create<arith::MulFOp>(l, toF64(b, l, a[1]), xhat))};
          })
          .front();
  r.replaceOp(op, {dx, narrowFromF64(r, loc, dgamma, tensorTypeOf(gamma))});
  return success();
}

//===----------------------------------------------------------------------===//
// dropout
//===----------------------------------------------------------------------===//

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

Value i64Constant(OpBuilder &b, Location l, uint64_t value) {
  return b.create<arith::ConstantIntOp>(l, static_cast<int64_t>(value), 64);
}

Value splitmix64(OpBuilder &b, Location l, Value x) {
  auto mix = [&](Value v, int shift, uint64_t factor) {
    Value shifted = b.create<arith::ShRUIOp>(l, v, i64Constant(b, l, shift));
    return b.create<arith::MulIOp>(l, b.create<arith::XOrIOp>(l, v, shifted),
                                   i64Constant(b, l, factor));
  };
  x = b.create<arith::AddIOp>(l, x, i64Constant(b, l, 0x9E3779B97F4A7C15ull));
  x = mix(x, 30, 0xBF58476D1CE4E5B9ull);
  x = mix(x, 27, 0x94D049BB133111EBull);
  return b.create<arith::XOrIOp>(
      l, x, b.create<arith::ShRUIOp>(l, x, i64Constant(b, l, 31)));
}

/// ref's dropout (Dropout.cpp): keep element i when the top 53 bits of
/// splitmix64(splitmix64(splitmix64(seed) ^ step) ^ i) as a double in
/// [0, 1) are >= rate; kept elements are scaled by 1 / (1 - rate). The
/// flat index counts from the first row this kernel variant computes (the
/// wrapper's trailing argument), so a split gives the same mask.
template <typename DropoutOp>
LogicalResult lowerDropoutLike(DropoutOp op, Value input, PatternRewriter &r) {
  Location loc = op.getLoc();
  RankedTensorType type = tensorTypeOf(op.getResult());
  Type element = type.getElementType();
  double rate = op.getRateAttr().getValueAsDouble();
  if (!(rate >= 0.0 && rate <= 1.0))
    return op.emitError("rate is outside [0, 1]");
  if (!op.getTraining() || rate == 0.0) {
    r.replaceOp(op, buildElementwise(r, loc, type, input,
                                     [](OpBuilder &, Location, ValueRange a) {
                                       return SmallVector<Value>{a[0]};
                                     }));
    return success();
  }
  double scale = rate < 1.0 ? 1.0 / (1.0 - rate) : 0.0;
  uint64_t seedHash = splitmix64(static_cast<uint64_t>(op.getSeed()));
  auto fn = op->template getParentOfType<func::FuncOp>();
  Value firstRow = fn.getArguments().back();
  int64_t rowElements =
      type.getRank() == 0 ? 1 : type.getNumElements() / type.getDimSize(0);
  SmallVector<int64_t> strides(type.getRank(), 1);
  for (int64_t i = type.getRank() - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * type.getDimSize(i + 1);

  SmallVector<Value> inputs = {input};
  if (Value step = op.getStep())
    inputs.push_back(step);
  Value result = buildElementwise(
      r, loc, type, inputs, [&](OpBuilder &b, Location l, ValueRange a) {
        Value step = a.size() > 2 ? a[1] : i64Constant(b, l, 0);
        Value index = b.create<arith::MulIOp>(
            l, firstRow, i64Constant(b, l, static_cast<uint64_t>(rowElements)));
        for (int64_t i = 0; i < type.getRank(); ++i) {
          Value at = b.create<arith::IndexCastOp>(
              l, b.getI64Type(), b.create<linalg::IndexOp>(l, i));
          index = b.create<arith::AddIOp>(
              l, index,
              b.create<arith::MulIOp>(
                  l, at, i64Constant(b, l, static_cast<uint64_t>(strides[i]))));
        }
        Value stepHash = splitmix64(
            b, l,
            b.create<arith::XOrIOp>(l, i64Constant(b, l, seedHash), step));
        Value bits =
            splitmix64(b, l, b.create<arith::XOrIOp>(l, stepHash, index));
        Value top = b.create<arith::ShRUIOp>(l, bits, i64Constant(b, l, 11));
        Type f64 = b.getF64Type();
        Value uniform =
            b.create<arith::MulFOp>(l, b.create<arith::UIToFPOp>(l, f64, top),
                                    scalarConstant(b, l, f64, 0x1.0p-53));
        Value keep =
            b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGE, uniform,
                                    scalarConstant(b, l, f64, rate));
        Value scaled =
            fromF64(b, l,
                    b.create<arith::MulFOp>(l, toF64(b, l, a[0]),
                                            scalarConstant(b, l, f64, scale)),
                    element);
        return SmallVector<Value>{b.create<arith::SelectOp>(
            l, keep, scaled, scalarConstant(b, l, element, 0.0))};
      });
  r.replaceOp(op, result);
  return success();
}

LogicalResult lowerDropout(nn::DropoutOp op, PatternRewriter &r) {
  return lowerDropoutLike(op, op.getX(), r);
}
LogicalResult lowerDropoutGrad(nn::DropoutGradOp op, PatternRewriter &r) {
  return lowerDropoutLike(op, op.getDy(), r);
}

} // namespace

void nnc::cpu::populateNNToLinalgLayerPatterns(RewritePatternSet &patterns) {
  patterns.add<FnPattern<nn::BatchNormOp, lowerBatchNorm>,
               FnPattern<nn::BatchNormGradOp, lowerBatchNormGrad>,
               FnPattern<nn::LayerNormOp, lowerLayerNorm>,
               FnPattern<nn::LayerNormGradOp, lowerLayerNormGrad>,
               FnPattern<nn::RmsNormOp, lowerRmsNorm>,
               FnPattern<nn::RmsNormGradOp, lowerRmsNormGrad>,
               FnPattern<nn::DropoutOp, lowerDropout>,
               FnPattern<nn::DropoutGradOp, lowerDropoutGrad>>(
      patterns.getContext());
}
