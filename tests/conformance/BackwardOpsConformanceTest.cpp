//===- BackwardOpsConformanceTest.cpp - The gradient ops of autodiff.md ---===//
//
// One or more cases per backward op of docs/autodiff.md, on shapes small
// enough that every expected value is worked out by hand in the comment
// above it. Dropout's mask is backend-defined, so its cases check the
// contract instead: dropout_grad reuses the forward's mask for the same
// (seed, step), and the step operand changes it.
//
//===----------------------------------------------------------------------===//

#include "tests/conformance/ConformanceTest.h"

#include <cmath>

using namespace nnc;
using namespace nnc::conformance;

namespace {

/// x [1, 1, 3, 3] holding 1 ... 9 row by row.
TensorData image3x3() { return f32({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}); }

} // namespace

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

TEST_P(BackendConformance, MaximumAndMinimumBroadcast) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%a: tensor<2x2xf32>, %b: tensor<2xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>) {
      %hi = nn.maximum %a, %b : tensor<2x2xf32>, tensor<2xf32> -> tensor<2x2xf32>
      %lo = nn.minimum %a, %b : tensor<2x2xf32>, tensor<2xf32> -> tensor<2x2xf32>
      return %hi, %lo : tensor<2x2xf32>, tensor<2x2xf32>
    })mlir",
                      {f32({2, 2}, {1, 5, -3, 0}), f32({2}, {2, -1})});
  if (!out)
    return;
  expectClose(out[0], {2, 2}, {2, 5, 2, 0}, 0);
  expectClose(out[1], {2, 2}, {1, -1, -3, -1}, 0);
}

TEST_P(BackendConformance, MaximumPropagatesNaN) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%a: tensor<2xf32>, %b: tensor<2xf32>) -> tensor<2xf32> {
      %y = nn.maximum %a, %b : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
      return %y : tensor<2xf32>
    })mlir",
                      {f32({2}, {NAN, 1}), f32({2}, {0, NAN})});
  if (!out)
    return;
  expectClose(out[0], {2}, {NAN, NAN});
}

TEST_P(BackendConformance, SignOfFloatsAndIntegers) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<4xf32>, %n: tensor<3xi32>) -> (tensor<4xf32>, tensor<3xi32>) {
      %s = nn.sign %x : tensor<4xf32>
      %t = nn.sign %n : tensor<3xi32>
      return %s, %t : tensor<4xf32>, tensor<3xi32>
    })mlir",
                      {f32({4}, {-2.5f, 0, 3, -0.0f}), i32({3}, {-7, 0, 9})});
  if (!out)
    return;
  expectClose(out[0], {4}, {-1, 0, 1, 0}, 0);
  expectInts(out[1], {3}, {-1, 0, 1});
}

TEST_P(BackendConformance, ReluGradPassesPositivesOnly) {
  // x = 0 takes the zero branch.
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<4xf32>, %dy: tensor<4xf32>) -> tensor<4xf32> {
      %dx = nn.relu_grad %x, %dy : tensor<4xf32>
      return %dx : tensor<4xf32>
    })mlir",
                      {f32({4}, {-1, 0, 2, 3}), f32({4}, {5, 6, 7, 8})});
  if (!out)
    return;
  expectClose(out[0], {4}, {0, 0, 7, 8}, 0);
}

TEST_P(BackendConformance, LeakyReluGradScalesNegatives) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<3xf32>, %dy: tensor<3xf32>) -> tensor<3xf32> {
      %dx = nn.leaky_relu_grad %x, %dy {alpha = 1.000000e-01 : f64} : tensor<3xf32>
      return %dx : tensor<3xf32>
    })mlir",
                      {f32({3}, {-1, 0, 2}), f32({3}, {10, 20, 30})});
  if (!out)
    return;
  expectClose(out[0], {3}, {1, 2, 30});
}

