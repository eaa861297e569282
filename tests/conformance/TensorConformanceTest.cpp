//===- TensorConformanceTest.cpp - Contractions, reductions, layout -------===//
//
// matmul, softmax, log_softmax, reductions, the data-movement ops and
// constants.
//
//===----------------------------------------------------------------------===//

#include "tests/conformance/ConformanceTest.h"

#include <cmath>
#include <limits>

using namespace nnc::conformance;

//===----------------------------------------------------------------------===//
// Contraction and normalisation
//===----------------------------------------------------------------------===//

TEST_P(BackendConformance, MatmulTwoByThreeTimesThreeByTwo) {
  KernelRun out = run(
      R"mlir(
    func.func @kernel_0(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>) -> tensor<2x2xf32> {
      %r = nn.matmul %a, %b : tensor<2x3xf32>, tensor<3x2xf32> -> tensor<2x2xf32>
      return %r : tensor<2x2xf32>
    })mlir",
      {f32({2, 3}, {1, 2, 3, 4, 5, 6}), f32({3, 2}, {7, 8, 9, 10, 11, 12})});
  if (!out)
    return;
  // [1 2 3] . [7 9 11] = 58, [1 2 3] . [8 10 12] = 64, and so on.
  expectClose(out[0], {2, 2}, {58, 64, 139, 154});
}

TEST_P(BackendConformance, MatmulBroadcastsBatch) {
  // A batch of two [2, 2] matrices times one shared [2, 1] vector.
  KernelRun out =
      run(R"mlir(
    func.func @kernel_0(%a: tensor<2x2x2xf32>, %b: tensor<2x1xf32>) -> tensor<2x2x1xf32> {
      %r = nn.matmul %a, %b : tensor<2x2x2xf32>, tensor<2x1xf32> -> tensor<2x2x1xf32>
      return %r : tensor<2x2x1xf32>
    })mlir",
          {f32({2, 2, 2}, {1, 0, 0, 1, 2, 3, 4, 5}), f32({2, 1}, {10, 1})});
  if (!out)
    return;
  expectClose(out[0], {2, 2, 1}, {10, 1, 23, 45});
}

TEST_P(BackendConformance, SoftmaxLastAxisValues) {
  // exp(ln k) = k, so the row [0, ln 2, ln 3] becomes [1, 2, 3] / 6; the
  // second row is shifted by 100, which softmax must not notice.
  float ln2 = static_cast<float>(std::log(2.0));
  float ln3 = static_cast<float>(std::log(3.0));
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
      %y = nn.softmax %x : tensor<2x3xf32>
      return %y : tensor<2x3xf32>
    })mlir",
                      {f32({2, 3}, {0, ln2, ln3, 100, 100 + ln2, 100 + ln3})});
  if (!out)
    return;
  expectClose(out[0], {2, 3},
              {1 / 6.0, 2 / 6.0, 3 / 6.0, 1 / 6.0, 2 / 6.0, 3 / 6.0}, 1e-5);
}

TEST_P(BackendConformance, SoftmaxOfLongRowsWithMaskedAndFarEntries) {
  // Rows of 1000, a length whose maximum is taken 8 lanes at a time. Row 0
  // is [0, ln 2, ln 3, ln 4] and masked (-inf) entries: [1, 2, 3, 4] / 10,
  // then exact zeros. Row 1 is 0 at its end and -200 elsewhere, whose
  // exps lie below what f32 holds: one 1 and exact zeros. Row 2 holds a
  // NaN, which makes the whole row NaN.
  constexpr int64_t kWidth = 1000;
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> x(3 * kWidth, -inf);
  std::vector<double> expected(3 * kWidth, 0.0);
  for (int64_t j = 0; j < 4; ++j) {
    x[j] = static_cast<float>(std::log(static_cast<double>(j + 1)));
    expected[j] = (j + 1) / 10.0;
  }
  for (int64_t j = 0; j < kWidth; ++j)
    x[kWidth + j] = j == kWidth - 1 ? 0.0f : -200.0f;
  expected[2 * kWidth - 1] = 1.0;
  for (int64_t j = 0; j < kWidth; ++j) {
    x[2 * kWidth + j] = static_cast<float>(j % 7);
    expected[2 * kWidth + j] = std::numeric_limits<double>::quiet_NaN();
  }
  x[2 * kWidth + 500] = std::numeric_limits<float>::quiet_NaN();
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<3x1000xf32>) -> tensor<3x1000xf32> {
      %y = nn.softmax %x : tensor<3x1000xf32>
      return %y : tensor<3x1000xf32>
    })mlir",
                      {f32({3, kWidth}, x)});
  if (!out)
    return;
  expectClose(out[0], {3, kWidth}, expected, 1e-6);
  std::vector<double> values = valuesOf(out[0]);
  for (int64_t i = 0; i < 2 * kWidth; ++i)
    if (expected[static_cast<size_t>(i)] == 0.0)
      EXPECT_EQ(values[static_cast<size_t>(i)], 0.0) << "element " << i;
}

