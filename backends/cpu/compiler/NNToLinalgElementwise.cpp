//===- NNToLinalgElementwise.cpp - Elementwise nn ops to linalg.generic ---===//
//
// Exact ops (add, mul, neg, relu, ...) run in the element type, where they
// round exactly as ref's double arithmetic does. Transcendental ones run in
// the tensor's own precision through libm's vector functions (inF64 below
// says which still widen to f64); GELU's erf in f32 is a rational form
// (rationalErf).
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/compiler/LinalgBuilders.h"
#include "backends/cpu/compiler/NNToLinalg.h"

#include "ir/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace nnc;
using namespace nnc::cpu;

namespace {

constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;

using ScalarFn = std::function<Value(OpBuilder &, Location, ValueRange)>;

LogicalResult replaceWithMap(Operation *op, PatternRewriter &rewriter,
                             ValueRange inputs, const ScalarFn &fn) {
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  Value result = buildElementwise(
      rewriter, op->getLoc(), resultType, inputs,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        return SmallVector<Value>{fn(b, loc, args.drop_back())};
      });
  rewriter.replaceOp(op, result);
  return success();
}

/// Runs `fn` on f64 copies of the float arguments and narrows the result,
/// as ref computes: for pow, whose f32 form loses more, and leaky_relu,
/// whose alpha is an f64 attribute. The transcendental maps (exp, log,
/// tanh, sigmoid, softplus, gelu) run in the tensor's own precision, where
/// libmvec's f32 functions have twice the lanes of their f64 ones.
ScalarFn inF64(Type elementType, const ScalarFn &fn) {
  return [=](OpBuilder &b, Location loc, ValueRange args) {
    SmallVector<Value> wide;
    for (Value arg : args)
      wide.push_back(toF64(b, loc, arg));
    return fromF64(b, loc, fn(b, loc, wide), elementType);
  };
}

Type elementTypeOf(Operation *op) {
  return cast<RankedTensorType>(op->getResult(0).getType()).getElementType();
}

bool isFloat(Operation *op) { return isa<FloatType>(elementTypeOf(op)); }

template <typename FloatOp, typename IntOp>
LogicalResult lowerArith(Operation *op, PatternRewriter &rewriter) {
  bool floating = isFloat(op);
  return replaceWithMap(op, rewriter, op->getOperands(),
                        [=](OpBuilder &b, Location loc, ValueRange a) -> Value {
                          if (floating)
                            return b.create<FloatOp>(loc, a[0], a[1]);
                          return b.create<IntOp>(loc, a[0], a[1]);
                        });
}

LogicalResult lowerAdd(nn::AddOp op, PatternRewriter &r) {
  return lowerArith<arith::AddFOp, arith::AddIOp>(op, r);
}
LogicalResult lowerSub(nn::SubOp op, PatternRewriter &r) {
  return lowerArith<arith::SubFOp, arith::SubIOp>(op, r);
}
LogicalResult lowerMul(nn::MulOp op, PatternRewriter &r) {
  return lowerArith<arith::MulFOp, arith::MulIOp>(op, r);
}

LogicalResult lowerDiv(nn::DivOp op, PatternRewriter &r) {
  if (isFloat(op))
    return lowerArith<arith::DivFOp, arith::DivSIOp>(op, r);
  // A zero divisor is reported by the kernel before it runs (see
  // CpuKernel's checks); here it only must not trap, and minimum / -1
  // wraps instead of trapping.
  return replaceWithMap(
      op, r, op->getOperands(),
      [](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Type type = a[0].getType();
        Value zero = scalarConstant(b, loc, type, 0);
        Value one = scalarConstant(b, loc, type, 1);
        Value minusOne = scalarConstant(b, loc, type, -1);
        Value isZero =
            b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, a[1], zero);
        Value isMinusOne = b.create<arith::CmpIOp>(
            loc, arith::CmpIPredicate::eq, a[1], minusOne);
        Value bad = b.create<arith::OrIOp>(loc, isZero, isMinusOne);
        Value divisor = b.create<arith::SelectOp>(loc, bad, one, a[1]);
        Value quotient = b.create<arith::DivSIOp>(loc, a[0], divisor);
        Value negated = b.create<arith::SubIOp>(loc, zero, a[0]);
        return b.create<arith::SelectOp>(loc, isMinusOne, negated, quotient);
      });
}

