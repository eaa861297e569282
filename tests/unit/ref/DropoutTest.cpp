//===- DropoutTest.cpp - Reference dropout --------------------------------===//

#include "backends/ref/kernels/Dropout.h"

#include "GradCheck.h"

using namespace nnc;
using namespace nnc::ref::test;

namespace {

ref::DropoutAttrs attrs(double rate, uint64_t seed = 0, uint64_t step = 0,
                        bool training = true) {
  ref::DropoutAttrs result;
  result.rate = rate;
  result.seed = seed;
  result.step = step;
  result.training = training;
  return result;
}

TEST(DropoutTest, RateZeroAndEvalAreIdentity) {
  Tensor x = iota({100}, 0.5, -3);
  Tensor out = zeros(DType::F32, {100});
  ASSERT_OK(ref::dropout(x, attrs(0.0), out));
  expectValues(out, values(x), 0);
  ASSERT_OK(ref::dropout(x, attrs(0.9, 1, 0, /*training=*/false), out));
  expectValues(out, values(x), 0);
}

TEST(DropoutTest, KeepsAboutOneMinusRateAndScales) {
  constexpr int64_t kCount = 200000;
  Tensor x = make<double>({kCount}, std::vector<double>(kCount, 1.0));
  Tensor out = zeros(DType::F64, {kCount});
  ASSERT_OK(ref::dropout(x, attrs(0.3, 42), out));
  int64_t kept = 0;
  for (double v : values(out)) {
    if (v != 0) {
      ++kept;
      EXPECT_DOUBLE_EQ(v, 1 / 0.7);
    }
  }
  // The standard deviation of the kept fraction is about 0.001.
  EXPECT_NEAR(static_cast<double>(kept) / kCount, 0.7, 0.006);
}

TEST(DropoutTest, DeterministicPerSeedStepAndIndex) {
  Tensor x = make({1000}, std::vector<float>(1000, 1.0f));
  Tensor a = zeros(DType::F32, {1000}), b = zeros(DType::F32, {1000});
  ASSERT_OK(ref::dropout(x, attrs(0.5, 7, 3), a));
  ASSERT_OK(ref::dropout(x, attrs(0.5, 7, 3), b));
  EXPECT_EQ(values(a), values(b));
  // The mask is a pure function of the element index, so a backward pass
  // (or another thread) can recompute any part of it.
  for (int64_t i = 0; i < 1000; ++i)
    EXPECT_EQ(a.at<float>(i) != 0,
              ref::dropoutKeeps(7, 3, static_cast<uint64_t>(i), 0.5));
  ASSERT_OK(ref::dropout(x, attrs(0.5, 8, 3), b));
  EXPECT_NE(values(a), values(b));
  ASSERT_OK(ref::dropout(x, attrs(0.5, 7, 4), b));
  EXPECT_NE(values(a), values(b));
}

TEST(DropoutTest, RateOneDropsEverythingAndBadRatesFail) {
  Tensor x = iota({10}, 1, 1);
  Tensor out = zeros(DType::F32, {10});
  ASSERT_OK(ref::dropout(x, attrs(1.0), out));
  expectValues(out, std::vector<double>(10, 0.0), 0);
  EXPECT_ERROR(ref::dropout(x, attrs(1.5), out),
               "dropout: rate 1.5 is outside [0, 1]");
  EXPECT_ERROR(
      ref::dropout(iota<int32_t>({2}), attrs(0.5), zeros(DType::I32, {2})),
      "dropout: expected f32 or f64, got i32");
}

TEST(DropoutTest, GradMatchesFiniteDifferencesAndTheForwardMask) {
  // dropout is linear in x for a fixed (seed, step), so its gradient is the
  // same masked scaling; the mask must be the forward's.
  ref::DropoutAttrs attrs;
  attrs.rate = 0.4;
  attrs.seed = 7;
  attrs.step = 3;
  Tensor x = randomTensor({50}, 320);
  Tensor dy = randomTensor({50}, 321);
  Tensor dx = runF64(
      {50}, [&](Tensor &out) { return ref::dropoutGrad(dy, attrs, out); });
  expectMatchesFiniteDifferences(
      dx,
      [&] {
        return runF64({50},
                      [&](Tensor &y) { return ref::dropout(x, attrs, y); });
      },
      x, dy);
  int64_t dropped = 0;
  for (int64_t i = 0; i < 50; ++i) {
    bool keep = ref::dropoutKeeps(7, 3, static_cast<uint64_t>(i), 0.4);
    dropped += !keep;
    EXPECT_EQ(dx.at<double>(i), keep ? dy.at<double>(i) / 0.6 : 0.0);
  }
  EXPECT_GT(dropped, 0);
  attrs.training = false;
  Tensor same = runF64(
      {50}, [&](Tensor &out) { return ref::dropoutGrad(dy, attrs, out); });
  expectValues(same, values(dy), 0);
}

} // namespace