TEST_P(BackendConformance, GeluGradExactErfForm) {
  // gelu'(x) = Phi(x) + x phi(x): 1/2 at 0; Phi(1) + phi(1) = 0.8413447461 +
  // 0.2419707245 at 1; Phi(-1) - phi(-1) = 0.1586552539 - 0.2419707245.
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<3xf64>, %dy: tensor<3xf64>) -> tensor<3xf64> {
      %dx = nn.gelu_grad %x, %dy : tensor<3xf64>
      return %dx : tensor<3xf64>
    })mlir",
                      {f64({3}, {0, 1, -1}), f64({3}, {2, 1, 1})});
  if (!out)
    return;
  expectClose(out[0], {3},
              {1, 0.8413447461 + 0.2419707245, 0.1586552539 - 0.2419707245},
              1e-9);
}

TEST_P(BackendConformance, GeluGradInF32FollowsTheClosedFormOverItsRange) {
  // Every 1/64 from -12 to 12 against Phi(x) + x phi(x) in double, as
  // GeluInF32FollowsTheErfFormOverItsRange does for the forward.
  std::vector<float> xs = everySixtyFourthOverPlusMinusTwelve();
  std::vector<float> ones(xs.size(), 1.0f);
  int64_t n = static_cast<int64_t>(xs.size());
  std::string type = "tensor<" + std::to_string(n) + "xf32>";
  KernelRun out =
      run("func.func @kernel_0(%x: " + type + ", %dy: " + type + ") -> " +
              type + " {\n  %dx = nn.gelu_grad %x, %dy : " + type +
              "\n  return %dx : " + type + "\n}",
          {f32({n}, xs), f32({n}, ones)});
  if (!out)
    return;
  expectMapOf(
      out[0], xs,
      [](double x) {
        double cdf = 0.5 * (1 + std::erf(x / std::sqrt(2.0)));
        double pdf = std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
        return cdf + x * pdf;
      },
      [](double) { return 1e-6; });
}

//===----------------------------------------------------------------------===//
// Reductions and softmax
//===----------------------------------------------------------------------===//

TEST_P(BackendConformance, ReduceMaxGradSharesTiesEvenly) {
  // Row 0 has its maximum 3 twice, row 1 three times, row 2 once.
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<3x3xf32>, %y: tensor<3xf32>, %dy: tensor<3xf32>) -> tensor<3x3xf32> {
      %dx = nn.reduce_max_grad %x, %y, %dy axes [1] : tensor<3x3xf32>, tensor<3xf32>
      return %dx : tensor<3x3xf32>
    })mlir",
                      {f32({3, 3}, {3, 1, 3, 1, 1, 1, 0, 2, -1}),
                       f32({3}, {3, 1, 2}), f32({3}, {6, 6, 6})});
  if (!out)
    return;
  expectClose(out[0], {3, 3}, {3, 0, 3, 2, 2, 2, 0, 6, 0});
}

TEST_P(BackendConformance, ReduceMaxGradKeepdimsOverAllAxes) {
  KernelRun out =
      run(R"mlir(
    func.func @kernel_0(%x: tensor<2x2xf64>, %y: tensor<1x1xf64>, %dy: tensor<1x1xf64>) -> tensor<2x2xf64> {
      %dx = nn.reduce_max_grad %x, %y, %dy axes [0, 1] keepdims true : tensor<2x2xf64>, tensor<1x1xf64>
      return %dx : tensor<2x2xf64>
    })mlir",
          {f64({2, 2}, {1, 4, 2, 3}), f64({1, 1}, {4}), f64({1, 1}, {-5})});
  if (!out)
    return;
  expectClose(out[0], {2, 2}, {0, -5, 0, 0}, 1e-12);
}

TEST_P(BackendConformance, SoftmaxGradAlongLastAxis) {
  // Row 0: y = [1/2, 1/2], dy = [1, 0]: sum dy y = 1/2, dx = [1/4, -1/4].
  // Row 1: y = [1/4, 3/4], dy = [2, 2]: sum = 2, dx = 0.
  KernelRun out =
      run(R"mlir(
    func.func @kernel_0(%y: tensor<2x2xf32>, %dy: tensor<2x2xf32>) -> tensor<2x2xf32> {
      %dx = nn.softmax_grad %y, %dy : tensor<2x2xf32>
      return %dx : tensor<2x2xf32>
    })mlir",
          {f32({2, 2}, {0.5f, 0.5f, 0.25f, 0.75f}), f32({2, 2}, {1, 0, 2, 2})});
  if (!out)
    return;
  expectClose(out[0], {2, 2}, {0.25, -0.25, 0, 0});
}

