//===- ElementwiseConformanceTest.cpp - Unary and binary maps -------------===//
//
// Broadcasting binary ops and unary maps, with expected values computed by
// hand or from the closed forms of docs/dsl.md.
//
//===----------------------------------------------------------------------===//

#include "tests/conformance/ConformanceTest.h"

#include <limits>

#include <cmath>

using namespace nnc::conformance;

namespace {

/// The MLIR of a kernel applying unary `op` to a tensor of `type`.
std::string unaryGraph(const std::string &op, const std::string &type,
                       const std::string &attrs = "") {
  return "func.func @kernel_0(%x: " + type + ") -> " + type + " {\n" +
         "  %y = " + op + " %x " + attrs + " : " + type + "\n" +
         "  return %y : " + type + "\n}";
}

/// The MLIR of a kernel applying binary `op` to `lhs` and `rhs`.
std::string binaryGraph(const std::string &op, const std::string &lhs,
                        const std::string &rhs, const std::string &result) {
  return "func.func @kernel_0(%a: " + lhs + ", %b: " + rhs + ") -> " + result +
         " {\n  %r = " + op + " %a, %b : " + lhs + ", " + rhs + " -> " +
         result + "\n  return %r : " + result + "\n}";
}

} // namespace

//===----------------------------------------------------------------------===//
// Binary ops
//===----------------------------------------------------------------------===//

TEST_P(BackendConformance, AddBroadcastsRowOverMatrix) {
  KernelRun out =
      run(binaryGraph("nn.add", "tensor<2x3xf32>", "tensor<3xf32>",
                      "tensor<2x3xf32>"),
          {f32({2, 3}, {1, 2, 3, 4, 5, 6}), f32({3}, {10, 20, 30})});
  if (!out)
    return;
  expectClose(out[0], {2, 3}, {11, 22, 33, 14, 25, 36});
}

TEST_P(BackendConformance, AddBroadcastsBothOperands) {
  // [2, 1] + [1, 3]: an outer sum.
  KernelRun out = run(binaryGraph("nn.add", "tensor<2x1xf32>",
                                  "tensor<1x3xf32>", "tensor<2x3xf32>"),
                      {f32({2, 1}, {10, 20}), f32({1, 3}, {1, 2, 3})});
  if (!out)
    return;
  expectClose(out[0], {2, 3}, {11, 12, 13, 21, 22, 23});
}

TEST_P(BackendConformance, AddIntegers) {
  KernelRun out = run(
      binaryGraph("nn.add", "tensor<3xi32>", "tensor<3xi32>", "tensor<3xi32>"),
      {i32({3}, {1, -2, 7}), i32({3}, {3, 4, -7})});
  if (!out)
    return;
  expectInts(out[0], {3}, {4, 2, 0});
}

TEST_P(BackendConformance, SubBroadcastsColumn) {
  KernelRun out = run(binaryGraph("nn.sub", "tensor<2x3xf32>",
                                  "tensor<2x1xf32>", "tensor<2x3xf32>"),
                      {f32({2, 3}, {1, 2, 3, 4, 5, 6}), f32({2, 1}, {1, 4})});
  if (!out)
    return;
  expectClose(out[0], {2, 3}, {0, 1, 2, 0, 1, 2});
}

TEST_P(BackendConformance, MulByRankZeroTensor) {
  KernelRun out = run(binaryGraph("nn.mul", "tensor<2x2xf64>", "tensor<f64>",
                                  "tensor<2x2xf64>"),
                      {f64({2, 2}, {1, -2, 3.5, 0}), f64({}, {3})});
  if (!out)
    return;
  expectClose(out[0], {2, 2}, {3, -6, 10.5, 0}, 1e-12);
}

