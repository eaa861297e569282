//===- LinalgBuilders.cpp - Small builders the nn-to-linalg patterns share
//-===//

#include "backends/cpu/compiler/LinalgBuilders.h"

#include "mlir/Dialect/Math/IR/Math.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace nnc::cpu {

RankedTensorType tensorTypeOf(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  assert(type && "expected a ranked tensor");
  return type;
}

RankedTensorType withElementType(RankedTensorType type, Type element) {
  return RankedTensorType::get(type.getShape(), element);
}

Value scalarConstant(OpBuilder &b, Location loc, Type type, double value) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return b.create<arith::ConstantOp>(loc, b.getFloatAttr(floatType, value));
  return b.create<arith::ConstantOp>(
      loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

Value indexConstant(OpBuilder &b, Location loc, int64_t value) {
  return b.create<arith::ConstantIndexOp>(loc, value);
}

Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type) {
  return b.create<tensor::EmptyOp>(loc, type.getShape(), type.getElementType());
}

Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                   double value) {
  Value scalar = scalarConstant(b, loc, type.getElementType(), value);
  return b
      .create<linalg::FillOp>(loc, ValueRange{scalar},
                              ValueRange{emptyTensor(b, loc, type)})
      .getResult(0);
}

AffineMap broadcastMap(MLIRContext *context, RankedTensorType inType,
                       ArrayRef<int64_t> outShape) {
  int64_t outRank = static_cast<int64_t>(outShape.size());
  int64_t shift = outRank - inType.getRank();
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < inType.getRank(); ++i) {
    int64_t j = i + shift;
    if (inType.getDimSize(i) == 1 && outShape[j] != 1)
      exprs.push_back(getAffineConstantExpr(0, context));
    else
      exprs.push_back(getAffineDimExpr(static_cast<unsigned>(j), context));
  }
  return AffineMap::get(static_cast<unsigned>(outRank), 0, exprs, context);
}

SmallVector<Value> buildGeneric(OpBuilder &b, Location loc, ValueRange inputs,
                                ArrayRef<AffineMap> inputMaps, ValueRange inits,
                                ArrayRef<AffineMap> initMaps,
                                ArrayRef<utils::IteratorType> iterators,
                                const BodyBuilder &body) {
  SmallVector<AffineMap> maps(inputMaps.begin(), inputMaps.end());
  maps.append(initMaps.begin(), initMaps.end());
  SmallVector<Type> resultTypes;
  for (Value init : inits)
    resultTypes.push_back(init.getType());
  auto generic = b.create<linalg::GenericOp>(
      loc, resultTypes, inputs, inits, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        nested.create<linalg::YieldOp>(nestedLoc,
                                       body(nested, nestedLoc, args));
      });
  return SmallVector<Value>(generic.getResults());
}

Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange inputs, const BodyBuilder &body) {
  MLIRContext *context = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value input : inputs)
    maps.push_back(
        broadcastMap(context, tensorTypeOf(input), resultType.getShape()));
  unsigned rank = static_cast<unsigned>(resultType.getRank());
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return buildGeneric(b, loc, inputs, maps, emptyTensor(b, loc, resultType),
                      AffineMap::getMultiDimIdentityMap(rank, context),
                      iterators, body)
      .front();
}

Value expOfShifted(OpBuilder &b, Location loc, Value x) {
  Type type = x.getType();
  if (type.isF64()) {
    Value floor = scalarConstant(b, loc, type, -700.0);
    return b.create<math::ExpOp>(loc,
                                 b.create<arith::MaximumFOp>(loc, x, floor));
  }
  Value floor = scalarConstant(b, loc, type, -87.0);
  Value e =
      b.create<math::ExpOp>(loc, b.create<arith::MaximumFOp>(loc, x, floor));
  Value below =
      b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, x, floor);
  return b.create<arith::SelectOp>(loc, below,
                                   scalarConstant(b, loc, type, 0.0), e);
}

Value toF64(OpBuilder &b, Location loc, Value value) {
  if (value.getType().isF64())
    return value;
  return b.create<arith::ExtFOp>(loc, b.getF64Type(), value);
}

Value fromF64(OpBuilder &b, Location loc, Value value, Type type) {
  if (type.isF64())
    return value;
  return b.create<arith::TruncFOp>(loc, type, value);
}

Value narrowFromF64(OpBuilder &b, Location loc, Value sums,
                    RankedTensorType type) {
  Type element = type.getElementType();
  return buildElementwise(b, loc, type, sums,
                          [&](OpBuilder &nb, Location nl, ValueRange a) {
                            return SmallVector<Value>{
                                fromF64(nb, nl, a[0], element)};
                          });
}

Value reshapeTo(OpBuilder &b, Location loc, Value value,
                RankedTensorType type) {
  RankedTensorType source = tensorTypeOf(value);
  if (source == type)
    return value;
  if (source.getRank() == 0)
    return b.create<tensor::ExpandShapeOp>(loc, type, value,
                                           ArrayRef<ReassociationIndices>{});
  if (type.getRank() == 0)
    return b.create<tensor::CollapseShapeOp>(loc, type, value,
                                             ArrayRef<ReassociationIndices>{});
  ReassociationIndices all;
  for (int64_t i = 0; i < source.getRank(); ++i)
    all.push_back(i);
  auto flatType =
      RankedTensorType::get({source.getNumElements()}, source.getElementType());
  Value flat = source.getRank() == 1 ? value
                                     : b.create<tensor::CollapseShapeOp>(
                                            loc, flatType, value,
                                            ArrayRef<ReassociationIndices>{all})
                                           .getResult();
  if (type.getRank() == 1)
    return flat;
  ReassociationIndices allOut;
  for (int64_t i = 0; i < type.getRank(); ++i)
    allOut.push_back(i);
  return b.create<tensor::ExpandShapeOp>(
      loc, type, flat, ArrayRef<ReassociationIndices>{allOut});
}

