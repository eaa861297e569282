//===- ElementwiseTest.cpp - Reference elementwise kernels ----------------===//

#include "backends/ref/kernels/Elementwise.h"

#include "KernelTestSupport.h"

#include <cmath>
#include <limits>

using namespace nnc;
using namespace nnc::ref::test;

namespace {

TEST(ElementwiseTest, ColumnPlusRowBroadcasts) {
  Tensor a = make({3, 1}, {1, 2, 3});
  Tensor b = make({1, 4}, {10, 20, 30, 40});
  Tensor out = zeros(DType::F32, {3, 4});
  ASSERT_OK(ref::add(a, b, out));
  expectValues(out, {11, 21, 31, 41, 12, 22, 32, 42, 13, 23, 33, 43});
  // Subtraction is not symmetric, so it also checks which side is which.
  ASSERT_OK(ref::sub(b, a, out));
  expectValues(out, {9, 19, 29, 39, 8, 18, 28, 38, 7, 17, 27, 37});
}

TEST(ElementwiseTest, ScalarAndLowerRankBroadcast) {
  Tensor x = iota({2, 3});
  Tensor two = make({}, {2});
  Tensor out = zeros(DType::F32, {2, 3});
  ASSERT_OK(ref::mul(x, two, out));
  expectValues(out, {0, 2, 4, 6, 8, 10});
  ASSERT_OK(ref::div(two, make({2, 3}, {1, 2, 4, 8, 16, 32}), out));
  expectValues(out, {2, 1, 0.5, 0.25, 0.125, 0.0625});
  Tensor row = make({3}, {100, 200, 300});
  ASSERT_OK(ref::add(x, row, out));
  expectValues(out, {100, 201, 302, 103, 204, 305});
}

TEST(ElementwiseTest, ShapeAndDTypeErrors) {
  Tensor out = zeros(DType::F32, {2, 3});
  EXPECT_ERROR(ref::add(iota({2, 3}), iota({4}), out),
               "add: cannot broadcast [2, 3] with [4]");
  EXPECT_ERROR(ref::add(iota({2, 3}), iota({3}), zeros(DType::F32, {3, 3})),
               "add: output has shape [3, 3], expected [2, 3]");
  EXPECT_ERROR(ref::add(iota({3}), iota<double>({3}), zeros(DType::F32, {3})),
               "add: rhs has dtype f64, expected f32");
  EXPECT_ERROR(ref::exp(iota<int32_t>({3}), zeros(DType::I32, {3})),
               "exp: expected f32 or f64, got i32");
  EXPECT_ERROR(
      ref::pow(iota<int64_t>({3}), iota<int64_t>({3}), zeros(DType::I64, {3})),
      "pow: expected f32 or f64, got i64");
}

TEST(ElementwiseTest, UnaryValues) {
  Tensor x = make<double>({5}, {-2, -0.5, 0, 0.5, 2});
  Tensor out = zeros(DType::F64, {5});
  ASSERT_OK(ref::neg(x, out));
  expectValues(out, {2, 0.5, 0, -0.5, -2});
  ASSERT_OK(ref::abs(x, out));
  expectValues(out, {2, 0.5, 0, 0.5, 2});
  ASSERT_OK(ref::relu(x, out));
  expectValues(out, {0, 0, 0, 0.5, 2});
  ASSERT_OK(ref::exp(x, out));
  expectValues(
      out, {std::exp(-2.0), std::exp(-0.5), 1, std::exp(0.5), std::exp(2.0)},
      1e-15);
  ASSERT_OK(ref::tanh(x, out));
  expectValues(
      out,
      {std::tanh(-2.0), std::tanh(-0.5), 0, std::tanh(0.5), std::tanh(2.0)},
      1e-15);
  ASSERT_OK(ref::leakyRelu(x, ref::LeakyReluAttrs{0.1}, out));
  expectValues(out, {-0.2, -0.05, 0, 0.5, 2}, 1e-15);

  Tensor positive = make({3}, {1, 4, std::exp(1.0f)});
  Tensor out3 = zeros(DType::F32, {3});
  ASSERT_OK(ref::sqrt(positive, out3));
  expectValues(out3, {1, 2, std::sqrt(std::exp(1.0))});
  ASSERT_OK(ref::log(positive, out3));
  expectValues(out3, {0, std::log(4.0), 1});
}

TEST(ElementwiseTest, SigmoidIsStableAtExtremes) {
  Tensor x = make({5}, {-1000, -1, 0, 1, 1000});
  Tensor out = zeros(DType::F32, {5});
  ASSERT_OK(ref::sigmoid(x, out));
  double s1 = 1 / (1 + std::exp(-1.0));
  expectValues(out, {0, 1 - s1, 0.5, s1, 1});
  for (double v : values(out))
    EXPECT_FALSE(std::isnan(v));
}

TEST(ElementwiseTest, GeluIsTheExactErfForm) {
  Tensor x = make<double>({4}, {-1, 0, 1, 3});
  Tensor out = zeros(DType::F64, {4});
  ASSERT_OK(ref::gelu(x, out));
  // x * Phi(x) with the standard normal CDF Phi, from tables.
  expectValues(
      out,
      {-0.15865525393145707, 0, 0.8413447460685429, 3 * 0.9986501019683699},
      1e-14);
}

TEST(ElementwiseTest, PowBroadcasts) {
  Tensor base = make({2, 2}, {2, 3, 4, 9});
  Tensor exponent = make({2}, {2, 0.5});
  Tensor out = zeros(DType::F32, {2, 2});
  ASSERT_OK(ref::pow(base, exponent, out));
  expectValues(out, {4, std::sqrt(3.0), 16, 3});
}

TEST(ElementwiseTest, IntegerArithmeticWrapsAndTruncates) {
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  Tensor a = make<int32_t>({4}, {kMax, -7, 7, kMin});
  Tensor b = make<int32_t>({4}, {1, 2, -2, 1});
  Tensor out = zeros(DType::I32, {4});
  ASSERT_OK(ref::add(a, b, out));
  EXPECT_EQ(out.at<int32_t>(0), kMin);
  ASSERT_OK(ref::div(a, b, out));
  EXPECT_EQ(out.at<int32_t>(1), -3);
  EXPECT_EQ(out.at<int32_t>(2), -3);
  ASSERT_OK(ref::neg(a, out));
  EXPECT_EQ(out.at<int32_t>(3), kMin);
  ASSERT_OK(ref::abs(a, out));
  EXPECT_EQ(out.at<int32_t>(1), 7);

  EXPECT_ERROR(ref::div(a, make<int32_t>({}, {0}), out),
               "div: integer division by zero");
  // minimum / -1 wraps, as the other integer operations do.
  ASSERT_OK(ref::div(a, make<int32_t>({}, {-1}), out));
  EXPECT_EQ(out.at<int32_t>(3), kMin);
  EXPECT_EQ(out.at<int32_t>(1), 7);

  Tensor bytes = make<uint8_t>({2}, {250, 3});
  Tensor byteOut = zeros(DType::U8, {2});
  ASSERT_OK(ref::mul(bytes, make<uint8_t>({}, {2}), byteOut));
  EXPECT_EQ(byteOut.at<uint8_t>(0), 244); // 500 mod 256
  EXPECT_EQ(byteOut.at<uint8_t>(1), 6);
}

TEST(ElementwiseTest, OutputMayAliasAnInput) {
  Tensor a = make({2, 2}, {1, 2, 3, 4});
  ASSERT_OK(ref::add(a, make({2}, {10, 20}), a));
  expectValues(a, {11, 22, 13, 24});
  ASSERT_OK(ref::unary(ref::UnaryOp::Neg, a, a));
  expectValues(a, {-11, -22, -13, -24});
}

} // namespace