TEST_P(BackendConformance, SoftmaxAlongFirstAxis) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
      %y = nn.softmax %x axis 0 : tensor<2x2xf32>
      return %y : tensor<2x2xf32>
    })mlir",
                      {f32({2, 2}, {0, 5, 0, 5})});
  if (!out)
    return;
  expectClose(out[0], {2, 2}, {0.5, 0.5, 0.5, 0.5});
}

TEST_P(BackendConformance, LogSoftmaxValues) {
  float ln2 = static_cast<float>(std::log(2.0));
  float ln3 = static_cast<float>(std::log(3.0));
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<1x3xf32>) -> tensor<1x3xf32> {
      %y = nn.log_softmax %x axis 1 : tensor<1x3xf32>
      return %y : tensor<1x3xf32>
    })mlir",
                      {f32({1, 3}, {0, ln2, ln3})});
  if (!out)
    return;
  expectClose(out[0], {1, 3},
              {std::log(1 / 6.0), std::log(2 / 6.0), std::log(3 / 6.0)});
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

TEST_P(BackendConformance, ReduceSumOverOneAxis) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<2x3xf32>) -> tensor<2xf32> {
      %r = nn.reduce_sum %x axes [1] : tensor<2x3xf32> -> tensor<2xf32>
      return %r : tensor<2xf32>
    })mlir",
                      {f32({2, 3}, {1, 2, 3, 4, 5, 6})});
  if (!out)
    return;
  expectClose(out[0], {2}, {6, 15});
}

TEST_P(BackendConformance, ReduceSumKeepDims) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<2x3xf32>) -> tensor<1x3xf32> {
      %r = nn.reduce_sum %x axes [0] keepdims true : tensor<2x3xf32> -> tensor<1x3xf32>
      return %r : tensor<1x3xf32>
    })mlir",
                      {f32({2, 3}, {1, 2, 3, 4, 5, 6})});
  if (!out)
    return;
  expectClose(out[0], {1, 3}, {5, 7, 9});
}

TEST_P(BackendConformance, ReduceSumOfIntegersOverEverything) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<2x2xi32>) -> tensor<i32> {
      %r = nn.reduce_sum %x : tensor<2x2xi32> -> tensor<i32>
      return %r : tensor<i32>
    })mlir",
                      {i32({2, 2}, {1, -2, 30, 400})});
  if (!out)
    return;
  expectInts(out[0], {}, {429});
}

TEST_P(BackendConformance, ReduceMeanKeepDimsNegativeAxis) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<2x2x2xf32>) -> tensor<2x2x1xf32> {
      %r = nn.reduce_mean %x axes [-1] keepdims true : tensor<2x2x2xf32> -> tensor<2x2x1xf32>
      return %r : tensor<2x2x1xf32>
    })mlir",
                      {f32({2, 2, 2}, {1, 2, 3, 5, -1, 1, 10, 0})});
  if (!out)
    return;
  expectClose(out[0], {2, 2, 1}, {1.5, 4, 0, 5});
}

TEST_P(BackendConformance, ReduceMeanOverTwoAxes) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<2x2x2xf32>) -> tensor<2xf32> {
      %r = nn.reduce_mean %x axes [0, 2] : tensor<2x2x2xf32> -> tensor<2xf32>
      return %r : tensor<2xf32>
    })mlir",
                      {f32({2, 2, 2}, {1, 2, 3, 5, -1, 1, 10, 0})});
  if (!out)
    return;
  // Axis 1 index 0 holds 1, 2, -1, 1; index 1 holds 3, 5, 10, 0.
  expectClose(out[0], {2}, {0.75, 4.5});
}

TEST_P(BackendConformance, ReduceMaxOverRows) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<2x3xf32>) -> tensor<3xf32> {
      %r = nn.reduce_max %x axes [0] : tensor<2x3xf32> -> tensor<3xf32>
      return %r : tensor<3xf32>
    })mlir",
                      {f32({2, 3}, {1, -5, 3, -4, -2, 3})});
  if (!out)
    return;
  expectClose(out[0], {3}, {1, -2, 3});
}

//===----------------------------------------------------------------------===//
// Layout
//===----------------------------------------------------------------------===//

TEST_P(BackendConformance, ReshapeKeepsRowMajorOrder) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
      %r = nn.reshape %x shape [3, -1] : tensor<2x3xf32> -> tensor<3x2xf32>
      return %r : tensor<3x2xf32>
    })mlir",
                      {f32({2, 3}, {1, 2, 3, 4, 5, 6})});
  if (!out)
    return;
  expectClose(out[0], {3, 2}, {1, 2, 3, 4, 5, 6});
}

