//===- Pool2dTest.cpp - Native max pooling against naive loops ------------===//

#include "backends/cpu/gemm/Pool2d.h"
#include "tests/unit/gemm/RandomData.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace nnc::cpu;

namespace {

struct Window {
  int64_t batch, channels, height, width;
  int64_t kernelH, kernelW, strideH, strideW, padH, padW;
};

Conv2dShape shapeOf(const Window &w) {
  Conv2dShape s;
  s.batch = w.batch;
  s.channels = s.filters = w.channels;
  s.height = w.height;
  s.width = w.width;
  s.kernelH = w.kernelH;
  s.kernelW = w.kernelW;
  s.strideH = w.strideH;
  s.strideW = w.strideW;
  s.padH = w.padH;
  s.padW = w.padW;
  return s;
}

std::string describe(const Window &w) {
  return "x[" + std::to_string(w.batch) + "," + std::to_string(w.channels) +
         "," + std::to_string(w.height) + "," + std::to_string(w.width) +
         "] k" + std::to_string(w.kernelH) + "x" + std::to_string(w.kernelW) +
         " s" + std::to_string(w.strideH) + "x" + std::to_string(w.strideW) +
         " p" + std::to_string(w.padH) + "x" + std::to_string(w.padW);
}

/// Values from a small set, so windows hold ties (and +0 next to -0), with
/// a NaN now and then.
std::vector<float> inputFor(int64_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  const float values[] = {-2.0f, -1.0f, -0.0f, 0.0f, 0.5f, 1.0f, 3.0f};
  std::vector<float> v(static_cast<size_t>(size));
  for (float &x : v) {
    uint32_t r = rng();
    x = r % 53 == 0 ? std::numeric_limits<float>::quiet_NaN() : values[r % 7];
  }
  return v;
}

std::vector<float> gradientFor(int64_t size, uint32_t seed) {
  return test_data::randomFloats(size, seed);
}

/// For every window, the flat input indices of its real elements in
/// row-major window order.
std::vector<std::vector<int64_t>> windowsOf(const Conv2dShape &s) {
  std::vector<std::vector<int64_t>> windows;
  for (int64_t plane = 0; plane < s.batch * s.channels; ++plane)
    for (int64_t oh = 0; oh < s.outHeight(); ++oh)
      for (int64_t ow = 0; ow < s.outWidth(); ++ow) {
        std::vector<int64_t> inputs;
        for (int64_t kh = 0; kh < s.kernelH; ++kh)
          for (int64_t kw = 0; kw < s.kernelW; ++kw) {
            int64_t ih = oh * s.strideH - s.padH + kh;
            int64_t iw = ow * s.strideW - s.padW + kw;
            if (ih >= 0 && ih < s.height && iw >= 0 && iw < s.width)
              inputs.push_back((plane * s.height + ih) * s.width + iw);
          }
        windows.push_back(inputs);
      }
  return windows;
}

bool sameFloat(float a, float b) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b);
  return a == b;
}

class Pool2dTest : public testing::TestWithParam<Window> {};

TEST_P(Pool2dTest, ForwardTakesTheMaximumAndNaNWins) {
  Conv2dShape s = shapeOf(GetParam());
  ASSERT_TRUE(validPool2d(s));
  std::vector<float> x = inputFor(s.batch * s.channels * s.height * s.width, 1);
  std::vector<std::vector<int64_t>> windows = windowsOf(s);
  std::vector<float> y(windows.size(), 123.0f);
  maxPool2dForward(s, x.data(), y.data(), 0, s.batch);
  for (size_t i = 0; i < windows.size(); ++i) {
    ASSERT_FALSE(windows[i].empty());
    float expected = -std::numeric_limits<float>::infinity();
    for (int64_t at : windows[i]) {
      float v = x[static_cast<size_t>(at)];
      if (std::isnan(v)) {
        expected = v;
        break;
      }
      expected = std::max(expected, v);
    }
    ASSERT_TRUE(sameFloat(y[i], expected))
        << describe(GetParam()) << " window " << i << ": " << y[i]
        << " != " << expected;
  }
}

