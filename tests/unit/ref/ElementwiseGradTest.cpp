//===- ElementwiseGradTest.cpp - Reference elementwise backward ops -------===//

#include "backends/ref/kernels/ElementwiseGrad.h"

#include "GradCheck.h"

#include <limits>

using namespace nnc;
using namespace nnc::ref::test;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(ElementwiseGradTest, MaximumAndMinimumBroadcast) {
  Tensor a = make({2, 2}, {1, 5, -3, 0});
  Tensor b = make({2}, {2, -1});
  Tensor out = zeros(DType::F32, {2, 2});
  ASSERT_OK(ref::maximum(a, b, out));
  expectValues(out, {2, 5, 2, 0}, 0);
  ASSERT_OK(ref::minimum(a, b, out));
  expectValues(out, {1, -1, -3, -1}, 0);
}

TEST(ElementwiseGradTest, MaximumPropagatesNaNAndWorksOnIntegers) {
  Tensor out = zeros(DType::F64, {3});
  ASSERT_OK(ref::maximum(make<double>({3}, {kNaN, 1, 2}),
                         make<double>({3}, {0, kNaN, 1}), out));
  std::vector<double> got = values(out);
  EXPECT_TRUE(std::isnan(got[0]));
  EXPECT_TRUE(std::isnan(got[1]));
  EXPECT_EQ(got[2], 2);

  Tensor ints = zeros(DType::I64, {3});
  ASSERT_OK(ref::minimum(make<int64_t>({3}, {-5, 7, 0}), make<int64_t>({}, {1}),
                         ints));
  expectValues(ints, {-5, 1, 0}, 0);
}

TEST(ElementwiseGradTest, SignOfEachElement) {
  Tensor out = zeros(DType::F32, {5});
  ASSERT_OK(ref::sign(make({5}, {-2.5f, -0.0f, 0.0f, 3, 1e-30f}), out));
  expectValues(out, {-1, 0, 0, 1, 1}, 0);
  Tensor nan = zeros(DType::F64, {1});
  ASSERT_OK(ref::sign(make<double>({1}, {kNaN}), nan));
  EXPECT_TRUE(std::isnan(values(nan)[0]));
  Tensor ints = zeros(DType::I32, {3});
  ASSERT_OK(ref::sign(make<int32_t>({3}, {-7, 0, 9}), ints));
  expectValues(ints, {-1, 0, 1}, 0);
}

/// x in [-2, 2) with no element within 0.01 of 0, where relu and
/// leaky_relu have their kink.
Tensor awayFromKink(Shape shape, uint64_t seed) {
  Tensor x = randomTensor(std::move(shape), seed, -2, 2);
  for (int64_t i = 0; i < x.numElements(); ++i)
    if (std::fabs(x.at<double>(i)) < 0.01)
      x.at<double>(i) = 0.5;
  return x;
}

TEST(ElementwiseGradTest, ReluGradMatchesFiniteDifferences) {
  Tensor x = awayFromKink({3, 4}, 1);
  Tensor dy = randomTensor({3, 4}, 2);
  Tensor dx =
      runF64({3, 4}, [&](Tensor &out) { return ref::reluGrad(x, dy, out); });
  expectMatchesFiniteDifferences(
      dx,
      [&] {
        return runF64({3, 4}, [&](Tensor &y) { return ref::relu(x, y); });
      },
      x, dy);
}

TEST(ElementwiseGradTest, ReluGradAtZeroAndInfiniteDy) {
  // x = 0 takes the zero branch; a zeroed position drops even an inf dy.
  Tensor out = zeros(DType::F32, {3});
  float inf = std::numeric_limits<float>::infinity();
  ASSERT_OK(ref::reluGrad(make({3}, {0, -1, 2}), make({3}, {5, inf, 7}), out));
  expectValues(out, {0, 0, 7}, 0);
}

TEST(ElementwiseGradTest, LeakyReluGradMatchesFiniteDifferences) {
  Tensor x = awayFromKink({2, 5}, 3);
  Tensor dy = randomTensor({2, 5}, 4);
  ref::LeakyReluAttrs attrs{0.2};
  Tensor dx = runF64({2, 5}, [&](Tensor &out) {
    return ref::leakyReluGrad(x, dy, attrs, out);
  });
  expectMatchesFiniteDifferences(
      dx,
      [&] {
        return runF64({2, 5},
                      [&](Tensor &y) { return ref::leakyRelu(x, attrs, y); });
      },
      x, dy);
}

TEST(ElementwiseGradTest, LeakyReluGradAtZeroTakesAlpha) {
  Tensor out = zeros(DType::F32, {2});
  ASSERT_OK(
      ref::leakyReluGrad(make({2}, {0, 1}), make({2}, {10, 10}), {0.1}, out));
  expectValues(out, {1, 10}, 1e-6);
}

TEST(ElementwiseGradTest, GeluGradMatchesFiniteDifferences) {
  Tensor x = randomTensor({12}, 5, -4, 4);
  Tensor dy = randomTensor({12}, 6);
  Tensor dx =
      runF64({12}, [&](Tensor &out) { return ref::geluGrad(x, dy, out); });
  expectMatchesFiniteDifferences(
      dx,
      [&] { return runF64({12}, [&](Tensor &y) { return ref::gelu(x, y); }); },
      x, dy);
}

TEST(ElementwiseGradTest, GeluGradClosedFormInF32) {
  // gelu'(0) = 1/2; gelu'(1) = Φ(1) + φ(1) = 0.841344746 + 0.241970725.
  Tensor out = zeros(DType::F32, {2});
  ASSERT_OK(ref::geluGrad(make({2}, {0, 1}), make({2}, {2, 1}), out));
  expectValues(out, {1, 0.8413447461 + 0.2419707245}, 1e-6);
}

TEST(ElementwiseGradTest, Errors) {
  Tensor out = zeros(DType::F32, {2});
  EXPECT_ERROR(ref::reluGrad(make({2}, {1, 2}), make({3}, {1, 2, 3}), out),
               "relu_grad: dy has shape [3], expected [2]");
  EXPECT_ERROR(ref::geluGrad(make({2}, {1, 2}), make<double>({2}, {1, 2}), out),
               "gelu_grad: dy has dtype f64, expected f32");
  Tensor ints = zeros(DType::I32, {2});
  EXPECT_ERROR(ref::reluGrad(make<int32_t>({2}, {1, 2}),
                             make<int32_t>({2}, {1, 2}), ints),
               "relu_grad: expected f32 or f64, got i32");
  EXPECT_ERROR(ref::maximum(make({2}, {1, 2}), make({3}, {1, 2, 3}), out),
               "maximum: cannot broadcast [2] with [3]");
}

} // namespace
