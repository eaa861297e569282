//===- GradCheckHarnessTest.cpp - The harness itself ----------------------===//
//
// The suite is only as good as its harness: it must fail on a gradient that
// disagrees with the finite differences, say where, fill arguments
// deterministically within their ranges, and report bad modules.
//
//===----------------------------------------------------------------------===//

#include "tests/gradcheck/GradCheckHarness.h"

#include "gtest/gtest.h"

using namespace nnc;
using namespace nnc::gradcheck;

namespace {

// relu at exactly 0: the rule gives the one-sided derivative (0 or 1) and
// central differences give 1/2, a disagreement the harness must report.
constexpr const char *kReluAtZero = R"(module {
func.func @forward(%x: tensor<3xf64> {nn.name = "x", nn.role = "param"})
    -> (tensor<f64> {nn.name = "loss", nn.role = "loss"}) {
  %r = nn.relu %x : tensor<3xf64>
  %loss = nn.reduce_sum %r : tensor<3xf64> -> tensor<f64>
  return %loss : tensor<f64>
}
})";

TEST(GradCheckHarnessTest, ReportsAGradientThatDisagrees) {
  GradCheckOptions options;
  options.fills["x"] = ArgumentFill::exactly({0.5, 0.0, -0.5});
  GradCheckReport report = checkGradients(kReluAtZero, options);
  EXPECT_FALSE(report.passed);
  EXPECT_EQ(report.elementsChecked, 3);
  EXPECT_GE(report.worstError, 0.5);
  EXPECT_NE(report.message.find("param 'x' element 1 [1] (value 0)"),
            std::string::npos)
      << report.message;
  EXPECT_NE(report.message.find("numeric 0.5"), std::string::npos)
      << report.message;
  // Elements 0 and 2 are away from the kink and agree.
  EXPECT_EQ(report.message.find("element 0"), std::string::npos);
  EXPECT_EQ(report.message.find("element 2"), std::string::npos);
}

TEST(GradCheckHarnessTest, PassesAwayFromTheKink) {
  GradCheckOptions options;
  options.fills["x"] = ArgumentFill::exactly({0.5, 0.25, -0.5});
  GradCheckReport report = checkGradients(kReluAtZero, options);
  EXPECT_TRUE(report.passed) << report.message;
  EXPECT_LT(report.worstError, 1e-8);
}

constexpr const char *kTwoArguments = R"(module {
func.func @forward(%x: tensor<4x50xf64> {nn.name = "x", nn.role = "param"},
                   %i: tensor<200xi64> {nn.name = "i", nn.role = "input"})
    -> (tensor<f64> {nn.name = "loss", nn.role = "loss"}) {
  %loss = nn.reduce_sum %x : tensor<4x50xf64> -> tensor<f64>
  return %loss : tensor<f64>
}
})";

TEST(GradCheckHarnessTest, FillsDeterministicallyWithinRanges) {
  GradCheckOptions options;
  options.fills["x"] = ArgumentFill::range(2, 3);
  options.fills["i"] = ArgumentFill::integers(-2, 5);
  auto first = GradCheckSession::create(kTwoArguments, options);
  auto second = GradCheckSession::create(kTwoArguments, options);
  ASSERT_TRUE(first.ok()) << first.message();
  ASSERT_TRUE(second.ok()) << second.message();
  rt::Tensor *x = (*first)->argument("x");
  rt::Tensor *i = (*first)->argument("i");
  ASSERT_NE(x, nullptr);
  ASSERT_NE(i, nullptr);
  for (int64_t e = 0; e < x->numElements(); ++e) {
    EXPECT_GE(x->at<double>(e), 2.0);
    EXPECT_LT(x->at<double>(e), 3.0);
    EXPECT_EQ(x->at<double>(e), (*second)->argument("x")->at<double>(e));
  }
  bool sawLow = false, sawHigh = false;
  for (int64_t e = 0; e < i->numElements(); ++e) {
    EXPECT_GE(i->at<int64_t>(e), -2);
    EXPECT_LT(i->at<int64_t>(e), 5);
    sawLow |= i->at<int64_t>(e) == -2;
    sawHigh |= i->at<int64_t>(e) == 4;
  }
  EXPECT_TRUE(sawLow && sawHigh);
}

TEST(GradCheckHarnessTest, SamplesLargeParameters) {
  GradCheckOptions options;
  options.maxElements = 10;
  GradCheckReport report = checkGradients(kTwoArguments, options);
  EXPECT_TRUE(report.passed) << report.message;
  EXPECT_EQ(report.elementsChecked, 10);
}

TEST(GradCheckHarnessTest, ReportsBadModules) {
  GradCheckReport report = checkGradients("module { func.func @forward(");
  EXPECT_FALSE(report.passed);
  EXPECT_NE(report.message.find("cannot parse the test module"),
            std::string::npos)
      << report.message;

  report = checkGradients(R"(module {
func.func @forward(%x: tensor<3xf64> {nn.name = "x", nn.role = "param"})
    -> (tensor<3xf64> {nn.name = "y", nn.role = "output"}) {
  return %x : tensor<3xf64>
}
})");
  EXPECT_FALSE(report.passed);
  EXPECT_NE(report.message.find("no scalar loss"), std::string::npos)
      << report.message;
}

TEST(GradCheckHarnessTest, SplitMix64MatchesItsReferenceOutput) {
  // The first outputs for seed 1234567 of the reference implementation
  // (Vigna's splitmix64.c).
  SplitMix64 random(1234567);
  EXPECT_EQ(random.next(), 6457827717110365317ULL);
  EXPECT_EQ(random.next(), 3203168211198807973ULL);
  EXPECT_EQ(random.next(), 9817491932198370423ULL);
}

} // namespace