TEST_P(BackendConformance, TransposeWithPerm) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
      %t = nn.transpose %x perm [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
      return %t : tensor<3x2xf32>
    })mlir",
                      {f32({2, 3}, {1, 2, 3, 4, 5, 6})});
  if (!out)
    return;
  expectClose(out[0], {3, 2}, {1, 4, 2, 5, 3, 6});
}

TEST_P(BackendConformance, TransposeDefaultReversesAxes) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<1x2x3xi32>) -> tensor<3x2x1xi32> {
      %t = nn.transpose %x : tensor<1x2x3xi32> -> tensor<3x2x1xi32>
      return %t : tensor<3x2x1xi32>
    })mlir",
                      {i32({1, 2, 3}, {1, 2, 3, 4, 5, 6})});
  if (!out)
    return;
  expectInts(out[0], {3, 2, 1}, {1, 4, 2, 5, 3, 6});
}

TEST_P(BackendConformance, BroadcastToAddsLeadingAndExpandsOnes) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<2x1xf32>) -> tensor<2x2x3xf32> {
      %b = nn.broadcast_to %x shape [2, 2, 3] : tensor<2x1xf32> -> tensor<2x2x3xf32>
      return %b : tensor<2x2x3xf32>
    })mlir",
                      {f32({2, 1}, {7, 8})});
  if (!out)
    return;
  expectClose(out[0], {2, 2, 3}, {7, 7, 7, 8, 8, 8, 7, 7, 7, 8, 8, 8});
}

TEST_P(BackendConformance, ConcatAlongSecondAxis) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%a: tensor<2x1xf32>, %b: tensor<2x2xf32>) -> tensor<2x3xf32> {
      %c = nn.concat %a, %b axis 1 : tensor<2x1xf32>, tensor<2x2xf32> -> tensor<2x3xf32>
      return %c : tensor<2x3xf32>
    })mlir",
                      {f32({2, 1}, {1, 4}), f32({2, 2}, {2, 3, 5, 6})});
  if (!out)
    return;
  expectClose(out[0], {2, 3}, {1, 2, 3, 4, 5, 6});
}

TEST_P(BackendConformance, ConcatThreeAlongFirstAxis) {
  KernelRun out = run(
      R"mlir(
    func.func @kernel_0(%a: tensor<1x2xi64>, %b: tensor<2x2xi64>, %c: tensor<1x2xi64>) -> tensor<4x2xi64> {
      %r = nn.concat %a, %b, %c : tensor<1x2xi64>, tensor<2x2xi64>, tensor<1x2xi64> -> tensor<4x2xi64>
      return %r : tensor<4x2xi64>
    })mlir",
      {i64({1, 2}, {1, 2}), i64({2, 2}, {3, 4, 5, 6}), i64({1, 2}, {7, 8})});
  if (!out)
    return;
  expectInts(out[0], {4, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
}

TEST_P(BackendConformance, SliceWithStepsAndNegativeStart) {
  // Axis 1 of [2, 6]: start -5 is 1, so [1, 6) by 2 keeps columns 1, 3, 5.
  KernelRun out =
      run(R"mlir(
    func.func @kernel_0(%x: tensor<2x6xf32>) -> tensor<2x3xf32> {
      %s = nn.slice %x axes [1] starts [-5] ends [6] steps [2] : tensor<2x6xf32> -> tensor<2x3xf32>
      return %s : tensor<2x3xf32>
    })mlir",
          {f32({2, 6}, {0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15})});
  if (!out)
    return;
  expectClose(out[0], {2, 3}, {1, 3, 5, 11, 13, 15});
}

TEST_P(BackendConformance, SliceTwoAxesClampsEnds) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<3x3xf32>) -> tensor<2x1xf32> {
      %s = nn.slice %x axes [0, 1] starts [1, 2] ends [100, 100] : tensor<3x3xf32> -> tensor<2x1xf32>
      return %s : tensor<2x1xf32>
    })mlir",
                      {f32({3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8})});
  if (!out)
    return;
  expectClose(out[0], {2, 1}, {5, 8});
}

TEST_P(BackendConformance, GatherRowsWithMatrixOfIndices) {
  KernelRun out =
      run(R"mlir(
    func.func @kernel_0(%t: tensor<3x2xf32>, %i: tensor<2x2xi32>) -> tensor<2x2x2xf32> {
      %e = nn.gather %t, %i : tensor<3x2xf32>, tensor<2x2xi32> -> tensor<2x2x2xf32>
      return %e : tensor<2x2x2xf32>
    })mlir",
          {f32({3, 2}, {0, 1, 10, 11, 20, 21}), i32({2, 2}, {2, 0, 1, 1})});
  if (!out)
    return;
  expectClose(out[0], {2, 2, 2}, {20, 21, 0, 1, 10, 11, 10, 11});
}