LogicalResult lowerPow(nn::PowOp op, PatternRewriter &r) {
  return replaceWithMap(
      op, r, op->getOperands(),
      inF64(elementTypeOf(op), [](OpBuilder &b, Location loc, ValueRange a) {
        return b.create<math::PowFOp>(loc, a[0], a[1]);
      }));
}

LogicalResult lowerNeg(nn::NegOp op, PatternRewriter &r) {
  bool floating = isFloat(op);
  return replaceWithMap(op, r, op->getOperands(),
                        [=](OpBuilder &b, Location loc, ValueRange a) -> Value {
                          if (floating)
                            return b.create<arith::NegFOp>(loc, a[0]);
                          Value zero =
                              scalarConstant(b, loc, a[0].getType(), 0);
                          return b.create<arith::SubIOp>(loc, zero, a[0]);
                        });
}

LogicalResult lowerAbs(nn::AbsOp op, PatternRewriter &r) {
  bool floating = isFloat(op);
  return replaceWithMap(
      op, r, op->getOperands(),
      [=](OpBuilder &b, Location loc, ValueRange a) -> Value {
        if (floating)
          return b.create<math::AbsFOp>(loc, a[0]);
        Value zero = scalarConstant(b, loc, a[0].getType(), 0);
        Value negative =
            b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, a[0], zero);
        Value negated = b.create<arith::SubIOp>(loc, zero, a[0]);
        return b.create<arith::SelectOp>(loc, negative, negated, a[0]);
      });
}

template <typename MathOp>
LogicalResult lowerMathUnary(Operation *op, PatternRewriter &r) {
  return replaceWithMap(op, r, op->getOperands(),
                        [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                          return b.create<MathOp>(loc, a[0]);
                        });
}

LogicalResult lowerExp(nn::ExpOp op, PatternRewriter &r) {
  return lowerMathUnary<math::ExpOp>(op, r);
}
LogicalResult lowerLog(nn::LogOp op, PatternRewriter &r) {
  return lowerMathUnary<math::LogOp>(op, r);
}
LogicalResult lowerSqrt(nn::SqrtOp op, PatternRewriter &r) {
  // Correctly rounded in any precision: no need to widen.
  return replaceWithMap(op, r, op->getOperands(),
                        [](OpBuilder &b, Location loc, ValueRange a) -> Value {
                          return b.create<math::SqrtOp>(loc, a[0]);
                        });
}
LogicalResult lowerTanh(nn::TanhOp op, PatternRewriter &r) {
  return lowerMathUnary<math::TanhOp>(op, r);
}

/// exp(-|x|), in (0, 1]: the term sigmoid and softplus are written with
/// so that no exp overflows.
Value expOfMinusAbs(OpBuilder &b, Location loc, Value x) {
  Value minusAbs =
      b.create<arith::NegFOp>(loc, b.create<math::AbsFOp>(loc, x));
  return b.create<math::ExpOp>(loc, minusAbs);
}

LogicalResult lowerSoftplus(nn::SoftplusOp op, PatternRewriter &r) {
  // max(x, 0) + log1p(exp(-|x|)), in ref's order of operations.
  return replaceWithMap(
      op, r, op->getOperands(),
      [](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value x = a[0];
        Value zero = scalarConstant(b, loc, x.getType(), 0);
        Value tail =
            b.create<math::Log1pOp>(loc, expOfMinusAbs(b, loc, x));
        return b.create<arith::AddFOp>(
            loc, b.create<arith::MaximumFOp>(loc, x, zero), tail);
      });
}