TEST_P(BackendConformance, LogSoftmaxGradAlongFirstAxis) {
  // Column j: dx = dy - exp(y) sum_i dy. y = log [1/4, 3/4] in column 0
  // with dy [1, 1] gives [1 - 1/2, 1 - 3/2]; column 1 is log [1/2, 1/2]
  // with dy [4, 0]: [4 - 2, 0 - 2].
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%y: tensor<2x2xf64>, %dy: tensor<2x2xf64>) -> tensor<2x2xf64> {
      %dx = nn.log_softmax_grad %y, %dy axis 0 : tensor<2x2xf64>
      return %dx : tensor<2x2xf64>
    })mlir",
                      {f64({2, 2}, {std::log(0.25), std::log(0.5),
                                    std::log(0.75), std::log(0.5)}),
                       f64({2, 2}, {1, 4, 1, 0})});
  if (!out)
    return;
  expectClose(out[0], {2, 2}, {0.5, 2, -0.5, -2}, 1e-12);
}

//===----------------------------------------------------------------------===//
// slice and gather
//===----------------------------------------------------------------------===//

TEST_P(BackendConformance, SliceGradWritesIntoZeros) {
  // The forward took columns 1 and 3 of rows 1..2 of a 3x4 input.
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%dy: tensor<2x2xf32>) -> tensor<3x4xf32> {
      %dx = nn.slice_grad %dy shape [3, 4] axes [0, 1] starts [1, 1] ends [3, 4] steps [1, 2] : tensor<2x2xf32> -> tensor<3x4xf32>
      return %dx : tensor<3x4xf32>
    })mlir",
                      {f32({2, 2}, {1, 2, 3, 4})});
  if (!out)
    return;
  expectClose(out[0], {3, 4}, {0, 0, 0, 0, 0, 1, 0, 2, 0, 3, 0, 4}, 0);
}

TEST_P(BackendConformance, GatherGradScatterAddsRepeatedIndices) {
  // Rows 2, 0, 2 of a 3x2 table: row 2 receives the sum of two gradients.
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%dy: tensor<3x2xf32>, %ids: tensor<3xi32>) -> tensor<3x2xf32> {
      %dt = nn.gather_grad %dy, %ids shape [3, 2] : tensor<3x2xf32>, tensor<3xi32> -> tensor<3x2xf32>
      return %dt : tensor<3x2xf32>
    })mlir",
                      {f32({3, 2}, {1, 2, 3, 4, 5, 6}), i32({3}, {2, 0, 2})});
  if (!out)
    return;
  expectClose(out[0], {3, 2}, {3, 4, 0, 0, 6, 8}, 0);
}

TEST_P(BackendConformance, GatherGradAlongSecondAxis) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%dy: tensor<2x2xf64>, %ids: tensor<2xi64>) -> tensor<2x3xf64> {
      %dx = nn.gather_grad %dy, %ids axis 1 shape [2, 3] : tensor<2x2xf64>, tensor<2xi64> -> tensor<2x3xf64>
      return %dx : tensor<2x3xf64>
    })mlir",
                      {f64({2, 2}, {1, 2, 3, 4}), i64({2}, {1, 1})});
  if (!out)
    return;
  expectClose(out[0], {2, 3}, {0, 3, 0, 0, 7, 0}, 0);
}

TEST_P(BackendConformance, GatherGradIndexOutOfRangeIsAKernelError) {
  KernelRun out = runAllowingError(R"mlir(
    func.func @kernel_0(%dy: tensor<1x2xf32>, %ids: tensor<1xi32>) -> tensor<3x2xf32> {
      %dt = nn.gather_grad %dy, %ids shape [3, 2] : tensor<1x2xf32>, tensor<1xi32> -> tensor<3x2xf32>
      return %dt : tensor<3x2xf32>
    })mlir",
                                   {f32({1, 2}, {1, 2}), i32({1}, {3})});
  if (out.state == KernelRun::State::NotRun)
    return;
  EXPECT_EQ(out.state, KernelRun::State::KernelError);
  EXPECT_FALSE(out.error.empty());
}

//===----------------------------------------------------------------------===//
// conv2d
//===----------------------------------------------------------------------===//