TEST_P(BackendConformance, GatherAlongSecondAxisWithI64) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<2x3xf32>, %i: tensor<2xi64>) -> tensor<2x2xf32> {
      %g = nn.gather %x, %i axis 1 : tensor<2x3xf32>, tensor<2xi64> -> tensor<2x2xf32>
      return %g : tensor<2x2xf32>
    })mlir",
                      {f32({2, 3}, {1, 2, 3, 4, 5, 6}), i64({2}, {2, 0})});
  if (!out)
    return;
  expectClose(out[0], {2, 2}, {3, 1, 6, 4});
}

//===----------------------------------------------------------------------===//
// Constants and kernel plumbing
//===----------------------------------------------------------------------===//

TEST_P(BackendConformance, ConstantKernelWithoutArguments) {
  // A graph constant becomes a kernel of its own, with no argument.
  KernelRun out = run(R"mlir(
    func.func @kernel_0() -> tensor<2x2xf32> {
      %c = nn.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
      return %c : tensor<2x2xf32>
    })mlir",
                      {});
  if (!out)
    return;
  expectClose(out[0], {2, 2}, {1, 2, 3, 4});
}

TEST_P(BackendConformance, ConstantFeedingAnOp) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<3xf32>) -> tensor<3xf32> {
      %c = nn.constant dense<2.5> : tensor<3xf32>
      %r = nn.mul %x, %c : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
      return %r : tensor<3xf32>
    })mlir",
                      {f32({3}, {1, 2, -4})});
  if (!out)
    return;
  expectClose(out[0], {3}, {2.5, 5, -10});
}

TEST_P(BackendConformance, IntegerConstantIndices) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%t: tensor<3xf32>) -> tensor<2xf32> {
      %i = nn.constant dense<[2, 0]> : tensor<2xi64>
      %g = nn.gather %t, %i : tensor<3xf32>, tensor<2xi64> -> tensor<2xf32>
      return %g : tensor<2xf32>
    })mlir",
                      {f32({3}, {5, 6, 7})});
  if (!out)
    return;
  expectClose(out[0], {2}, {7, 5});
}

TEST_P(BackendConformance, ResultsMayRepeatAndForwardArguments) {
  // The same value returned twice, and an argument returned as is.
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%a: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) {
      %n = nn.neg %a : tensor<2xf32>
      return %n, %n, %a : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
    })mlir",
                      {f32({2}, {1, -2})});
  if (!out)
    return;
  expectClose(out[0], {2}, {-1, 2});
  expectClose(out[1], {2}, {-1, 2});
  expectClose(out[2], {2}, {1, -2});
}

TEST_P(BackendConformance, SeveralKernelsInOneModule) {
  const char *graph = R"mlir(
    func.func @kernel_0(%a: tensor<2xf32>, %b: tensor<2xf32>) -> tensor<2xf32> {
      %r = nn.add %a, %b : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
      return %r : tensor<2xf32>
    }
    func.func @kernel_1(%a: tensor<2xf32>, %b: tensor<2xf32>) -> tensor<2xf32> {
      %r = nn.mul %a, %b : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
      return %r : tensor<2xf32>
    })mlir";
  KernelRun sum = run(graph, {f32({2}, {2, 3}), f32({2}, {4, 5})});
  if (!sum)
    return;
  expectClose(sum[0], {2}, {6, 8});
  KernelRun product =
      run(graph, {f32({2}, {2, 3}), f32({2}, {4, 5})}, RunOptions{1, {}});
  if (!product)
    return;
  expectClose(product[0], {2}, {8, 15});
}

TEST_P(BackendConformance, ChainOfOpsInOneKernel) {
  // A fused kernel: values inside the function never reach the caller.
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%x: tensor<2x2xf32>, %w: tensor<2x2xf32>, %b: tensor<2xf32>) -> tensor<2x2xf32> {
      %m = nn.matmul %x, %w : tensor<2x2xf32>, tensor<2x2xf32> -> tensor<2x2xf32>
      %s = nn.add %m, %b : tensor<2x2xf32>, tensor<2xf32> -> tensor<2x2xf32>
      %r = nn.relu %s : tensor<2x2xf32>
      return %r : tensor<2x2xf32>
    })mlir",
                      {f32({2, 2}, {1, 2, 3, 4}), f32({2, 2}, {1, 0, 0, 1}),
                       f32({2}, {-2, -5})});
  if (!out)
    return;
  expectClose(out[0], {2, 2}, {0, 0, 1, 0});
}