LogicalResult lowerRelu(nn::ReluOp op, PatternRewriter &r) {
  // x < 0 ? 0 : x, so that NaN propagates.
  return replaceWithMap(
      op, r, op->getOperands(),
      [](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value zero = scalarConstant(b, loc, a[0].getType(), 0);
        Value negative =
            b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, a[0], zero);
        return b.create<arith::SelectOp>(loc, negative, zero, a[0]);
      });
}

LogicalResult lowerSigmoid(nn::SigmoidOp op, PatternRewriter &r) {
  // With e = exp(-|x|), q = e / (1 + e) is sigmoid(-|x|): the result for
  // x < 0, and 1 - q for x >= 0. 1 / (1 + e) would be the same in exact
  // arithmetic, but 1 + e rounds to 1 in f32 once e < 2^-24 (x > 16.6),
  // where 1 - q stays below 1 until the true value rounds to 1 (x > 17.3):
  // a sigmoid of 1 there made a binary cross-entropy after it infinite
  // and its gradient zero. NaN takes the second branch and stays NaN.
  return replaceWithMap(
      op, r, op->getOperands(),
      [](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value x = a[0];
        Value one = scalarConstant(b, loc, x.getType(), 1);
        Value zero = scalarConstant(b, loc, x.getType(), 0);
        Value e = expOfMinusAbs(b, loc, x);
        Value denominator = b.create<arith::AddFOp>(loc, one, e);
        Value ofMinusAbs = b.create<arith::DivFOp>(loc, e, denominator);
        Value positive =
            b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGE, x, zero);
        Value complement = b.create<arith::SubFOp>(loc, one, ofMinusAbs);
        return b.create<arith::SelectOp>(loc, positive, complement, ofMinusAbs)
            .getResult();
      });
}

/// erf(x) for f32 as x * P(x^2) / Q(x^2) on x clamped to [-4, 4], where
/// erf is 1 to within half an f32 ulp. libmvec's erff costs about 2 cycles
/// an element, which made GELU a quarter of the transformer's widest
/// matmul kernel; this is some 15 vector operations for 16 elements. The
/// coefficients are a minimax fit on [0, 4] (docs/performance.md, "GELU's
/// erf"): at most 4.4e-7 from erf in f32. A NaN comes out of the clamp as
/// a number; GELU and its gradient stay NaN through their factor x.
Value rationalErf(OpBuilder &b, Location loc, Value x) {
  static constexpr double kNumerator[] = {
      1.1283789764315681,   0.19624713915366016,   0.05346724119615197,
      0.004003571597551564, 0.0002880404773716108, 1.97485122799268e-06};
  static constexpr double kDenominator[] = {1.0,
                                            0.5072506576951509,
                                            0.11647567305661331,
                                            0.015444268770662592,
                                            0.0012163435055972298,
                                            3.748103824858379e-05};
  Type type = x.getType();
  Value clamped = b.create<arith::MaxNumFOp>(
      loc, b.create<arith::MinNumFOp>(loc, x, scalarConstant(b, loc, type, 4)),
      scalarConstant(b, loc, type, -4));
  Value square = b.create<arith::MulFOp>(loc, clamped, clamped);
  // Multiply-adds that LLVM may contract to FMAs: math.fma would become a
  // call to libm's scalar fmaf (MathToLibm), which does not vectorise.
  auto contract = arith::FastMathFlagsAttr::get(b.getContext(),
                                                arith::FastMathFlags::contract);
  auto horner = [&](ArrayRef<double> coefficients) {
    Value sum = scalarConstant(b, loc, type, coefficients.back());
    for (double c : llvm::reverse(coefficients.drop_back())) {
      Value product = b.create<arith::MulFOp>(loc, sum, square, contract);
      sum = b.create<arith::AddFOp>(loc, product,
                                    scalarConstant(b, loc, type, c), contract);
    }
    return sum;
  };
  Value numerator = b.create<arith::MulFOp>(loc, clamped, horner(kNumerator));
  return b.create<arith::DivFOp>(loc, numerator, horner(kDenominator));
}

