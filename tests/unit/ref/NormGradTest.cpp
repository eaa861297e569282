//===- NormGradTest.cpp - Reference batch_norm backward -------------------===//

#include "backends/ref/kernels/NormGrad.h"

#include "backends/ref/kernels/Norm.h"

#include "GradCheck.h"

using namespace nnc;
using namespace nnc::ref::test;

namespace {

/// The operands of one batch_norm, x [2, 3, 2, 2].
struct NormCase {
  Tensor x = randomTensor({2, 3, 2, 2}, 200, -2, 2);
  Tensor gamma = randomTensor({3}, 201, 0.5, 1.5);
  Tensor beta = randomTensor({3}, 202);
  Tensor mean = randomTensor({3}, 203);
  Tensor var = randomTensor({3}, 204, 0.5, 2);
  Tensor dy = randomTensor({2, 3, 2, 2}, 205);
  double eps = 1e-3;

  /// The forward's y, in training or evaluation mode.
  Tensor forward(bool training) {
    return runF64({2, 3, 2, 2}, [&](Tensor &y) {
      ref::BatchNormAttrs attrs{eps, 0.1};
      if (!training)
        return ref::batchNormEval(x, gamma, beta, mean, var, attrs, y);
      Tensor newMean = zeros(DType::F64, {3}), newVar = zeros(DType::F64, {3});
      return ref::batchNormTrain(x, gamma, beta, mean, var, attrs, y, newMean,
                                 newVar);
    });
  }
};

void checkAgainstFiniteDifferences(bool training) {
  NormCase c;
  Tensor dx = zeros(DType::F64, {2, 3, 2, 2});
  Tensor dgamma = zeros(DType::F64, {3}), dbeta = zeros(DType::F64, {3});
  ASSERT_OK(ref::batchNormGrad(c.x, c.gamma, c.mean, c.var, c.dy,
                               {c.eps, training}, dx, dgamma, dbeta));
  auto forward = [&] { return c.forward(training); };
  {
    SCOPED_TRACE("dx");
    expectMatchesFiniteDifferences(dx, forward, c.x, c.dy);
  }
  {
    SCOPED_TRACE("dgamma");
    expectMatchesFiniteDifferences(dgamma, forward, c.gamma, c.dy);
  }
  {
    SCOPED_TRACE("dbeta");
    expectMatchesFiniteDifferences(dbeta, forward, c.beta, c.dy);
  }
}

TEST(NormGradTest, TrainingMatchesFiniteDifferences) {
  checkAgainstFiniteDifferences(/*training=*/true);
}

TEST(NormGradTest, EvalMatchesFiniteDifferences) {
  checkAgainstFiniteDifferences(/*training=*/false);
}

TEST(NormGradTest, HandValuesInF32) {
  // One channel {1, 3}: batch mean 2, variance 1, xhat {-1, 1}; eps 0,
  // gamma 2. dy {1, 0}: dbeta 1, dgamma -1, dx = 2 * (dy - 1/2 + xhat/2)
  // = {0, 0}. Eval with mean 0, var 4: dx = dy * 2 / 2.
  Tensor x = make({2, 1}, {1, 3});
  Tensor dx = zeros(DType::F32, {2, 1});
  Tensor dgamma = zeros(DType::F32, {1}), dbeta = zeros(DType::F32, {1});
  ASSERT_OK(ref::batchNormGrad(x, make({1}, {2}), make({1}, {0}),
                               make({1}, {4}), make({2, 1}, {1, 0}), {0, true},
                               dx, dgamma, dbeta));
  expectValues(dx, {0, 0}, 1e-7);
  expectValues(dgamma, {-1}, 1e-7);
  expectValues(dbeta, {1}, 1e-7);
  ASSERT_OK(ref::batchNormGrad(x, make({1}, {2}), make({1}, {0}),
                               make({1}, {4}), make({2, 1}, {1, 0}), {0, false},
                               dx, dgamma, dbeta));
  expectValues(dx, {1, 0}, 1e-7);
  expectValues(dgamma, {0.5}, 1e-7);
  expectValues(dbeta, {1}, 1e-7);
}

TEST(NormGradTest, Errors) {
  Tensor c1 = make({1}, {1});
  Tensor dx = zeros(DType::F32, {2, 2});
  Tensor d1 = zeros(DType::F32, {1});
  EXPECT_ERROR(ref::batchNormGrad(iota({2, 2}), c1, c1, c1, iota({2, 2}), {},
                                  dx, d1, d1),
               "batch_norm_grad: gamma has shape [1], expected [2]");
  Tensor c2 = make({2}, {1, 1});
  Tensor d2 = zeros(DType::F32, {2});
  EXPECT_ERROR(ref::batchNormGrad(iota({2, 2}), c2, c2, c2, iota({2, 1}), {},
                                  dx, d2, d2),
               "batch_norm_grad: dy has shape [2, 1], expected [2, 2]");
}

} // namespace
