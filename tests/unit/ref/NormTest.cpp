//===- NormTest.cpp - Reference batch_norm --------------------------------===//

#include "backends/ref/kernels/Norm.h"

#include "KernelTestSupport.h"

#include <cmath>

using namespace nnc;
using namespace nnc::ref::test;

namespace {

TEST(NormTest, EvalUsesRunningStatistics) {
  // x [n=2, c=2]: channel 0 holds {1, 3}, channel 1 holds {2, 4}.
  Tensor x = make({2, 2}, {1, 2, 3, 4});
  Tensor out = zeros(DType::F32, {2, 2});
  ASSERT_OK(ref::batchNormEval(x, make({2}, {2, 1}), make({2}, {0, 1}),
                               make({2}, {1, 2}), make({2}, {4, 1}),
                               {/*eps=*/0, /*momentum=*/0.1}, out));
  // Channel 0: (x - 1) / 2 * 2; channel 1: (x - 2) / 1 + 1.
  expectValues(out, {0, 1, 2, 3});
}

TEST(NormTest, TrainUsesBatchStatisticsAndUpdatesRunningOnes) {
  // x [n=2, c=1, 2]: the channel holds 1, 2, 3, 4; mean 2.5, biased
  // variance 1.25, unbiased 5/3.
  Tensor x = make<double>({2, 1, 2}, {1, 2, 3, 4});
  Tensor runningMean = make<double>({1}, {0});
  Tensor runningVar = make<double>({1}, {1});
  Tensor out = zeros(DType::F64, {2, 1, 2});
  // Updated in place, as the training step does with its buffers.
  ASSERT_OK(ref::batchNormTrain(
      x, make<double>({1}, {1}), make<double>({1}, {0}), runningMean,
      runningVar, {/*eps=*/0, /*momentum=*/0.1}, out, runningMean, runningVar));
  double s = std::sqrt(1.25);
  expectValues(out, {-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s}, 1e-14);
  expectValues(runningMean, {0.25}, 1e-15);
  expectValues(runningVar, {0.9 + 0.1 * 5.0 / 3.0}, 1e-15);
}

TEST(NormTest, TrainAppliesGammaBetaAndEps) {
  // Channel 0 constant: zero variance, so eps alone sets the scale.
  Tensor x = make({2, 2}, {5, 1, 5, 3});
  Tensor newMean = zeros(DType::F32, {2}), newVar = zeros(DType::F32, {2});
  Tensor out = zeros(DType::F32, {2, 2});
  ASSERT_OK(ref::batchNormTrain(x, make({2}, {3, 2}), make({2}, {1, -1}),
                                make({2}, {0, 0}), make({2}, {0, 0}),
                                {/*eps=*/1e-5, /*momentum=*/1.0}, out, newMean,
                                newVar));
  double s = 2 / std::sqrt(1 + 1e-5);
  expectValues(out, {1, -1 - s, 1, -1 + s}, 1e-6);
  expectValues(newMean, {5, 2});
  expectValues(newVar, {0, 2});
}

TEST(NormTest, Errors) {
  Tensor c1 = make({1}, {1});
  EXPECT_ERROR(ref::batchNormTrain(make({1, 1}, {1}), c1, c1, c1, c1, {},
                                   zeros(DType::F32, {1, 1}),
                                   zeros(DType::F32, {1}),
                                   zeros(DType::F32, {1})),
               "batch_norm: training needs more than one value per channel, "
               "got [1, 1]");
  EXPECT_ERROR(ref::batchNormEval(iota({2, 3}), c1, c1, c1, c1, {},
                                  zeros(DType::F32, {2, 3})),
               "batch_norm: gamma has shape [1], expected [3]");
  EXPECT_ERROR(
      ref::batchNormEval(iota({3}), c1, c1, c1, c1, {}, zeros(DType::F32, {3})),
      "batch_norm: input needs rank >= 2, got [3]");
}

} // namespace