/// 1 + erf(x / sqrt(2)).
Value onePlusErf(OpBuilder &b, Location loc, Value x) {
  Value one = scalarConstant(b, loc, x.getType(), 1);
  Value scaled = b.create<arith::MulFOp>(
      loc, x, scalarConstant(b, loc, x.getType(), kInvSqrt2));
  Value erf = x.getType().isF32() ? rationalErf(b, loc, scaled)
                                  : b.create<math::ErfOp>(loc, scaled);
  return b.create<arith::AddFOp>(loc, one, erf);
}

/// The normal CDF, 0.5 * (1 + erf(x / sqrt(2))).
Value erfCdf(OpBuilder &b, Location loc, Value x) {
  Value half = scalarConstant(b, loc, x.getType(), 0.5);
  return b.create<arith::MulFOp>(loc, half, onePlusErf(b, loc, x));
}

LogicalResult lowerGelu(nn::GeluOp op, PatternRewriter &r) {
  // 0.5 * x * (1 + erf(x / sqrt(2))), in ref's order of operations but in
  // the tensor's own precision: GELU sits in the epilogue of the
  // transformer's widest matmul, and libmvec's erff runs twice the lanes
  // of its erf.
  return replaceWithMap(
      op, r, op->getOperands(),
      [](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value x = a[0];
        Value half = scalarConstant(b, loc, x.getType(), 0.5);
        Value halfX = b.create<arith::MulFOp>(loc, half, x);
        return b.create<arith::MulFOp>(loc, halfX, onePlusErf(b, loc, x))
            .getResult();
      });
}

LogicalResult lowerLeakyRelu(nn::LeakyReluOp op, PatternRewriter &r) {
  double alpha = op.getAlphaAttr().getValueAsDouble();
  return replaceWithMap(
      op, r, op->getOperands(),
      inF64(elementTypeOf(op), [=](OpBuilder &b, Location loc, ValueRange a) {
        Value x = a[0];
        Value zero = scalarConstant(b, loc, x.getType(), 0);
        Value negative =
            b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, x, zero);
        Value scaled = b.create<arith::MulFOp>(
            loc, scalarConstant(b, loc, x.getType(), alpha), x);
        return b.create<arith::SelectOp>(loc, negative, scaled, x).getResult();
      }));
}

/// ref's maximum/minimum: a NaN operand wins (the first if both are), else
/// `takeMax ? (a < b ? b : a) : (b < a ? b : a)`.
LogicalResult lowerMaxOrMin(Operation *op, PatternRewriter &r, bool takeMax) {
  bool floating = isFloat(op);
  return replaceWithMap(
      op, r, op->getOperands(),
      [=](OpBuilder &b, Location loc, ValueRange v) -> Value {
        Value a = v[0], c = v[1];
        Value lhs = takeMax ? a : c, rhs = takeMax ? c : a;
        Value less = floating ? b.create<arith::CmpFOp>(
                                     loc, arith::CmpFPredicate::OLT, lhs, rhs)
                                    .getResult()
                              : b.create<arith::CmpIOp>(
                                     loc, arith::CmpIPredicate::slt, lhs, rhs)
                                    .getResult();
        Value picked = b.create<arith::SelectOp>(loc, less, c, a);
        if (!floating)
          return picked;
        Value aNaN =
            b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, a, a);
        Value cNaN =
            b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, c, c);
        Value orC = b.create<arith::SelectOp>(loc, cNaN, c, picked);
        return b.create<arith::SelectOp>(loc, aNaN, a, orC);
      });
}