TEST_P(BackendConformance, Conv2dGradInputFullCorrelation) {
  // dx[i, j] = sum dy[a, b] w[i - a, j - b]: the middle element meets every
  // weight once, 1000 + 200 + 30 + 4.
  KernelRun out = run(
      R"mlir(
    func.func @kernel_0(%dy: tensor<1x1x2x2xf32>, %w: tensor<1x1x2x2xf32>) -> tensor<1x1x3x3xf32> {
      %dx = nn.conv2d_grad_input %dy, %w input_shape [1, 1, 3, 3] : tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x3x3xf32>
      return %dx : tensor<1x1x3x3xf32>
    })mlir",
      {f32({1, 1, 2, 2}, {1, 2, 3, 4}), f32({1, 1, 2, 2}, {1, 10, 100, 1000})});
  if (!out)
    return;
  expectClose(out[0], {1, 1, 3, 3},
              {1, 12, 20, 103, 1234, 2040, 300, 3400, 4000});
}

TEST_P(BackendConformance, Conv2dGradWeightCorrelatesInputWithDy) {
  // dw[k, l] = sum dy[a, b] x[a + k, b + l] with dy = [1, 10, 100, 1000]:
  // dw[0, 0] = 1 + 2 * 10 + 4 * 100 + 5 * 1000.
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<1x1x3x3xf32>, %dy: tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32> {
      %dw = nn.conv2d_grad_weight %x, %dy weight_shape [1, 1, 2, 2] : tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x2x2xf32>
      return %dw : tensor<1x1x2x2xf32>
    })mlir",
                      {image3x3(), f32({1, 1, 2, 2}, {1, 10, 100, 1000})});
  if (!out)
    return;
  expectClose(out[0], {1, 1, 2, 2}, {5421, 6532, 8754, 9865});
}

TEST_P(BackendConformance, Conv2dGradsWithPaddingAndStride) {
  // The forward (2x2 ones, padding 1, stride 2 on 1 ... 9) has windows
  // {1}, {2, 3}, {4, 7}, {5, 6, 8, 9}. dx: each input gets its window's dy.
  // dw[k, l]: the input under tap (k, l) of each window, times its dy:
  // tap (1, 1) sees 1, 3, 7, 9.
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<1x1x3x3xf32>, %w: tensor<1x1x2x2xf32>, %dy: tensor<1x1x2x2xf32>) -> (tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32>) {
      %dx = nn.conv2d_grad_input %dy, %w input_shape [1, 1, 3, 3] stride [2, 2] padding [1, 1] : tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x3x3xf32>
      %dw = nn.conv2d_grad_weight %x, %dy weight_shape [1, 1, 2, 2] stride [2, 2] padding [1, 1] : tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x2x2xf32>
      return %dx, %dw : tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32>
    })mlir",
                      {image3x3(), f32({1, 1, 2, 2}, {1, 1, 1, 1}),
                       f32({1, 1, 2, 2}, {1, 10, 100, 1000})});
  if (!out)
    return;
  expectClose(out[0], {1, 1, 3, 3},
              {1, 10, 10, 100, 1000, 1000, 100, 1000, 1000});
  expectClose(out[1], {1, 1, 2, 2},
              {5000, 400 + 6000, 20 + 8000, 1 + 30 + 700 + 9000});
}

TEST_P(BackendConformance, Conv2dGradsWithDilation) {
  // Dilation 2 puts the 2x2 filter on the corners of the 3x3 image.
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<1x1x3x3xf32>, %w: tensor<1x1x2x2xf32>, %dy: tensor<1x1x1x1xf32>) -> (tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32>) {
      %dx = nn.conv2d_grad_input %dy, %w input_shape [1, 1, 3, 3] dilation [2, 2] : tensor<1x1x1x1xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x3x3xf32>
      %dw = nn.conv2d_grad_weight %x, %dy weight_shape [1, 1, 2, 2] dilation [2, 2] : tensor<1x1x3x3xf32>, tensor<1x1x1x1xf32> -> tensor<1x1x2x2xf32>
      return %dx, %dw : tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32>
    })mlir",
                      {image3x3(), f32({1, 1, 2, 2}, {1, 10, 100, 1000}),
                       f32({1, 1, 1, 1}, {2})});
  if (!out)
    return;
  expectClose(out[0], {1, 1, 3, 3}, {2, 0, 20, 0, 0, 0, 200, 0, 2000});
  expectClose(out[1], {1, 1, 2, 2}, {2, 6, 14, 18});
}