TEST_P(BackendConformance, DivFloatsAndByZero) {
  KernelRun out = run(
      binaryGraph("nn.div", "tensor<4xf32>", "tensor<4xf32>", "tensor<4xf32>"),
      {f32({4}, {1, -3, 1, 0}), f32({4}, {4, 2, 0, 0})});
  if (!out)
    return;
  std::vector<double> values = valuesOf(out[0]);
  ASSERT_EQ(values.size(), 4u);
  EXPECT_DOUBLE_EQ(values[0], 0.25);
  EXPECT_DOUBLE_EQ(values[1], -1.5);
  EXPECT_TRUE(std::isinf(values[2]) && values[2] > 0) << values[2];
  EXPECT_TRUE(std::isnan(values[3])) << values[3];
}

TEST_P(BackendConformance, DivIntegersTruncatesTowardZero) {
  KernelRun out = run(
      binaryGraph("nn.div", "tensor<4xi64>", "tensor<4xi64>", "tensor<4xi64>"),
      {i64({4}, {7, -7, 7, -7}), i64({4}, {2, 2, -2, -2})});
  if (!out)
    return;
  expectInts(out[0], {4}, {3, -3, -3, 3});
}

TEST_P(BackendConformance, DivIntegerByZeroIsAKernelError) {
  KernelRun out = runAllowingError(
      binaryGraph("nn.div", "tensor<2xi32>", "tensor<2xi32>", "tensor<2xi32>"),
      {i32({2}, {1, 2}), i32({2}, {1, 0})});
  if (out.state == KernelRun::State::NotRun)
    return;
  EXPECT_EQ(out.state, KernelRun::State::KernelError);
}

TEST_P(BackendConformance, PowBroadcastsExponent) {
  KernelRun out = run(
      binaryGraph("nn.pow", "tensor<4xf32>", "tensor<f32>", "tensor<4xf32>"),
      {f32({4}, {1, 2, 3, 4}), f32({}, {0.5f})});
  if (!out)
    return;
  expectClose(out[0], {4}, {1, std::sqrt(2.0), std::sqrt(3.0), 2});
}

TEST_P(BackendConformance, PowOfTwoTensorsFollowsTheClosedForm) {
  // A row long enough to run vectorised, bases over (0, 8] and exponents
  // over [-3, 3], against pow in double within a few f32 ulps; then C's
  // special cases: a negative base with an integer exponent, with a
  // fractional one (NaN), 0^0 and anything^0.
  constexpr int64_t kCount = 1024;
  std::vector<float> base, exponent;
  for (int64_t i = 0; i < kCount; ++i) {
    base.push_back(static_cast<float>((i % 256 + 1) / 32.0));
    exponent.push_back(static_cast<float>((i * 37 % 193) / 32.0 - 3.0));
  }
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<std::pair<float, float>> special = {
      {-2, 3}, {-2, 2}, {-2, 0.5f}, {0, 0}, {nan, 0}, {0, 2}, {1, nan}};
  for (size_t i = 0; i < special.size(); ++i) {
    base[i] = special[i].first;
    exponent[i] = special[i].second;
  }
  std::string type = "tensor<" + std::to_string(kCount) + "xf32>";
  KernelRun out = run(binaryGraph("nn.pow", type, type, type),
                      {f32({kCount}, base), f32({kCount}, exponent)});
  if (!out)
    return;
  std::vector<double> want;
  for (int64_t i = 0; i < kCount; ++i)
    want.push_back(std::pow(double(base[static_cast<size_t>(i)]),
                            double(exponent[static_cast<size_t>(i)])));
  std::vector<double> got = valuesOf(out[0]);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "element " << i;
      continue;
    }
    EXPECT_NEAR(got[i], want[i], 4e-7 * std::fabs(want[i]))
        << "pow(" << base[i] << ", " << exponent[i] << ")";
  }
}

TEST_P(BackendConformance, AddRunsInPlace) {
  // A memory plan may give the result the buffer of a dead operand.
  KernelRun out = run(binaryGraph("nn.add", "tensor<2x2xf32>", "tensor<2xf32>",
                                  "tensor<2x2xf32>"),
                      {f32({2, 2}, {1, 2, 3, 4}), f32({2}, {10, 100})},
                      RunOptions{0, {{0, 0}}});
  if (!out)
    return;
  expectClose(out[0], {2, 2}, {11, 102, 13, 104});
}

//===----------------------------------------------------------------------===//
// Unary ops
//===----------------------------------------------------------------------===//

