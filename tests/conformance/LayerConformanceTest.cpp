//===- LayerConformanceTest.cpp - Convolution, pooling, norm, dropout -----===//
//
// NCHW layer ops on images small enough to check every output by hand, and
// layer_norm, checked by hand and against its definition in double
// precision.
//
//===----------------------------------------------------------------------===//

#include "tests/conformance/ConformanceTest.h"

#include <cmath>

using namespace nnc;
using namespace nnc::conformance;

namespace {

/// x [1, 1, 3, 3] holding 1 ... 9 row by row.
TensorData image3x3() { return f32({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}); }

/// Values 0, 1, 2, ... in a tensor of `shape`.
TensorData iota(Shape shape) {
  std::vector<float> values(static_cast<size_t>(rt::elementCount(shape)));
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = static_cast<float>(i);
  return f32(std::move(shape), values);
}

} // namespace

//===----------------------------------------------------------------------===//
// conv2d
//===----------------------------------------------------------------------===//

TEST_P(BackendConformance, Conv2dValidWindowsWithBias) {
  // A 2x2 filter of ones sums each 2x2 window: 1+2+4+5 = 12, ...
  KernelRun out =
      run(R"mlir(
    func.func @kernel_0(%x: tensor<1x1x3x3xf32>, %w: tensor<1x1x2x2xf32>, %b: tensor<1xf32>) -> tensor<1x1x2x2xf32> {
      %y = nn.conv2d %x, %w, %b : tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32>, tensor<1xf32> -> tensor<1x1x2x2xf32>
      return %y : tensor<1x1x2x2xf32>
    })mlir",
          {image3x3(), f32({1, 1, 2, 2}, {1, 1, 1, 1}), f32({1}, {0.5f})});
  if (!out)
    return;
  expectClose(out[0], {1, 1, 2, 2}, {12.5, 16.5, 24.5, 28.5});
}

TEST_P(BackendConformance, Conv2dPaddingAndStride) {
  // Padded to 5x5 and sampled every 2: the windows at (0,0), (0,2), (2,0)
  // and (2,2) of the padded image hold {1}, {2, 3}, {4, 7} and {5, 6, 8, 9}.
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<1x1x3x3xf32>, %w: tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32> {
      %y = nn.conv2d %x, %w stride [2, 2] padding [1, 1] : tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x2x2xf32>
      return %y : tensor<1x1x2x2xf32>
    })mlir",
                      {image3x3(), f32({1, 1, 2, 2}, {1, 1, 1, 1})});
  if (!out)
    return;
  expectClose(out[0], {1, 1, 2, 2}, {1, 5, 11, 28});
}

TEST_P(BackendConformance, Conv2dDilation) {
  // Dilation 2 spreads a 2x2 filter over the corners of the 3x3 image.
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<1x1x3x3xf32>, %w: tensor<1x1x2x2xf32>) -> tensor<1x1x1x1xf32> {
      %y = nn.conv2d %x, %w dilation [2, 2] : tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x1x1xf32>
      return %y : tensor<1x1x1x1xf32>
    })mlir",
                      {image3x3(), f32({1, 1, 2, 2}, {1, 10, 100, 1000})});
  if (!out)
    return;
  expectClose(out[0], {1, 1, 1, 1}, {1 + 30 + 700 + 9000});
}

TEST_P(BackendConformance, Conv2dGroupsKeepChannelsApart) {
  // Two groups of one channel each: filter j sees only channel j.
  KernelRun out =
      run(R"mlir(
    func.func @kernel_0(%x: tensor<1x2x1x2xf32>, %w: tensor<2x1x1x1xf32>) -> tensor<1x2x1x2xf32> {
      %y = nn.conv2d %x, %w groups 2 : tensor<1x2x1x2xf32>, tensor<2x1x1x1xf32> -> tensor<1x2x1x2xf32>
      return %y : tensor<1x2x1x2xf32>
    })mlir",
          {f32({1, 2, 1, 2}, {1, 2, 3, 4}), f32({2, 1, 1, 1}, {10, -1})});
  if (!out)
    return;
  expectClose(out[0], {1, 2, 1, 2}, {10, 20, -3, -4});
}