TEST_P(BackendConformance, Conv2dGradsKeepGroupsApart) {
  // Two groups of one channel: filter j sees only channel j.
  KernelRun out =
      run(R"mlir(
    func.func @kernel_0(%x: tensor<1x2x1x2xf64>, %w: tensor<2x1x1x1xf64>, %dy: tensor<1x2x1x2xf64>) -> (tensor<1x2x1x2xf64>, tensor<2x1x1x1xf64>) {
      %dx = nn.conv2d_grad_input %dy, %w input_shape [1, 2, 1, 2] groups 2 : tensor<1x2x1x2xf64>, tensor<2x1x1x1xf64> -> tensor<1x2x1x2xf64>
      %dw = nn.conv2d_grad_weight %x, %dy weight_shape [2, 1, 1, 1] groups 2 : tensor<1x2x1x2xf64>, tensor<1x2x1x2xf64> -> tensor<2x1x1x1xf64>
      return %dx, %dw : tensor<1x2x1x2xf64>, tensor<2x1x1x1xf64>
    })mlir",
          {f64({1, 2, 1, 2}, {1, 2, 3, 4}), f64({2, 1, 1, 1}, {10, -1}),
           f64({1, 2, 1, 2}, {1, 2, 3, 4})});
  if (!out)
    return;
  expectClose(out[0], {1, 2, 1, 2}, {10, 20, -3, -4}, 1e-12);
  expectClose(out[1], {2, 1, 1, 1}, {1 + 4, 9 + 16}, 1e-12);
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

TEST_P(BackendConformance, MaxPool2dGradRoutesToTheMaximum) {
  // 2x2 windows of 0 ... 15: the maxima sit at 5, 7, 13 and 15.
  std::vector<float> iota(16);
  for (size_t i = 0; i < iota.size(); ++i)
    iota[i] = static_cast<float>(i);
  KernelRun out =
      run(R"mlir(
    func.func @kernel_0(%x: tensor<1x1x4x4xf32>, %dy: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
      %dx = nn.max_pool2d_grad %x, %dy kernel [2, 2] : tensor<1x1x4x4xf32>, tensor<1x1x2x2xf32>
      return %dx : tensor<1x1x4x4xf32>
    })mlir",
          {f32({1, 1, 4, 4}, iota), f32({1, 1, 2, 2}, {1, 2, 3, 4})});
  if (!out)
    return;
  expectClose(out[0], {1, 1, 4, 4},
              {0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4}, 0);
}

TEST_P(BackendConformance, MaxPool2dGradTiesGoToTheFirstMaximum) {
  // A window of four equal values, then [1 3; 3 2]: row-major first wins.
  KernelRun out = run(
      R"mlir(
    func.func @kernel_0(%x: tensor<1x2x2x2xf32>, %dy: tensor<1x2x1x1xf32>) -> tensor<1x2x2x2xf32> {
      %dx = nn.max_pool2d_grad %x, %dy kernel [2, 2] : tensor<1x2x2x2xf32>, tensor<1x2x1x1xf32>
      return %dx : tensor<1x2x2x2xf32>
    })mlir",
      {f32({1, 2, 2, 2}, {5, 5, 5, 5, 1, 3, 3, 2}), f32({1, 2, 1, 1}, {7, 9})});
  if (!out)
    return;
  expectClose(out[0], {1, 2, 2, 2}, {7, 0, 0, 0, 0, 9, 0, 0}, 0);
}

TEST_P(BackendConformance, MaxPool2dGradOverlapAddsAndPaddingNeverWins) {
  // 3x3 windows with padding 1 on a 2x2 image of negatives: every window
  // holds the whole image, whose maximum -1 collects all four gradients.
  KernelRun out = run(
      R"mlir(
    func.func @kernel_0(%x: tensor<1x1x2x2xf32>, %dy: tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32> {
      %dx = nn.max_pool2d_grad %x, %dy kernel [3, 3] stride [1, 1] padding [1, 1] : tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>
      return %dx : tensor<1x1x2x2xf32>
    })mlir",
      {f32({1, 1, 2, 2}, {-1, -2, -3, -4}), f32({1, 1, 2, 2}, {1, 2, 3, 4})});
  if (!out)
    return;
  expectClose(out[0], {1, 1, 2, 2}, {10, 0, 0, 0}, 0);
}