LogicalResult lowerMaximum(nn::MaximumOp op, PatternRewriter &r) {
  return lowerMaxOrMin(op, r, true);
}
LogicalResult lowerMinimum(nn::MinimumOp op, PatternRewriter &r) {
  return lowerMaxOrMin(op, r, false);
}

/// 1 where the comparison holds and 0 elsewhere, in the operands' type;
/// ordered float predicates (NaN compares false) but for not_equal, as in
/// ref.
LogicalResult lowerCompare(Operation *op, PatternRewriter &r,
                           arith::CmpFPredicate floatPredicate,
                           arith::CmpIPredicate intPredicate) {
  bool floating = isFloat(op);
  return replaceWithMap(
      op, r, op->getOperands(),
      [=](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value holds =
            floating ? b.create<arith::CmpFOp>(loc, floatPredicate, a[0], a[1])
                           .getResult()
                     : b.create<arith::CmpIOp>(loc, intPredicate, a[0], a[1])
                           .getResult();
        Type type = a[0].getType();
        return b.create<arith::SelectOp>(loc, holds,
                                         scalarConstant(b, loc, type, 1),
                                         scalarConstant(b, loc, type, 0));
      });
}

/// a where cond is nonzero (NaN counts, as in ref: an unordered compare),
/// else b.
LogicalResult lowerWhere(nn::WhereOp op, PatternRewriter &r) {
  bool floating = isFloat(op);
  return replaceWithMap(
      op, r, op->getOperands(),
      [=](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value zero = scalarConstant(b, loc, a[0].getType(), 0);
        Value holds =
            floating ? b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE,
                                               a[0], zero)
                           .getResult()
                     : b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne,
                                               a[0], zero)
                           .getResult();
        return b.create<arith::SelectOp>(loc, holds, a[1], a[2]);
      });
}

/// The pattern function of one comparison op and its two predicates.
template <typename CompareOp, arith::CmpFPredicate FloatPredicate,
          arith::CmpIPredicate IntPredicate>
LogicalResult lowerComparison(CompareOp op, PatternRewriter &r) {
  return lowerCompare(op, r, FloatPredicate, IntPredicate);
}

LogicalResult lowerSign(nn::SignOp op, PatternRewriter &r) {
  bool floating = isFloat(op);
  return replaceWithMap(
      op, r, op->getOperands(),
      [=](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value x = a[0];
        Type type = x.getType();
        Value zero = scalarConstant(b, loc, type, 0);
        Value one = scalarConstant(b, loc, type, 1);
        Value minusOne = scalarConstant(b, loc, type, -1);
        Value positive, negative;
        if (floating) {
          positive =
              b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, x, zero);
          negative =
              b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, x, zero);
        } else {
          positive =
              b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sgt, x, zero);
          negative =
              b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, x, zero);
        }
        Value result = b.create<arith::SelectOp>(
            loc, positive, one,
            b.create<arith::SelectOp>(loc, negative, minusOne, zero));
        if (!floating)
          return result;
        Value isNaN =
            b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, x, x);
        return b.create<arith::SelectOp>(loc, isNaN, x, result);
      });
}

LogicalResult lowerReluGrad(nn::ReluGradOp op, PatternRewriter &r) {
  return replaceWithMap(
      op, r, op->getOperands(),
      [](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value zero = scalarConstant(b, loc, a[0].getType(), 0);
        Value positive =
            b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, a[0], zero);
        return b.create<arith::SelectOp>(loc, positive, a[1], zero);
      });
}

LogicalResult lowerLeakyReluGrad(nn::LeakyReluGradOp op, PatternRewriter &r) {
  double alpha = op.getAlphaAttr().getValueAsDouble();
  return replaceWithMap(
      op, r, op->getOperands(),
      inF64(elementTypeOf(op), [=](OpBuilder &b, Location loc, ValueRange a) {
        Value zero = scalarConstant(b, loc, a[0].getType(), 0);
        Value positive =
            b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, a[0], zero);
        Value scaled = b.create<arith::MulFOp>(
            loc, scalarConstant(b, loc, a[0].getType(), alpha), a[1]);
        return b.create<arith::SelectOp>(loc, positive, a[1], scaled)
            .getResult();
      }));
}