TEST_P(BackendConformance, Conv2dSumsOverInputChannelsAndBatch) {
  // Two images, two input channels, one 1x1 filter [1, 2]: out = c0 + 2 c1.
  KernelRun out =
      run(R"mlir(
    func.func @kernel_0(%x: tensor<2x2x1x1xf64>, %w: tensor<1x2x1x1xf64>) -> tensor<2x1x1x1xf64> {
      %y = nn.conv2d %x, %w : tensor<2x2x1x1xf64>, tensor<1x2x1x1xf64> -> tensor<2x1x1x1xf64>
      return %y : tensor<2x1x1x1xf64>
    })mlir",
          {f64({2, 2, 1, 1}, {1, 2, 3, 4}), f64({1, 2, 1, 1}, {1, 2})});
  if (!out)
    return;
  expectClose(out[0], {2, 1, 1, 1}, {5, 11}, 1e-12);
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

TEST_P(BackendConformance, MaxPool2dTwoByTwo) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32> {
      %y = nn.max_pool2d %x kernel [2, 2] : tensor<1x1x4x4xf32> -> tensor<1x1x2x2xf32>
      return %y : tensor<1x1x2x2xf32>
    })mlir",
                      {iota({1, 1, 4, 4})});
  if (!out)
    return;
  expectClose(out[0], {1, 1, 2, 2}, {5, 7, 13, 15});
}

TEST_P(BackendConformance, MaxPool2dPaddingNeverWins) {
  // All inputs negative: a zero padding would win every border window.
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x3x3xf32> {
      %y = nn.max_pool2d %x kernel [2, 2] stride [1, 1] padding [1, 1] : tensor<1x1x2x2xf32> -> tensor<1x1x3x3xf32>
      return %y : tensor<1x1x3x3xf32>
    })mlir",
                      {f32({1, 1, 2, 2}, {-1, -2, -3, -4})});
  if (!out)
    return;
  expectClose(out[0], {1, 1, 3, 3}, {-1, -1, -2, -1, -1, -2, -3, -3, -4});
}

TEST_P(BackendConformance, AvgPool2dTwoByTwo) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32> {
      %y = nn.avg_pool2d %x kernel [2, 2] : tensor<1x1x4x4xf32> -> tensor<1x1x2x2xf32>
      return %y : tensor<1x1x2x2xf32>
    })mlir",
                      {iota({1, 1, 4, 4})});
  if (!out)
    return;
  expectClose(out[0], {1, 1, 2, 2}, {2.5, 4.5, 10.5, 12.5});
}

TEST_P(BackendConformance, AvgPool2dPaddingCountedByDefault) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x3x3xf32> {
      %y = nn.avg_pool2d %x kernel [2, 2] stride [1, 1] padding [1, 1] : tensor<1x1x2x2xf32> -> tensor<1x1x3x3xf32>
      return %y : tensor<1x1x3x3xf32>
    })mlir",
                      {f32({1, 1, 2, 2}, {1, 2, 3, 4})});
  if (!out)
    return;
  expectClose(out[0], {1, 1, 3, 3},
              {0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1});
}

TEST_P(BackendConformance, AvgPool2dPaddingExcluded) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x3x3xf32> {
      %y = nn.avg_pool2d %x kernel [2, 2] stride [1, 1] padding [1, 1] count_include_pad false : tensor<1x1x2x2xf32> -> tensor<1x1x3x3xf32>
      return %y : tensor<1x1x3x3xf32>
    })mlir",
                      {f32({1, 1, 2, 2}, {1, 2, 3, 4})});
  if (!out)
    return;
  expectClose(out[0], {1, 1, 3, 3}, {1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4});
}

//===----------------------------------------------------------------------===//
// batch_norm
//===----------------------------------------------------------------------===//