TEST_P(Pool2dTest, GradGoesToTheFirstMaximum) {
  Conv2dShape s = shapeOf(GetParam());
  int64_t size = s.batch * s.channels * s.height * s.width;
  std::vector<float> x = inputFor(size, 2);
  std::vector<std::vector<int64_t>> windows = windowsOf(s);
  std::vector<float> dy = gradientFor(static_cast<int64_t>(windows.size()), 3);
  std::vector<double> sums(static_cast<size_t>(size), 0.0);
  for (size_t i = 0; i < windows.size(); ++i) {
    // The first NaN, else the first element no later one exceeds.
    int64_t best = -1;
    for (int64_t at : windows[i])
      if (std::isnan(x[static_cast<size_t>(at)])) {
        best = at;
        break;
      }
    if (best < 0) {
      best = windows[i].front();
      for (int64_t at : windows[i])
        if (x[static_cast<size_t>(at)] > x[static_cast<size_t>(best)])
          best = at;
    }
    sums[static_cast<size_t>(best)] += dy[i];
  }
  std::vector<float> dx(static_cast<size_t>(size), 123.0f);
  maxPool2dGrad(s, x.data(), dy.data(), dx.data(), 0, s.batch);
  for (size_t i = 0; i < dx.size(); ++i) {
    float expected = static_cast<float>(sums[i]);
    ASSERT_EQ(std::memcmp(&dx[i], &expected, sizeof(float)), 0)
        << describe(GetParam()) << " element " << i << ": " << dx[i]
        << " != " << expected;
  }
}

TEST_P(Pool2dTest, EverySplitOfTheBatchGivesTheSameBits) {
  Conv2dShape s = shapeOf(GetParam());
  int64_t size = s.batch * s.channels * s.height * s.width;
  int64_t outSize = s.batch * s.channels * s.outHeight() * s.outWidth();
  std::vector<float> x = inputFor(size, 4);
  std::vector<float> dy = gradientFor(outSize, 5);
  std::vector<float> y(static_cast<size_t>(outSize)), dx(x.size());
  maxPool2dForward(s, x.data(), y.data(), 0, s.batch);
  maxPool2dGrad(s, x.data(), dy.data(), dx.data(), 0, s.batch);
  std::vector<float> ySplit(y.size()), dxSplit(dx.size());
  for (int64_t n = 0; n < s.batch; ++n) {
    maxPool2dForward(s, x.data(), ySplit.data(), n, n + 1);
    maxPool2dGrad(s, x.data(), dy.data(), dxSplit.data(), n, n + 1);
  }
  EXPECT_EQ(std::memcmp(y.data(), ySplit.data(), y.size() * sizeof(float)), 0);
  EXPECT_EQ(std::memcmp(dx.data(), dxSplit.data(), dx.size() * sizeof(float)),
            0);
}

// 2x2 windows with rows of 1, 4, 5 and 63 windows and odd extents left
// over; disjoint windows with gaps; overlapping windows with padding.
const Window kWindows[] = {
    {1, 1, 2, 2, 2, 2, 2, 2, 0, 0},   {3, 2, 17, 11, 2, 2, 2, 2, 0, 0},
    {2, 3, 8, 8, 2, 2, 2, 2, 0, 0},   {1, 2, 3, 127, 2, 2, 2, 2, 0, 0},
    {2, 2, 24, 24, 2, 2, 2, 2, 0, 0}, {3, 1, 17, 17, 2, 2, 3, 3, 0, 0},
    {2, 2, 17, 11, 2, 3, 3, 1, 0, 0}, {2, 1, 17, 11, 3, 3, 2, 2, 1, 1},
    {1, 3, 9, 10, 3, 2, 2, 3, 1, 1},  {1, 1, 1, 1, 1, 1, 1, 1, 0, 0},
    {17, 1, 5, 7, 3, 3, 1, 1, 1, 0},  {2, 1, 4, 4, 2, 2, 2, 2, 1, 1},
};

INSTANTIATE_TEST_SUITE_P(Windows, Pool2dTest, testing::ValuesIn(kWindows));

TEST(Pool2dShapeTest, RejectsWindowsItCannotRun) {
  Conv2dShape s = shapeOf({1, 2, 4, 4, 2, 2, 2, 2, 0, 0});
  EXPECT_TRUE(validPool2d(s));
  Conv2dShape wide = s;
  wide.padH = 2; // more than half the kernel
  EXPECT_FALSE(validPool2d(wide));
  Conv2dShape mismatched = s;
  mismatched.filters = 3;
  EXPECT_FALSE(validPool2d(mismatched));
  Conv2dShape dilated = s;
  dilated.dilationW = 2;
  EXPECT_FALSE(validPool2d(dilated));
}

} // namespace