LogicalResult lowerGeluGrad(nn::GeluGradOp op, PatternRewriter &r) {
  // g * (cdf(v) + v * pdf(v)), in the tensor's precision as gelu.
  return replaceWithMap(
      op, r, op->getOperands(),
      [](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value v = a[0], g = a[1];
        Type type = v.getType();
        Value cdf = erfCdf(b, loc, v);
        Value minusHalf = scalarConstant(b, loc, type, -0.5);
        Value exponent = b.create<arith::MulFOp>(
            loc, b.create<arith::MulFOp>(loc, minusHalf, v), v);
        Value pdf = b.create<arith::MulFOp>(
            loc, scalarConstant(b, loc, type, kInvSqrt2Pi),
            b.create<math::ExpOp>(loc, exponent));
        Value sum = b.create<arith::AddFOp>(
            loc, cdf, b.create<arith::MulFOp>(loc, v, pdf));
        return b.create<arith::MulFOp>(loc, g, sum).getResult();
      });
}

} // namespace

void nnc::cpu::populateNNToLinalgElementwisePatterns(
    RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<
      FnPattern<nn::AddOp, lowerAdd>, FnPattern<nn::SubOp, lowerSub>,
      FnPattern<nn::MulOp, lowerMul>, FnPattern<nn::DivOp, lowerDiv>,
      FnPattern<nn::PowOp, lowerPow>, FnPattern<nn::NegOp, lowerNeg>,
      FnPattern<nn::AbsOp, lowerAbs>, FnPattern<nn::ExpOp, lowerExp>,
      FnPattern<nn::LogOp, lowerLog>, FnPattern<nn::SqrtOp, lowerSqrt>,
      FnPattern<nn::ReluOp, lowerRelu>, FnPattern<nn::SigmoidOp, lowerSigmoid>,
      FnPattern<nn::TanhOp, lowerTanh>, FnPattern<nn::GeluOp, lowerGelu>,
      FnPattern<nn::SoftplusOp, lowerSoftplus>,
      FnPattern<nn::LeakyReluOp, lowerLeakyRelu>,
      FnPattern<nn::MaximumOp, lowerMaximum>,
      FnPattern<nn::WhereOp, lowerWhere>,
      FnPattern<nn::LessOp,
                lowerComparison<nn::LessOp, arith::CmpFPredicate::OLT,
                                arith::CmpIPredicate::slt>>,
      FnPattern<nn::LessEqualOp,
                lowerComparison<nn::LessEqualOp, arith::CmpFPredicate::OLE,
                                arith::CmpIPredicate::sle>>,
      FnPattern<nn::GreaterOp,
                lowerComparison<nn::GreaterOp, arith::CmpFPredicate::OGT,
                                arith::CmpIPredicate::sgt>>,
      FnPattern<nn::GreaterEqualOp,
                lowerComparison<nn::GreaterEqualOp, arith::CmpFPredicate::OGE,
                                arith::CmpIPredicate::sge>>,
      FnPattern<nn::EqualOp,
                lowerComparison<nn::EqualOp, arith::CmpFPredicate::OEQ,
                                arith::CmpIPredicate::eq>>,
      FnPattern<nn::NotEqualOp,
                lowerComparison<nn::NotEqualOp, arith::CmpFPredicate::UNE,
                                arith::CmpIPredicate::ne>>,
      FnPattern<nn::MinimumOp, lowerMinimum>, FnPattern<nn::SignOp, lowerSign>,
      FnPattern<nn::ReluGradOp, lowerReluGrad>,
      FnPattern<nn::LeakyReluGradOp, lowerLeakyReluGrad>,
      FnPattern<nn::GeluGradOp, lowerGeluGrad>>(context);
}