TEST_P(BackendConformance, BatchNormEvalUsesRunningStatistics) {
  // Channel 0: (x - 1) / 2; channel 1: 2 (x - 3) / 1 + 1.
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<1x2x1x2xf32>, %g: tensor<2xf32>, %b: tensor<2xf32>, %m: tensor<2xf32>, %v: tensor<2xf32>)
        -> (tensor<1x2x1x2xf32>, tensor<2xf32>, tensor<2xf32>) {
      %y, %nm, %nv = nn.batch_norm %x, %g, %b, %m, %v {eps = 0.0 : f64}
          : tensor<1x2x1x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
          -> tensor<1x2x1x2xf32>, tensor<2xf32>, tensor<2xf32>
      return %y, %nm, %nv : tensor<1x2x1x2xf32>, tensor<2xf32>, tensor<2xf32>
    })mlir",
                      {f32({1, 2, 1, 2}, {1, 2, 3, 4}), f32({2}, {1, 2}),
                       f32({2}, {0, 1}), f32({2}, {1, 3}), f32({2}, {4, 1})});
  if (!out)
    return;
  expectClose(out[0], {1, 2, 1, 2}, {0, 0.5, 1, 3});
  expectClose(out[1], {2}, {1, 3});
  expectClose(out[2], {2}, {4, 1});
}

TEST_P(BackendConformance, BatchNormTrainUpdatesRunningStatistics) {
  // Per channel over the batch: c0 = {1, 3} (mean 2, biased var 1, unbiased
  // 2), c1 = {2, 6} (mean 4, var 4, unbiased 8). With momentum 0.1:
  // new_mean = 0.1 * batch mean, new_var = 0.9 * 1 + 0.1 * unbiased.
  const char *graph = R"mlir(
    func.func @kernel_0(%x: tensor<2x2xf32>, %g: tensor<2xf32>, %b: tensor<2xf32>, %m: tensor<2xf32>, %v: tensor<2xf32>)
        -> (tensor<2x2xf32>, tensor<2xf32>, tensor<2xf32>) {
      %y, %nm, %nv = nn.batch_norm %x, %g, %b, %m, %v {eps = 0.0 : f64, training = true}
          : tensor<2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
          -> tensor<2x2xf32>, tensor<2xf32>, tensor<2xf32>
      return %y, %nm, %nv : tensor<2x2xf32>, tensor<2xf32>, tensor<2xf32>
    })mlir";
  std::vector<TensorData> inputs = {f32({2, 2}, {1, 2, 3, 6}), f32({2}, {1, 1}),
                                    f32({2}, {0, 0}), f32({2}, {0, 0}),
                                    f32({2}, {1, 1})};
  KernelRun out = run(graph, inputs);
  if (!out)
    return;
  expectClose(out[0], {2, 2}, {-1, -1, 1, 1});
  expectClose(out[1], {2}, {0.2, 0.4});
  expectClose(out[2], {2}, {1.1, 1.7});

  // The training step writes the statistics back in place.
  KernelRun inPlace = run(graph, inputs, RunOptions{0, {{1, 3}, {2, 4}}});
  if (!inPlace)
    return;
  expectClose(inPlace[0], {2, 2}, {-1, -1, 1, 1});
  expectClose(inPlace[1], {2}, {0.2, 0.4});
  expectClose(inPlace[2], {2}, {1.1, 1.7});
}

//===----------------------------------------------------------------------===//
// layer_norm
//===----------------------------------------------------------------------===//

TEST_P(BackendConformance, LayerNormByHand) {
  // Rows {1, 3} (mean 2, biased var 1) and {2, 6} (mean 4, var 4), eps 0:
  // xhat = {-1, 1} in both; y = gamma * xhat + beta.
  KernelRun out =
      run(R"mlir(
    func.func @kernel_0(%x: tensor<2x2xf32>, %g: tensor<2xf32>, %b: tensor<2xf32>) -> tensor<2x2xf32> {
      %y = nn.layer_norm %x, %g, %b eps 0.0 : tensor<2x2xf32>, tensor<2xf32>
      return %y : tensor<2x2xf32>
    })mlir",
          {f32({2, 2}, {1, 3, 2, 6}), f32({2}, {2, 3}), f32({2}, {0, 1})});
  if (!out)
    return;
  expectClose(out[0], {2, 2}, {-2, 4, -2, 4});
}