AffineMap keptDimsMap(MLIRContext *context, ArrayRef<bool> reduced) {
  SmallVector<AffineExpr> exprs;
  for (size_t i = 0; i < reduced.size(); ++i)
    if (!reduced[i])
      exprs.push_back(getAffineDimExpr(static_cast<unsigned>(i), context));
  return AffineMap::get(static_cast<unsigned>(reduced.size()), 0, exprs,
                        context);
}

Value buildReduction(
    OpBuilder &b, Location loc, Value input, ArrayRef<bool> reduced,
    Type accType, double init,
    const std::function<Value(OpBuilder &, Location, Value)> &map,
    const std::function<Value(OpBuilder &, Location, Value, Value)> &combine) {
  RankedTensorType inType = tensorTypeOf(input);
  MLIRContext *context = b.getContext();
  SmallVector<int64_t> kept;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t i = 0; i < inType.getRank(); ++i) {
    if (!reduced[i])
      kept.push_back(inType.getDimSize(i));
    iterators.push_back(reduced[i] ? utils::IteratorType::reduction
                                   : utils::IteratorType::parallel);
  }
  Value acc = filledTensor(b, loc, RankedTensorType::get(kept, accType), init);
  unsigned rank = static_cast<unsigned>(inType.getRank());
  return buildGeneric(
             b, loc, input, AffineMap::getMultiDimIdentityMap(rank, context),
             acc, keptDimsMap(context, reduced), iterators,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value element = map(nb, nl, args[0]);
               return SmallVector<Value>{combine(nb, nl, args[1], element)};
             })
      .front();
}

Value maxF64(OpBuilder &b, Location loc, Value x, ArrayRef<bool> reduced) {
  auto maxOf = [](OpBuilder &nb, Location nl, Value acc, Value v) -> Value {
    return nb.create<arith::MaxNumFOp>(nl, acc, v);
  };
  auto widen = [](OpBuilder &nb, Location nl, Value v) {
    return toF64(nb, nl, v);
  };
  const double minusInf = -std::numeric_limits<double>::infinity();
  RankedTensorType type = tensorTypeOf(x);
  int64_t rank = type.getRank();
  bool lastAxisOnly = rank >= 1 && reduced.back() &&
                      llvm::count(reduced, true) == 1 && type.hasStaticShape();
  int64_t extent = rank >= 1 ? type.getShape().back() : 0;
  // A row of 1000 classes, 8 lanes at a time, took a third of its softmax's
  // time as a scalar chain of maxnum calls.
  int64_t kLanes = 0;
  for (int64_t lanes : {16, 8, 4})
    if (kLanes == 0 && extent % lanes == 0 && extent >= 2 * lanes)
      kLanes = lanes;
  if (!lastAxisOnly || kLanes == 0)
    return buildReduction(b, loc, x, reduced, b.getF64Type(), minusInf, widen,
                          maxOf);
  MLIRContext *context = b.getContext();
  int64_t rows = type.getNumElements() / extent;
  Value split =
      reshapeTo(b, loc, x, type.clone({rows, extent / kLanes, kLanes}));
  AffineExpr row = getAffineDimExpr(0, context),
             lane = getAffineDimExpr(2, context);
  Value lanes =
      buildGeneric(b, loc, split, AffineMap::getMultiDimIdentityMap(3, context),
                   filledTensor(b, loc, type.clone({rows, kLanes}), minusInf),
                   AffineMap::get(3, 0, {row, lane}, context),
                   {utils::IteratorType::parallel,
                    utils::IteratorType::reduction,
                    utils::IteratorType::parallel},
                   [&](OpBuilder &nb, Location nl, ValueRange a) {
                     return SmallVector<Value>{maxOf(nb, nl, a[1], a[0])};
                   })
          .front();
  Value rowMax = buildReduction(b, loc, lanes, {false, true}, b.getF64Type(),
                                minusInf, widen, maxOf);
  auto keptType =
      RankedTensorType::get(type.getShape().drop_back(), b.getF64Type());
  return reshapeTo(b, loc, rowMax, keptType);
}

Value loopOver(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Value init,
               const std::function<Value(OpBuilder &, Location, ValueRange,
                                         Value)> &body) {
  SmallVector<Value> lbs, ubs, steps;
  for (int64_t extent : shape) {
    lbs.push_back(indexConstant(b, loc, 0));
    ubs.push_back(indexConstant(b, loc, extent));
    steps.push_back(indexConstant(b, loc, 1));
  }
  scf::LoopNest nest = scf::buildLoopNest(
      b, loc, lbs, ubs, steps, ValueRange{init},
      [&](OpBuilder &nb, Location nl, ValueRange ivs, ValueRange iterArgs) {
        return scf::ValueVector{body(nb, nl, ivs, iterArgs[0])};
      });
  return nest.results.front();
}

int64_t normalizeAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

} // namespace nnc::cpu