TEST_P(BackendConformance, NegFloatsAndIntegers) {
  KernelRun out =
      run(unaryGraph("nn.neg", "tensor<3xf32>"), {f32({3}, {1.5f, 0, -2})});
  if (!out)
    return;
  expectClose(out[0], {3}, {-1.5, 0, 2});

  KernelRun ints =
      run(unaryGraph("nn.neg", "tensor<2xi32>"), {i32({2}, {5, -6})});
  if (!ints)
    return;
  expectInts(ints[0], {2}, {-5, 6});
}

TEST_P(BackendConformance, AbsFloatsAndIntegers) {
  KernelRun out =
      run(unaryGraph("nn.abs", "tensor<3xf64>"), {f64({3}, {-2.5, 0, 3})});
  if (!out)
    return;
  expectClose(out[0], {3}, {2.5, 0, 3}, 1e-12);

  KernelRun ints =
      run(unaryGraph("nn.abs", "tensor<2xi64>"), {i64({2}, {-9, 9})});
  if (!ints)
    return;
  expectInts(ints[0], {2}, {9, 9});
}

TEST_P(BackendConformance, ExpValues) {
  KernelRun out =
      run(unaryGraph("nn.exp", "tensor<3xf32>"), {f32({3}, {0, 1, -1})});
  if (!out)
    return;
  expectClose(out[0], {3}, {1, M_E, 1 / M_E});
}

TEST_P(BackendConformance, ExpF64IsPrecise) {
  KernelRun out = run(unaryGraph("nn.exp", "tensor<2xf64>"),
                      {f64({2}, {std::log(2.0), 10})});
  if (!out)
    return;
  expectClose(out[0], {2}, {2, std::exp(10.0)}, 1e-14);
}

TEST_P(BackendConformance, LogValuesAndDomain) {
  KernelRun out = run(unaryGraph("nn.log", "tensor<4xf32>"),
                      {f32({4}, {1, static_cast<float>(M_E), 0, -1})});
  if (!out)
    return;
  std::vector<double> values = valuesOf(out[0]);
  ASSERT_EQ(values.size(), 4u);
  EXPECT_NEAR(values[0], 0, 1e-6);
  EXPECT_NEAR(values[1], 1, 1e-6);
  EXPECT_TRUE(std::isinf(values[2]) && values[2] < 0) << values[2];
  EXPECT_TRUE(std::isnan(values[3])) << values[3];
}

TEST_P(BackendConformance, SqrtValues) {
  KernelRun out =
      run(unaryGraph("nn.sqrt", "tensor<3xf32>"), {f32({3}, {0, 4, 2.25f})});
  if (!out)
    return;
  expectClose(out[0], {3}, {0, 2, 1.5});
}

TEST_P(BackendConformance, ReluClampsNegatives) {
  KernelRun out = run(unaryGraph("nn.relu", "tensor<2x2xf32>"),
                      {f32({2, 2}, {-1, 0, 2.5f, -0.5f})});
  if (!out)
    return;
  expectClose(out[0], {2, 2}, {0, 0, 2.5, 0});
}

TEST_P(BackendConformance, LeakyReluDefaultAndExplicitAlpha) {
  KernelRun byDefault = run(unaryGraph("nn.leaky_relu", "tensor<3xf32>"),
                            {f32({3}, {-100, 0, 3})});
  if (!byDefault)
    return;
  expectClose(byDefault[0], {3}, {-1, 0, 3});

  KernelRun explicitAlpha =
      run(unaryGraph("nn.leaky_relu", "tensor<2xf32>", "alpha 2.000000e-01"),
          {f32({2}, {-5, 5})});
  if (!explicitAlpha)
    return;
  expectClose(explicitAlpha[0], {2}, {-1, 5});
}

TEST_P(BackendConformance, SigmoidValues) {
  // sigmoid(ln 3) = 3 / 4.
  KernelRun out = run(unaryGraph("nn.sigmoid", "tensor<3xf32>"),
                      {f32({3}, {0, static_cast<float>(std::log(3.0)), -100})});
  if (!out)
    return;
  expectClose(out[0], {3}, {0.5, 0.75, 0});
}