namespace {

/// Deterministic, irregular values in [-2, 2].
std::vector<float> wave(size_t count, double phase) {
  std::vector<float> values(count);
  for (size_t i = 0; i < count; ++i)
    values[i] = static_cast<float>(2 * std::sin(0.7 * double(i) + phase) *
                                   std::cos(0.13 * double(i * i)));
  return values;
}

/// layer_norm and its gradient in double precision, straight from their
/// definitions (two passes per row), for x [rows, features].
struct LayerNormTruth {
  std::vector<double> y, dx, dgamma, dbeta;
};
LayerNormTruth layerNormTruth(const std::vector<float> &x,
                              const std::vector<float> &gamma,
                              const std::vector<float> &beta,
                              const std::vector<float> &dy, double eps) {
  size_t features = gamma.size(), rows = x.size() / features;
  LayerNormTruth t;
  t.y.resize(x.size());
  t.dx.resize(x.size());
  t.dgamma.assign(features, 0);
  t.dbeta.assign(features, 0);
  for (size_t r = 0; r < rows; ++r) {
    const float *xr = &x[r * features];
    double mean = 0, var = 0;
    for (size_t f = 0; f < features; ++f)
      mean += xr[f] / double(features);
    for (size_t f = 0; f < features; ++f)
      var += (xr[f] - mean) * (xr[f] - mean) / double(features);
    double rstd = 1 / std::sqrt(var + eps);
    double meanG = 0, meanGXhat = 0;
    for (size_t f = 0; f < features; ++f) {
      double xhat = (xr[f] - mean) * rstd, d = dy[r * features + f];
      t.y[r * features + f] = xhat * gamma[f] + beta[f];
      meanG += d * gamma[f] / double(features);
      meanGXhat += d * gamma[f] * xhat / double(features);
      t.dgamma[f] += d * xhat;
      t.dbeta[f] += d;
    }
    for (size_t f = 0; f < features; ++f) {
      double xhat = (xr[f] - mean) * rstd;
      t.dx[r * features + f] =
          rstd * (dy[r * features + f] * gamma[f] - meanG - xhat * meanGXhat);
    }
  }
  return t;
}

std::string layerNormGraph(int64_t rows, int64_t features) {
  std::string x = "tensor<" + std::to_string(rows) + "x" +
                  std::to_string(features) + "xf32>";
  std::string g = "tensor<" + std::to_string(features) + "xf32>";
  return "func.func @kernel_0(%x: " + x + ", %g: " + g + ", %b: " + g +
         ", %dy: " + x + ") -> (" + x + ", " + x + ", " + g + ", " + g +
         ") {\n  %y = nn.layer_norm %x, %g, %b eps 0.01 : " + x + ", " + g +
         "\n  %dx, %dg, %db = nn.layer_norm_grad %x, %g, %dy eps 0.01 : " + x +
         ", " + g + "\n  return %y, %dx, %dg, %db : " + x + ", " + x + ", " +
         g + ", " + g + "\n}";
}

} // namespace

