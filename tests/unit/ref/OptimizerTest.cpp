//===- OptimizerTest.cpp - Reference optimizer updates --------------------===//
//
// Truth worked out by hand from PyTorch's update rules (torch.optim.SGD,
// Adam, AdamW), the arithmetic written out step by step.
//
//===----------------------------------------------------------------------===//

#include "backends/ref/kernels/Optimizer.h"

#include "KernelTestSupport.h"

#include <cmath>

using namespace nnc;
using namespace nnc::ref::test;

namespace {

TEST(OptimizerTest, SgdWithWeightDecay) {
  // 1 - 0.1 (0.5 + 0.01 * 1) = 0.949; -2 - 0.1 (0.25 + 0.01 * -2) = -2.023.
  Tensor param = make<double>({2}, {1, -2});
  Tensor out = zeros(DType::F64, {2});
  ASSERT_OK(ref::sgdUpdate(param, make<double>({2}, {0.5, 0.25}),
                           make({}, {0.1f}), {0.01}, out));
  // lr is an f32 scalar: 0.1f is not 0.1, so the tolerance covers it.
  expectValues(out, {0.949, -2.023}, 1e-8);
}

TEST(OptimizerTest, SgdInPlaceInF32) {
  Tensor param = make({3}, {1, 2, 3});
  ASSERT_OK(
      ref::sgdUpdate(param, make({3}, {1, 1, 1}), make({}, {0.5f}), {}, param));
  expectValues(param, {0.5, 1.5, 2.5}, 0);
}

/// Three momentum steps of one parameter starting at 1 with zero velocity,
/// grads 1, 0.5, -1, lr 0.1, momentum 0.9; returns (param, velocity) after
/// each.
std::vector<std::pair<double, double>> momentumSteps(bool nesterov) {
  Tensor param = make<double>({1}, {1});
  Tensor velocity = make<double>({1}, {0});
  std::vector<std::pair<double, double>> trace;
  for (double g : {1.0, 0.5, -1.0}) {
    EXPECT_OK(ref::momentumUpdate(param, make<double>({1}, {g}), velocity,
                                  make<double>({}, {0.1}), {0.9, 0, nesterov},
                                  param, velocity));
    trace.emplace_back(param.at<double>(0), velocity.at<double>(0));
  }
  return trace;
}

TEST(OptimizerTest, MomentumThreeSteps) {
  // v = 1, p = 1 - 0.1; v = 0.9 + 0.5 = 1.4, p = 0.9 - 0.14;
  // v = 1.26 - 1 = 0.26, p = 0.76 - 0.026.
  std::vector<std::pair<double, double>> trace = momentumSteps(false);
  ASSERT_EQ(trace.size(), 3u);
  EXPECT_NEAR(trace[0].first, 0.9, 1e-15);
  EXPECT_NEAR(trace[0].second, 1.0, 1e-15);
  EXPECT_NEAR(trace[1].first, 0.76, 1e-15);
  EXPECT_NEAR(trace[1].second, 1.4, 1e-15);
  EXPECT_NEAR(trace[2].first, 0.734, 1e-15);
  EXPECT_NEAR(trace[2].second, 0.26, 1e-15);
}

TEST(OptimizerTest, NesterovThreeSteps) {
  // Same velocities; the step is g + 0.9 v: 1.9, 0.5 + 1.26 = 1.76,
  // -1 + 0.234 = -0.766.
  std::vector<std::pair<double, double>> trace = momentumSteps(true);
  ASSERT_EQ(trace.size(), 3u);
  EXPECT_NEAR(trace[0].first, 1 - 0.19, 1e-15);
  EXPECT_NEAR(trace[1].first, 0.81 - 0.176, 1e-15);
  EXPECT_NEAR(trace[2].first, 0.634 + 0.0766, 1e-15);
  EXPECT_NEAR(trace[2].second, 0.26, 1e-15);
}

TEST(OptimizerTest, MomentumWeightDecayEntersTheVelocity) {
  // g = 1 + 0.1 * 2 = 1.2, v = 0.5 * 3 + 1.2 = 2.7, p = 2 - 0.1 * 2.7.
  Tensor param = make({1}, {2}), velocity = make({1}, {3});
  Tensor newParam = zeros(DType::F32, {1}),
         newVelocity = zeros(DType::F32, {1});
  ASSERT_OK(ref::momentumUpdate(param, make({1}, {1}), velocity,
                                make({}, {0.1f}), {0.5, 0.1, false}, newParam,
                                newVelocity));
  expectValues(newParam, {1.73}, 1e-6);
  expectValues(newVelocity, {2.7}, 1e-6);
}

TEST(OptimizerTest, AdamThreeStepsWithBiasCorrection) {
  // beta1 0.9, beta2 0.999, eps 1e-8, lr 0.1; p = 1, grads 0.5, -1, 0.25.
  Tensor param = make<double>({1}, {1});
  Tensor m = make<double>({1}, {0}), v = make<double>({1}, {0});
  auto step = [&](int64_t t, double g) {
    EXPECT_OK(ref::adamUpdate(param, make<double>({1}, {g}), m, v,
                              make<int64_t>({}, {t}), make<double>({}, {0.1}),
                              {}, param, m, v));
  };
  // t = 1: m = 0.05, v = 0.00025; m^ = 0.05 / 0.1 = 0.5, v^ = 0.00025 /
  // 0.001 = 0.25; p = 1 - 0.1 * 0.5 / (0.5 + 1e-8).
  step(1, 0.5);
  double p1 = 1 - 0.1 * 0.5 / (0.5 + 1e-8);
  EXPECT_NEAR(param.at<double>(0), p1, 1e-14);
  EXPECT_NEAR(m.at<double>(0), 0.05, 1e-16);
  EXPECT_NEAR(v.at<double>(0), 0.00025, 1e-18);
  // t = 2: m = 0.045 - 0.1 = -0.055, v = 0.00024975 + 0.001 = 0.00124975;
  // corrections 1 - 0.81 = 0.19 and 1 - 0.998001 = 0.001999.
  step(2, -1);
  double p2 =
      p1 - 0.1 * (-0.055 / 0.19) / (std::sqrt(0.00124975 / 0.001999) + 1e-8);
  EXPECT_NEAR(param.at<double>(0), p2, 1e-14);
  EXPECT_NEAR(param.at<double>(0), 0.93661035424, 1e-10);
  EXPECT_NEAR(m.at<double>(0), -0.055, 1e-16);
  EXPECT_NEAR(v.at<double>(0), 0.00124975, 1e-17);
  // t = 3: m = -0.0495 + 0.025 = -0.0245, v = 0.00124850025 + 0.0000625 =
  // 0.00131100025; corrections 0.271 and 0.002997001.
  step(3, 0.25);
  double p3 = p2 - 0.1 * (-0.0245 / 0.271) /
                       (std::sqrt(0.00131100025 / 0.002997001) + 1e-8);
  EXPECT_NEAR(param.at<double>(0), p3, 1e-14);
  EXPECT_NEAR(m.at<double>(0), -0.0245, 1e-16);
  EXPECT_NEAR(v.at<double>(0), 0.00131100025, 1e-17);
}

TEST(OptimizerTest, AdamBiasCorrectionFollowsTheStepOperand) {
  // Zero state at t = 3 (i32 step): m = 0.05, v = 0.00025, corrections
  // 1 - 0.729 = 0.271 and 1 - 0.997002999 = 0.002997001.
  Tensor param = make({1}, {1});
  Tensor m = make({1}, {0}), v = make({1}, {0});
  ASSERT_OK(ref::adamUpdate(param, make({1}, {0.5f}), m, v,
                            make<int32_t>({}, {3}), make({}, {0.1f}), {}, param,
                            m, v));
  double expected =
      1 - 0.1 * (0.05 / 0.271) / (std::sqrt(0.00025 / 0.002997001) + 1e-8);
  expectValues(param, {expected}, 1e-6);
  expectValues(m, {0.05}, 1e-8);
  expectValues(v, {0.00025}, 1e-10);
}

TEST(OptimizerTest, AdamL2AndAdamWDecoupledDecay) {
  ref::AdamAttrs attrs;
  attrs.weightDecay = 0.1;
  Tensor grad = make<double>({1}, {0.5});
  Tensor zero = make<double>({1}, {0});
  Tensor lr = make<double>({}, {0.1});
  Tensor step = make<int64_t>({}, {1});
  Tensor p = zeros(DType::F64, {1}), m = zeros(DType::F64, {1}),
         v = zeros(DType::F64, {1});
  // Adam (L2): g = 0.5 + 0.1 = 0.6, m^ = 0.6, v^ = 0.36, p = 1 - 0.1 * 0.6 /
  // (0.6 + 1e-8).
  ASSERT_OK(ref::adamUpdate(make<double>({1}, {1}), grad, zero, zero, step, lr,
                            attrs, p, m, v));
  expectValues(p, {1 - 0.1 * 0.6 / (0.6 + 1e-8)}, 1e-15);
  expectValues(m, {0.06}, 1e-16);
  expectValues(v, {0.00036}, 1e-18);
  // AdamW: p = 1 * (1 - 0.1 * 0.1) = 0.99, then the plain step of g = 0.5.
  attrs.decoupled = true;
  ASSERT_OK(ref::adamUpdate(make<double>({1}, {1}), grad, zero, zero, step, lr,
                            attrs, p, m, v));
  expectValues(p, {0.99 - 0.1 * 0.5 / (0.5 + 1e-8)}, 1e-15);
  expectValues(m, {0.05}, 1e-16);
}

TEST(OptimizerTest, Errors) {
  Tensor p = make({1}, {1});
  Tensor out = zeros(DType::F32, {1});
  EXPECT_ERROR(ref::sgdUpdate(p, make({2}, {1, 1}), make({}, {0.1f}), {}, out),
               "sgd_update: grad has shape [2], expected [1]");
  EXPECT_ERROR(ref::sgdUpdate(p, p, make({1}, {0.1f}), {}, out),
               "sgd_update: lr has shape [1], expected []");
  EXPECT_ERROR(ref::sgdUpdate(p, p, make<int32_t>({}, {1}), {}, out),
               "sgd_update: expected f32 or f64, got i32");
  EXPECT_ERROR(ref::adamUpdate(p, p, p, p, make<int64_t>({}, {0}),
                               make({}, {0.1f}), {}, out, out, out),
               "adam_update: step 0 is below 1");
  EXPECT_ERROR(ref::adamUpdate(p, p, p, p, make({}, {1}), make({}, {0.1f}), {},
                               out, out, out),
               "adam_update: expected i32 or i64 indices, got f32");
}

} // namespace