TEST_P(BackendConformance, AvgPool2dGradSpreadsEvenly) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%dy: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
      %dx = nn.avg_pool2d_grad %dy kernel [2, 2] input_shape [1, 1, 4, 4] : tensor<1x1x2x2xf32> -> tensor<1x1x4x4xf32>
      return %dx : tensor<1x1x4x4xf32>
    })mlir",
                      {f32({1, 1, 2, 2}, {4, 8, 12, 16})});
  if (!out)
    return;
  expectClose(out[0], {1, 1, 4, 4},
              {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
}

TEST_P(BackendConformance, AvgPool2dGradDivisorFollowsCountIncludePad) {
  // A 1x2 image, 1x2 windows, padding 1 on the width, stride 2: windows
  // [pad, a] and [b, pad]. Including the padding halves each gradient.
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%dy: tensor<1x1x1x2xf32>) -> (tensor<1x1x1x2xf32>, tensor<1x1x1x2xf32>) {
      %with = nn.avg_pool2d_grad %dy kernel [1, 2] stride [1, 2] padding [0, 1] input_shape [1, 1, 1, 2] : tensor<1x1x1x2xf32> -> tensor<1x1x1x2xf32>
      %without = nn.avg_pool2d_grad %dy kernel [1, 2] stride [1, 2] padding [0, 1] count_include_pad false input_shape [1, 1, 1, 2] : tensor<1x1x1x2xf32> -> tensor<1x1x1x2xf32>
      return %with, %without : tensor<1x1x1x2xf32>, tensor<1x1x1x2xf32>
    })mlir",
                      {f32({1, 1, 1, 2}, {4, 8})});
  if (!out)
    return;
  expectClose(out[0], {1, 1, 1, 2}, {2, 4});
  expectClose(out[1], {1, 1, 1, 2}, {4, 8});
}

//===----------------------------------------------------------------------===//
// batch_norm and dropout
//===----------------------------------------------------------------------===//

TEST_P(BackendConformance, BatchNormGradTraining) {
  // One channel x = {-1, -1, 1, 1}: batch mean 0, biased variance 1, so
  // xhat = x (eps 0). dy = {1, 2, 3, 6}: dbeta = 12, dgamma = sum dy xhat
  // = 6; dx = gamma (dy - 12/4 - xhat 6/4) with gamma 2. The given mean
  // and var are unused in training.
  KernelRun out =
      run(R"mlir(
    func.func @kernel_0(%x: tensor<4x1xf32>, %g: tensor<1xf32>, %m: tensor<1xf32>, %v: tensor<1xf32>, %dy: tensor<4x1xf32>) -> (tensor<4x1xf32>, tensor<1xf32>, tensor<1xf32>) {
      %dx, %dg, %db = nn.batch_norm_grad %x, %g, %m, %v, %dy {eps = 0.000000e+00 : f64, training = true} : tensor<4x1xf32>, tensor<1xf32>
      return %dx, %dg, %db : tensor<4x1xf32>, tensor<1xf32>, tensor<1xf32>
    })mlir",
          {f32({4, 1}, {-1, -1, 1, 1}), f32({1}, {2}), f32({1}, {100}),
           f32({1}, {100}), f32({4, 1}, {1, 2, 3, 6})});
  if (!out)
    return;
  expectClose(out[0], {4, 1}, {-1, 1, -3, 3});
  expectClose(out[1], {1}, {6});
  expectClose(out[2], {1}, {12});
}

