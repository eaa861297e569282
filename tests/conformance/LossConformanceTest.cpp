//===- LossConformanceTest.cpp - Losses in closed form --------------------===//

#include "tests/conformance/ConformanceTest.h"

#include <cmath>

using namespace nnc::conformance;

TEST_P(BackendConformance, MseMeanOfSquares) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%p: tensor<2x2xf32>, %t: tensor<2x2xf32>) -> tensor<f32> {
      %l = nn.mse %p, %t : tensor<2x2xf32>, tensor<2x2xf32> -> tensor<f32>
      return %l : tensor<f32>
    })mlir",
                      {f32({2, 2}, {1, 2, 3, 4}), f32({2, 2}, {1, 1, 1, 1})});
  if (!out)
    return;
  expectClose(out[0], {}, {(0 + 1 + 4 + 9) / 4.0});
}

TEST_P(BackendConformance, MseF64) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%p: tensor<3xf64>, %t: tensor<3xf64>) -> tensor<f64> {
      %l = nn.mse %p, %t : tensor<3xf64>, tensor<3xf64> -> tensor<f64>
      return %l : tensor<f64>
    })mlir",
                      {f64({3}, {0.5, -1, 2}), f64({3}, {0, 1, 2})});
  if (!out)
    return;
  expectClose(out[0], {}, {(0.25 + 4 + 0) / 3}, 1e-14);
}

TEST_P(BackendConformance, BinaryCrossEntropyClosedForm) {
  // -(1 ln .5 + 0) and -(0 + 1 ln .5) are ln 2; -(ln .9) for the third.
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%p: tensor<3xf32>, %t: tensor<3xf32>) -> tensor<f32> {
      %l = nn.binary_cross_entropy %p, %t : tensor<3xf32>, tensor<3xf32> -> tensor<f32>
      return %l : tensor<f32>
    })mlir",
                      {f32({3}, {0.5f, 0.5f, 0.9f}), f32({3}, {1, 0, 1})});
  if (!out)
    return;
  expectClose(out[0], {}, {(2 * std::log(2.0) - std::log(0.9)) / 3});
}

TEST_P(BackendConformance, BinaryCrossEntropyClampsLogAtMinus100) {
  // A confidently wrong prediction costs 100, not infinity.
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%p: tensor<2xf32>, %t: tensor<2xf32>) -> tensor<f32> {
      %l = nn.binary_cross_entropy %p, %t : tensor<2xf32>, tensor<2xf32> -> tensor<f32>
      return %l : tensor<f32>
    })mlir",
                      {f32({2}, {0, 1}), f32({2}, {1, 1})});
  if (!out)
    return;
  expectClose(out[0], {}, {50});
}

TEST_P(BackendConformance, SoftmaxCrossEntropyI32Labels) {
  // Row 0 is uniform: ln 3. Row 1 is [0, ln 2, ln 3] with label 2:
  // ln 6 - ln 3 = ln 2. The mean is ln 6 / 2.
  float ln2 = static_cast<float>(std::log(2.0));
  float ln3 = static_cast<float>(std::log(3.0));
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<2x3xf32>, %y: tensor<2xi32>) -> tensor<f32> {
      %l = nn.softmax_cross_entropy %x, %y : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
      return %l : tensor<f32>
    })mlir",
                      {f32({2, 3}, {0, 0, 0, 0, ln2, ln3}), i32({2}, {1, 2})});
  if (!out)
    return;
  expectClose(out[0], {}, {std::log(6.0) / 2});
}

TEST_P(BackendConformance, SoftmaxCrossEntropyI64LabelsLargeLogits) {
  // Logits far from 0 need the stable form: [1000, 1000] with either label
  // costs ln 2.
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<1x2xf32>, %y: tensor<1xi64>) -> tensor<f32> {
      %l = nn.softmax_cross_entropy %x, %y : tensor<1x2xf32>, tensor<1xi64> -> tensor<f32>
      return %l : tensor<f32>
    })mlir",
                      {f32({1, 2}, {1000, 1000}), i64({1}, {0})});
  if (!out)
    return;
  expectClose(out[0], {}, {std::log(2.0)});
}

TEST_P(BackendConformance, SoftmaxCrossEntropyPerToken) {
  // Logits [1, 2, 3], one label per token: the rows of the I32 test above
  // as two tokens of one sequence, so the mean is again ln 6 / 2.
  float ln2 = static_cast<float>(std::log(2.0));
  float ln3 = static_cast<float>(std::log(3.0));
  KernelRun out =
      run(R"mlir(
    func.func @kernel_0(%x: tensor<1x2x3xf32>, %y: tensor<1x2xi32>) -> tensor<f32> {
      %l = nn.softmax_cross_entropy %x, %y : tensor<1x2x3xf32>, tensor<1x2xi32> -> tensor<f32>
      return %l : tensor<f32>
    })mlir",
          {f32({1, 2, 3}, {0, 0, 0, 0, ln2, ln3}), i32({1, 2}, {1, 2})});
  if (!out)
    return;
  expectClose(out[0], {}, {std::log(6.0) / 2});
}

TEST_P(BackendConformance, SoftmaxCrossEntropyPerTokenLabelOutOfRange) {
  KernelRun out = runAllowingError(
      R"mlir(
    func.func @kernel_0(%x: tensor<2x2x2xf32>, %y: tensor<2x2xi32>) -> tensor<f32> {
      %l = nn.softmax_cross_entropy %x, %y : tensor<2x2x2xf32>, tensor<2x2xi32> -> tensor<f32>
      return %l : tensor<f32>
    })mlir",
      {f32({2, 2, 2}, {0, 0, 0, 0, 0, 0, 0, 0}), i32({2, 2}, {0, 1, 1, 2})});
  if (out.state == KernelRun::State::NotRun)
    return;
  EXPECT_EQ(out.state, KernelRun::State::KernelError);
}

TEST_P(BackendConformance, SoftmaxCrossEntropyLabelOutOfRangeIsAKernelError) {
  KernelRun out = runAllowingError(R"mlir(
    func.func @kernel_0(%x: tensor<1x2xf32>, %y: tensor<1xi32>) -> tensor<f32> {
      %l = nn.softmax_cross_entropy %x, %y : tensor<1x2xf32>, tensor<1xi32> -> tensor<f32>
      return %l : tensor<f32>
    })mlir",
                                   {f32({1, 2}, {0, 0}), i32({1}, {2})});
  if (out.state == KernelRun::State::NotRun)
    return;
  EXPECT_EQ(out.state, KernelRun::State::KernelError);
}