TEST_P(BackendConformance, TanhValues) {
  // tanh(atanh(1/2)) = 1/2, with atanh(1/2) = ln(3) / 2.
  KernelRun out =
      run(unaryGraph("nn.tanh", "tensor<3xf32>"),
          {f32({3}, {0, static_cast<float>(std::log(3.0) / 2), -50})});
  if (!out)
    return;
  expectClose(out[0], {3}, {0, 0.5, -1});
}

TEST_P(BackendConformance, GeluIsTheErfForm) {
  // x * Phi(x); Phi(1) = 0.841344746..., Phi(-1) = 1 - Phi(1).
  KernelRun out =
      run(unaryGraph("nn.gelu", "tensor<3xf32>"), {f32({3}, {0, 1, -1})});
  if (!out)
    return;
  expectClose(out[0], {3}, {0, 0.8413447460685429, -0.15865525393145707});
}

TEST_P(BackendConformance, GeluInF32FollowsTheErfFormOverItsRange) {
  // Every 1/64 from -12 to 12, where the f32 erf saturates at both ends,
  // against x * Phi(x) in double. The backend's erf may approximate: it
  // must stay within a few f32 ulps of 1 (5e-7), so gelu within 5e-7 * |x|.
  std::vector<float> xs = everySixtyFourthOverPlusMinusTwelve();
  int64_t n = static_cast<int64_t>(xs.size());
  std::string type = "tensor<" + std::to_string(n) + "xf32>";
  KernelRun out = run(unaryGraph("nn.gelu", type), {f32({n}, xs)});
  if (!out)
    return;
  expectMapOf(
      out[0], xs,
      [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); },
      [](double x) { return 5e-7 * std::max(1.0, std::abs(x)); });
}

TEST_P(BackendConformance, GeluKeepsNaNAndInfinity) {
  float nan = std::numeric_limits<float>::quiet_NaN();
  float inf = std::numeric_limits<float>::infinity();
  KernelRun out =
      run(unaryGraph("nn.gelu", "tensor<2xf32>"), {f32({2}, {nan, inf})});
  if (!out)
    return;
  std::vector<double> ys = valuesOf(out[0]);
  ASSERT_EQ(ys.size(), 2u);
  EXPECT_TRUE(std::isnan(ys[0]));
  EXPECT_EQ(ys[1], inf);
}

TEST_P(BackendConformance, WhereBroadcastsAndKeepsInfinitiesOut) {
  // cond [2, 1] picks row 0 from a and row 1 from b (a rank-0 -inf); NaN in
  // cond counts as nonzero. Infinities of the branch not taken never show.
  float inf = std::numeric_limits<float>::infinity();
  float nan = std::numeric_limits<float>::quiet_NaN();
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%c: tensor<3x1xf32>, %a: tensor<3x2xf32>, %b: tensor<f32>) -> tensor<3x2xf32> {
      %r = nn.where %c, %a, %b : tensor<3x1xf32>, tensor<3x2xf32>, tensor<f32> -> tensor<3x2xf32>
      return %r : tensor<3x2xf32>
    })mlir",
                      {f32({3, 1}, {1, 0, nan}),
                       f32({3, 2}, {1, inf, 3, 4, 5, 6}), f32({}, {-inf})});
  if (!out)
    return;
  // Exact: expectClose's relative tolerance cannot take infinities.
  ASSERT_EQ(out[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(valuesOf(out[0]), (std::vector<double>{1, inf, -inf, -inf, 5, 6}));
}

TEST_P(BackendConformance, WhereOnIntegers) {
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%c: tensor<4xi32>, %a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
      %r = nn.where %c, %a, %b : tensor<4xi32>, tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
      return %r : tensor<4xi32>
    })mlir",
                      {i32({4}, {0, 2, -1, 0}), i32({4}, {1, 2, 3, 4}),
                       i32({4}, {-1, -2, -3, -4})});
  if (!out)
    return;
  expectInts(out[0], {4}, {-1, 2, 3, -4});
}