TEST_P(BackendConformance, BatchNormGradEvaluation) {
  // x [n=2, c=2]; channel 0: mean 1, var 4, gamma 2 (scale 1), xhat {0, 1};
  // channel 1: mean 2, var 1, gamma 1, xhat {0, 2}. dy {1, 2, 3, 4}:
  // dx = dy * gamma / std; dgamma = {0 + 3, 0 + 8}; dbeta = {4, 6}.
  KernelRun out =
      run(R"mlir(
    func.func @kernel_0(%x: tensor<2x2xf64>, %g: tensor<2xf64>, %m: tensor<2xf64>, %v: tensor<2xf64>, %dy: tensor<2x2xf64>) -> (tensor<2x2xf64>, tensor<2xf64>, tensor<2xf64>) {
      %dx, %dg, %db = nn.batch_norm_grad %x, %g, %m, %v, %dy {eps = 0.000000e+00 : f64} : tensor<2x2xf64>, tensor<2xf64>
      return %dx, %dg, %db : tensor<2x2xf64>, tensor<2xf64>, tensor<2xf64>
    })mlir",
          {f64({2, 2}, {1, 2, 3, 4}), f64({2}, {2, 1}), f64({2}, {1, 2}),
           f64({2}, {4, 1}), f64({2, 2}, {1, 2, 3, 4})});
  if (!out)
    return;
  expectClose(out[0], {2, 2}, {1, 2, 3, 4}, 1e-12);
  expectClose(out[1], {2}, {3, 8}, 1e-12);
  expectClose(out[2], {2}, {4, 6}, 1e-12);
}

TEST_P(BackendConformance, DropoutGradReusesTheForwardMask) {
  // With x and dy all ones and the same (seed, step), the gradient must be
  // exactly the forward's output: 0 where dropped, 1 / (1 - 0.25) where
  // kept.
  const char *graph = R"mlir(
    func.func @kernel_0(%x: tensor<200xf32>, %dy: tensor<200xf32>, %step: tensor<i64>) -> (tensor<200xf32>, tensor<200xf32>) {
      %y = nn.dropout %x, %step {rate = 2.500000e-01 : f64, seed = 11 : i64, training = true} : tensor<200xf32>
      %dx = nn.dropout_grad %dy, %step {rate = 2.500000e-01 : f64, seed = 11 : i64, training = true} : tensor<200xf32>
      return %y, %dx : tensor<200xf32>, tensor<200xf32>
    })mlir";
  std::vector<float> ones(200, 1.0f);
  KernelRun out =
      run(graph, {f32({200}, ones), f32({200}, ones), i64({}, {3})});
  if (!out)
    return;
  std::vector<double> y = valuesOf(out[0]), dx = valuesOf(out[1]);
  int dropped = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    EXPECT_TRUE(y[i] == 0 || std::fabs(y[i] - 4.0 / 3) < 1e-6)
        << "element " << i << " is " << y[i];
    dropped += y[i] == 0;
  }
  EXPECT_GT(dropped, 0);
  EXPECT_LT(dropped, 200);
  EXPECT_EQ(y, dx) << "dropout_grad must recompute the forward's mask";
}

TEST_P(BackendConformance, DropoutStepOperandChangesTheMask) {
  // Steps 1 and 2 draw different masks; no step operand means step 0.
  const char *graph = R"mlir(
    func.func @kernel_0(%x: tensor<200xf32>, %step: tensor<i64>) -> (tensor<200xf32>, tensor<200xf32>) {
      %a = nn.dropout %x, %step {rate = 5.000000e-01 : f64, seed = 5 : i64, training = true} : tensor<200xf32>
      %b = nn.dropout %x {rate = 5.000000e-01 : f64, seed = 5 : i64, training = true} : tensor<200xf32>
      return %a, %b : tensor<200xf32>, tensor<200xf32>
    })mlir";
  std::vector<float> ones(200, 1.0f);
  KernelRun first = run(graph, {f32({200}, ones), i64({}, {1})});
  if (!first)
    return;
  KernelRun second = run(graph, {f32({200}, ones), i64({}, {2})});
  if (!second)
    return;
  KernelRun zero = run(graph, {f32({200}, ones), i64({}, {0})});
  if (!zero)
    return;
  EXPECT_NE(valuesOf(first[0]), valuesOf(second[0]));
  EXPECT_EQ(valuesOf(zero[0]), valuesOf(zero[1]));
  EXPECT_EQ(valuesOf(first[1]), valuesOf(second[1]));
}

