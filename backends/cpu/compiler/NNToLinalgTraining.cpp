//===- NNToLinalgTraining.cpp - Optimizer updates to linalg ---------------===//
//
// Each update is one linalg.generic computing every result of an element
// from the inputs of that element alone (in f64, in ref's order), so it is
// safe in place (a result written into its own input's buffer).
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/compiler/LinalgBuilders.h"
#include "backends/cpu/compiler/NNToLinalg.h"

#include "ir/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace nnc;
using namespace nnc::cpu;

namespace {

using utils::IteratorType;

/// One generic over the shape of `results[0]`'s type producing every
/// result; `body` gets the f64 inputs and returns f64 results.
LogicalResult replaceWithUpdate(
    Operation *op, PatternRewriter &r, ValueRange inputs,
    const std::function<SmallVector<Value>(OpBuilder &, Location, ValueRange)>
        &body) {
  Location loc = op->getLoc();
  MLIRContext *context = r.getContext();
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  unsigned rank = static_cast<unsigned>(type.getRank());
  SmallVector<AffineMap> maps;
  for (Value input : inputs)
    maps.push_back(broadcastMap(context, tensorTypeOf(input), type.getShape()));
  SmallVector<Value> inits;
  SmallVector<AffineMap> initMaps;
  for (Value result : op->getResults()) {
    inits.push_back(emptyTensor(r, loc, tensorTypeOf(result)));
    initMaps.push_back(AffineMap::getMultiDimIdentityMap(rank, context));
  }
  Type element = type.getElementType();
  SmallVector<Value> results = buildGeneric(
      r, loc, inputs, maps, inits, initMaps,
      SmallVector<IteratorType>(rank, IteratorType::parallel),
      [&](OpBuilder &b, Location l, ValueRange args) {
        SmallVector<Value> wide;
        for (Value arg : args.take_front(inputs.size()))
          wide.push_back(isa<FloatType>(arg.getType()) ? toF64(b, l, arg)
                                                       : arg);
        SmallVector<Value> out = body(b, l, wide);
        for (Value &value : out)
          value = fromF64(b, l, value, element);
        return out;
      });
  r.replaceOp(op, results);
  return success();
}

Value constantF64(OpBuilder &b, Location l, double value) {
  return scalarConstant(b, l, b.getF64Type(), value);
}

LogicalResult lowerSgd(nn::SgdUpdateOp op, PatternRewriter &r) {
  double decay = op.getWeightDecayAttr().getValueAsDouble();
  return replaceWithUpdate(
      op, r, ValueRange{op.getParam(), op.getGrad(), op.getLr()},
      [=](OpBuilder &b, Location l, ValueRange a) {
        Value p = a[0];
        Value g = b.create<arith::AddFOp>(
            l, a[1], b.create<arith::MulFOp>(l, constantF64(b, l, decay), p));
        return SmallVector<Value>{
            b.create<arith::SubFOp>(l, p, b.create<arith::MulFOp>(l, a[2], g))};
      });
}

LogicalResult lowerMomentum(nn::MomentumUpdateOp op, PatternRewriter &r) {
  double decay = op.getWeightDecayAttr().getValueAsDouble();
  double momentum = op.getMomentumAttr().getValueAsDouble();
  bool nesterov = op.getNesterov();
  return replaceWithUpdate(
      op, r,
      ValueRange{op.getParam(), op.getGrad(), op.getVelocity(), op.getLr()},
      [=](OpBuilder &b, Location l, ValueRange a) {
        Value p = a[0];
        Value mu = constantF64(b, l, momentum);
        Value g = b.create<arith::AddFOp>(
            l, a[1], b.create<arith::MulFOp>(l, constantF64(b, l, decay), p));
        Value buffer =
            b.create<arith::AddFOp>(l, b.create<arith::MulFOp>(l, mu, a[2]), g);
        Value direction =
            nesterov ? b.create<arith::AddFOp>(
                            l, g, b.create<arith::MulFOp>(l, mu, buffer))
                           .getResult()
                     : buffer;
        Value updated = b.create<arith::SubFOp>(
            l, p, b.create<arith::MulFOp>(l, a[3], direction));
        return SmallVector<Value>{updated, buffer};
      });
}

LogicalResult lowerAdam(nn::AdamUpdateOp op, PatternRewriter &r) {
  Location loc = op.getLoc();
  double beta1 = op.getBeta1Attr().getValueAsDouble();
  double beta2 = op.getBeta2Attr().getValueAsDouble();
  double eps = op.getEpsAttr().getValueAsDouble();
  double decay = op.getWeightDecayAttr().getValueAsDouble();
  bool decoupled = op.getDecoupled();
  // The bias corrections, once per call: 1 - beta^step.
  auto scalarType = RankedTensorType::get({}, r.getF64Type());
  SmallVector<Value> corrections = buildGeneric(
      r, loc, op.getStep(), AffineMap::get(0, 0, {}, r.getContext()),
      ValueRange{emptyTensor(r, loc, scalarType),
                 emptyTensor(r, loc, scalarType)},
      {AffineMap::get(0, 0, {}, r.getContext()),
       AffineMap::get(0, 0, {}, r.getContext())},
      {}, [&](OpBuilder &b, Location l, ValueRange a) {
        Value steps = b.create<arith::SIToFPOp>(l, b.getF64Type(), a[0]);
        Value one = constantF64(b, l, 1.0);
        Value c1 = b.create<arith::SubFOp>(
            l, one, b.create<math::PowFOp>(l, constantF64(b, l, beta1), steps));
        Value c2 = b.create<arith::SubFOp>(
            l, one, b.create<math::PowFOp>(l, constantF64(b, l, beta2), steps));
        return SmallVector<Value>{c1, c2};
      });
  return replaceWithUpdate(
      op, r,
      ValueRange{op.getParam(), op.getGrad(), op.getM(), op.getV(), op.getLr(),
                 corrections[0], corrections[1]},
      [=](OpBuilder &b, Location l, ValueRange a) {
        Value p = a[0], g = a[1], rate = a[4];
        if (decoupled)
          p = b.create<arith::MulFOp>(
              l, p,
              b.create<arith::SubFOp>(
                  l, constantF64(b, l, 1.0),
                  b.create<arith::MulFOp>(l, rate, constantF64(b, l, decay))));
        else
          g = b.create<arith::AddFOp>(
              l, g, b.create<arith::MulFOp>(l, constantF64(b, l, decay), p));
        Value first = b.create<arith::AddFOp>(
            l, b.create<arith::MulFOp>(l, constantF64(b, l, beta1), a[2]),
            b.create<arith::MulFOp>(l, constantF64(b, l, 1.0 - beta1), g));
        Value second = b.create<arith::AddFOp>(
            l, b.create<arith::MulFOp>(l, constantF64(b, l, beta2), a[3]),
            b.create<arith::MulFOp>(
                l,
                b.create<arith::MulFOp>(l, constantF64(b, l, 1.0 - beta2), g),
                g));
        Value denominator = b.create<arith::AddFOp>(
            l,
            b.create<math::SqrtOp>(l, b.create<arith::DivFOp>(l, second, a[6])),
            constantF64(b, l, eps));
        Value step = b.create<arith::DivFOp>(
            l,
            b.create<arith::MulFOp>(l, rate,
                                    b.create<arith::DivFOp>(l, first, a[5])),
            denominator);
        return SmallVector<Value>{b.create<arith::SubFOp>(l, p, step), first,
                                  second};
      });
}

} // namespace

void nnc::cpu::populateNNToLinalgTrainingPatterns(RewritePatternSet &patterns) {
  patterns.add<FnPattern<nn::SgdUpdateOp, lowerSgd>,
               FnPattern<nn::MomentumUpdateOp, lowerMomentum>,
               FnPattern<nn::AdamUpdateOp, lowerAdam>>(patterns.getContext());
}