TEST_P(BackendConformance, LayerNormAndGradientAtSeveralWidths) {
  // Widths 1 (every xhat is 0), 3, 17 and 127 (not multiples of a vector);
  // 5 rows, so that the sums over rows cross a thread split.
  for (int64_t features : {1, 3, 17, 127}) {
    SCOPED_TRACE("features " + std::to_string(features));
    const int64_t rows = 5;
    size_t n = static_cast<size_t>(rows * features);
    std::vector<float> x = wave(n, 0.3), dy = wave(n, 1.1);
    std::vector<float> gamma = wave(size_t(features), 2.0),
                       beta = wave(size_t(features), 2.9);
    KernelRun out = run(layerNormGraph(rows, features),
                        {f32({rows, features}, x), f32({features}, gamma),
                         f32({features}, beta), f32({rows, features}, dy)});
    if (!out)
      return;
    LayerNormTruth truth = layerNormTruth(x, gamma, beta, dy, 0.01);
    expectClose(out[0], {rows, features}, truth.y, 1e-5);
    expectClose(out[1], {rows, features}, truth.dx, 1e-4);
    expectClose(out[2], {features}, truth.dgamma, 1e-4);
    expectClose(out[3], {features}, truth.dbeta, 1e-4);
  }
}

TEST_P(BackendConformance, LayerNormOverTwoTrailingAxes) {
  // x [2, 2, 2] normalised over its last two axes: rows {0..3}, {4..7},
  // each mean m and biased var 1.25; gamma and beta are [2, 2].
  KernelRun out = run(
      R"mlir(
    func.func @kernel_0(%x: tensor<2x2x2xf32>, %g: tensor<2x2xf32>, %b: tensor<2x2xf32>) -> tensor<2x2x2xf32> {
      %y = nn.layer_norm %x, %g, %b eps 0.0 : tensor<2x2x2xf32>, tensor<2x2xf32>
      return %y : tensor<2x2x2xf32>
    })mlir",
      {iota({2, 2, 2}), f32({2, 2}, {1, 1, 1, 2}), f32({2, 2}, {0, 0, 0, 1})});
  if (!out)
    return;
  double s = 1 / std::sqrt(1.25);
  expectClose(out[0], {2, 2, 2},
              {-1.5 * s, -0.5 * s, 0.5 * s, 3 * s + 1, -1.5 * s, -0.5 * s,
               0.5 * s, 3 * s + 1});
}

//===----------------------------------------------------------------------===//
// dropout
//===----------------------------------------------------------------------===//

TEST_P(BackendConformance, DropoutEvaluationIsIdentity) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<4xf32>) -> tensor<4xf32> {
      %y = nn.dropout %x {rate = 5.000000e-01 : f64, seed = 3 : i64} : tensor<4xf32>
      return %y : tensor<4xf32>
    })mlir",
                      {f32({4}, {1, -2, 3, -4})});
  if (!out)
    return;
  expectClose(out[0], {4}, {1, -2, 3, -4});
}

TEST_P(BackendConformance, DropoutTrainingScalesKeptAndIsSeeded) {
  const char *graph = R"mlir(
    func.func @kernel_0(%x: tensor<1000xf32>) -> tensor<1000xf32> {
      %y = nn.dropout %x {rate = 5.000000e-01 : f64, seed = 7 : i64, training = true} : tensor<1000xf32>
      return %y : tensor<1000xf32>
    })mlir";
  std::vector<float> ones(1000, 1.0f);
  KernelRun first = run(graph, {f32({1000}, ones)});
  if (!first)
    return;
  KernelRun second = run(graph, {f32({1000}, ones)});
  if (!second)
    return;
  std::vector<double> a = valuesOf(first[0]), b = valuesOf(second[0]);
  int kept = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(a[i] == 0 || a[i] == 2) << "element " << i << " is " << a[i];
    kept += a[i] == 2;
  }
  // 1000 fair coins: 500 +- 16 standard deviations would be 500 +- 250.
  EXPECT_GT(kept, 400);
  EXPECT_LT(kept, 600);
  EXPECT_EQ(a, b) << "the mask must depend on the seed alone";
}

TEST_P(BackendConformance, DropoutTrainingRateOneDropsAll) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<3xf32>) -> tensor<3xf32> {
      %y = nn.dropout %x {rate = 1.000000e+00 : f64, training = true} : tensor<3xf32>
      return %y : tensor<3xf32>
    })mlir",
                      {f32({3}, {1, 2, 3})});
  if (!out)
    return;
  expectClose(out[0], {3}, {0, 0, 0});
}