TEST_P(BackendConformance, DropoutGradEvaluationIsIdentity) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%dy: tensor<3xf32>) -> tensor<3xf32> {
      %dx = nn.dropout_grad %dy {rate = 5.000000e-01 : f64} : tensor<3xf32>
      return %dx : tensor<3xf32>
    })mlir",
                      {f32({3}, {1, -2, 3})});
  if (!out)
    return;
  expectClose(out[0], {3}, {1, -2, 3}, 0);
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

TEST_P(BackendConformance, SoftmaxCrossEntropyGrad) {
  // Row 0 uniform (softmax 1/3) with label 1; row 1 [0, ln 2, ln 3] has
  // softmax [1/6, 2/6, 3/6] and label 2. dloss 2 over n = 2 rows: scale 1.
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%z: tensor<2x3xf64>, %l: tensor<2xi64>, %d: tensor<f64>) -> tensor<2x3xf64> {
      %dz = nn.softmax_cross_entropy_grad %z, %l, %d : tensor<2x3xf64>, tensor<2xi64>, tensor<f64>
      return %dz : tensor<2x3xf64>
    })mlir",
                      {f64({2, 3}, {0, 0, 0, 0, std::log(2.0), std::log(3.0)}),
                       i64({2}, {1, 2}), f64({}, {2})});
  if (!out)
    return;
  expectClose(out[0], {2, 3},
              {1.0 / 3, -2.0 / 3, 1.0 / 3, 1.0 / 6, 1.0 / 3, -0.5}, 1e-12);
}

TEST_P(BackendConformance, SoftmaxCrossEntropyGradPerToken) {
  // The two rows above as the tokens of one sequence [1, 2, 3]: the same
  // gradient, in the logits' shape.
  KernelRun out =
      run(R"mlir(
    func.func @kernel_0(%z: tensor<1x2x3xf64>, %l: tensor<1x2xi64>, %d: tensor<f64>) -> tensor<1x2x3xf64> {
      %dz = nn.softmax_cross_entropy_grad %z, %l, %d : tensor<1x2x3xf64>, tensor<1x2xi64>, tensor<f64>
      return %dz : tensor<1x2x3xf64>
    })mlir",
          {f64({1, 2, 3}, {0, 0, 0, 0, std::log(2.0), std::log(3.0)}),
           i64({1, 2}, {1, 2}), f64({}, {2})});
  if (!out)
    return;
  expectClose(out[0], {1, 2, 3},
              {1.0 / 3, -2.0 / 3, 1.0 / 3, 1.0 / 6, 1.0 / 3, -0.5}, 1e-12);
}

TEST_P(BackendConformance, BinaryCrossEntropyGrad) {
  // (p - t) / (p (1 - p)) * dloss / 4 with dloss 4: -0.5 / 0.25, 0.5 / 0.25,
  // -0.2 / 0.16, 0.25 / 0.1875.
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%p: tensor<4xf32>, %t: tensor<4xf32>, %d: tensor<f32>) -> tensor<4xf32> {
      %dp = nn.binary_cross_entropy_grad %p, %t, %d : tensor<4xf32>, tensor<4xf32>, tensor<f32>
      return %dp : tensor<4xf32>
    })mlir",
                      {f32({4}, {0.5f, 0.5f, 0.8f, 0.25f}),
                       f32({4}, {1, 0, 1, 0}), f32({}, {4})});
  if (!out)
    return;
  expectClose(out[0], {4}, {-2, 2, -1.25, 4.0 / 3});
}

TEST_P(BackendConformance, BinaryCrossEntropyGradBroadcastsTheTarget) {
  // Target [1, 0] along the rows of p = 1/2 everywhere; numel 4, dloss 2.
  KernelRun out = run(
      R"mlir(
    func.func @kernel_0(%p: tensor<2x2xf32>, %t: tensor<2xf32>, %d: tensor<f32>) -> tensor<2x2xf32> {
      %dp = nn.binary_cross_entropy_grad %p, %t, %d : tensor<2x2xf32>, tensor<2xf32>, tensor<f32>
      return %dp : tensor<2x2xf32>
    })mlir",
      {f32({2, 2}, {0.5f, 0.5f, 0.5f, 0.5f}), f32({2}, {1, 0}), f32({}, {2})});
  if (!out)
    return;
  expectClose(out[0], {2, 2}, {-1, 1, -1, 1});
}
