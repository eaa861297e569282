//===- Conv2dTest.cpp - conv2d through the GEMM against naive loops -------===//

#include "backends/cpu/gemm/Conv2d.h"
#include "backends/cpu/gemm/GemmJit.h"
#include "tests/unit/gemm/RandomData.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace nnc::cpu;

namespace {

std::vector<float> randomVector(int64_t size, uint32_t seed) {
  return test_data::randomFloats(size, seed);
}

Conv2dShape makeShape(int64_t batch, int64_t channels, int64_t height,
                      int64_t width, int64_t filters, int64_t kernelH,
                      int64_t kernelW, int64_t stride, int64_t pad,
                      int64_t dilation, int64_t groups) {
  Conv2dShape s;
  s.batch = batch;
  s.channels = channels;
  s.height = height;
  s.width = width;
  s.filters = filters;
  s.kernelH = kernelH;
  s.kernelW = kernelW;
  s.strideH = stride;
  s.strideW = stride == 2 ? 3 : stride; // Unequal strides when not 1.
  s.padH = pad;
  s.padW = pad == 0 ? 0 : pad - 1;
  s.dilationH = dilation;
  s.dilationW = dilation;
  s.groups = groups;
  return s;
}

std::string describe(const Conv2dShape &s) {
  return "x[" + std::to_string(s.batch) + "," + std::to_string(s.channels) +
         "," + std::to_string(s.height) + "," + std::to_string(s.width) +
         "] w[" + std::to_string(s.filters) + ",*," +
         std::to_string(s.kernelH) + "," + std::to_string(s.kernelW) + "] s" +
         std::to_string(s.strideH) + "x" + std::to_string(s.strideW) + " p" +
         std::to_string(s.padH) + "x" + std::to_string(s.padW) + " d" +
         std::to_string(s.dilationH) + " g" + std::to_string(s.groups);
}

/// Calls f(n, f, c, oh, ow, ih, iw, xIndex, wIndex, yIndex) for every
/// (output element, tap) pair that reads the image, not the padding.
template <typename Fn> void forEachTap(const Conv2dShape &s, Fn fn) {
  int64_t cg = s.channels / s.groups, fg = s.filters / s.groups;
  int64_t oh = s.outHeight(), ow = s.outWidth();
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t f = 0; f < s.filters; ++f)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t x = 0; x < ow; ++x)
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t kh = 0; kh < s.kernelH; ++kh)
              for (int64_t kw = 0; kw < s.kernelW; ++kw) {
                int64_t ih = y * s.strideH - s.padH + kh * s.dilationH;
                int64_t iw = x * s.strideW - s.padW + kw * s.dilationW;
                if (ih < 0 || ih >= s.height || iw < 0 || iw >= s.width)
                  continue;
                int64_t channel = (f / fg) * cg + c;
                fn(((n * s.channels + channel) * s.height + ih) * s.width + iw,
                   ((f * cg + c) * s.kernelH + kh) * s.kernelW + kw,
                   ((n * s.filters + f) * oh + y) * ow + x);
              }
}

/// |got - want| within a bound that grows with the sum of |terms|.
void expectNear(const std::vector<float> &got, const std::vector<double> &want,
                const std::vector<double> &magnitude, const char *what) {
  ASSERT_EQ(got.size(), want.size());
  int failures = 0;
  for (size_t i = 0; i < got.size() && failures < 5; ++i) {
    double tolerance = 1e-5 * magnitude[i] + 1e-6;
    if (!(std::fabs(got[i] - want[i]) <= tolerance)) {
      ADD_FAILURE() << what << "[" << i << "] = " << got[i] << ", want "
                    << want[i];
      ++failures;
    }
  }
}

const Conv2dShape kShapes[] = {
    // batch, channels, h, w, filters, kh, kw, stride, pad, dilation, groups
    makeShape(2, 3, 9, 11, 4, 3, 3, 1, 1, 1, 1),
    makeShape(3, 1, 28, 28, 6, 5, 5, 1, 0, 1, 1),  // LeNet's first layer.
    makeShape(2, 6, 12, 12, 16, 5, 5, 1, 0, 1, 1), // And its second.
    makeShape(2, 6, 6, 7, 4, 5, 5, 1, 2, 1, 1),    // Short rows, padded.
    makeShape(2, 3, 20, 20, 8, 5, 5, 1, 0, 1, 1),  // Direct grad weight,
    makeShape(1, 2, 34, 34, 5, 3, 3, 1, 0, 1, 1),  // rows of 16 and 32.
    makeShape(2, 4, 10, 13, 6, 3, 2, 2, 2, 1, 2),  // Strides 2x3, groups.
    makeShape(1, 6, 15, 15, 6, 3, 3, 1, 2, 2, 3),  // Dilation 2.
    makeShape(2, 8, 7, 7, 8, 3, 3, 1, 1, 1, 8),    // Depthwise.
    makeShape(2, 16, 6, 5, 40, 1, 1, 1, 0, 1, 1),  // 1x1: no im2col.
    makeShape(1, 4, 6, 6, 4, 1, 1, 1, 0, 1, 2),    // 1x1 with groups.
    makeShape(2, 3, 5, 5, 2, 5, 5, 3, 3, 1, 1),    // Mostly padding.
    makeShape(1, 2, 4, 9, 3, 2, 3, 1, 1, 3, 1),    // Dilation past edges.
    // Small images go several to a GEMM call (imagesPerCall): 16 pixels
    // make 16 images a call, 9 make 29; the batch ends mid-block.
    makeShape(5, 8, 4, 4, 12, 3, 3, 1, 1, 1, 1),
    makeShape(4, 4, 5, 5, 6, 3, 3, 2, 1, 1, 2), // Stride 2, groups.
    makeShape(7, 6, 3, 3, 4, 1, 1, 1, 0, 1, 2), // 1x1 with groups.
    // Depthwise (computed directly): stride 2 with padding, dilation 2,
    // and rows of more than 16 columns for the weight gradient's lanes.
    makeShape(3, 6, 9, 9, 6, 3, 3, 2, 1, 1, 6),
    makeShape(2, 4, 8, 8, 4, 3, 3, 1, 2, 2, 4),
    makeShape(2, 3, 21, 37, 3, 5, 3, 1, 1, 1, 3),
    // Output rows 32 wide (the GEMM's panels with AVX-512) and three row
    // tiles of filters or more over a deep col: im2col writes the packed
    // panels itself (im2colPanels). Padded, strided, dilated, grouped.
    makeShape(2, 32, 32, 32, 26, 3, 3, 1, 2, 1, 1),
    makeShape(1, 16, 94, 94, 28, 3, 3, 2, 2, 1, 1),
    makeShape(1, 24, 32, 32, 30, 3, 3, 1, 3, 2, 1),
    makeShape(1, 64, 32, 32, 52, 3, 3, 1, 2, 1, 2),
};

class Conv2dTest : public testing::TestWithParam<Conv2dShape> {
protected:
  const GemmKernels &kernels = hostGemm();
  Conv2dShape s = GetParam();
  int64_t xSize() const { return s.batch * s.channels * s.height * s.width; }
  int64_t wSize() const {
    return s.filters * (s.channels / s.groups) * s.kernelH * s.kernelW;
  }
  int64_t ySize() const {
    return s.batch * s.filters * s.outHeight() * s.outWidth();
  }
};

TEST_P(Conv2dTest, Forward) {
  SCOPED_TRACE(describe(s));
  ASSERT_TRUE(s.valid());
  std::vector<float> x = randomVector(xSize(), 1), w = randomVector(wSize(), 2),
                     bias = randomVector(s.filters, 3);
  for (bool withBias : {false, true}) {
    std::vector<double> want(ySize()), magnitude(ySize());
    int64_t pixels = s.outHeight() * s.outWidth();
    if (withBias)
      for (int64_t i = 0; i < ySize(); ++i)
        want[i] = bias[(i / pixels) % s.filters],
        magnitude[i] = std::fabs(want[i]);
    forEachTap(s, [&](int64_t xi, int64_t wi, int64_t yi) {
      double product = double(x[xi]) * w[wi];
      want[yi] += product;
      magnitude[yi] += std::fabs(product);
    });
    std::vector<float> y(ySize(), 42.0f);
    conv2dForward(kernels, s, x.data(), w.data(),
                  withBias ? bias.data() : nullptr, y.data(), 0, s.batch);
    expectNear(y, want, magnitude, "y");

    // One image at a time gives bitwise the same output.
    std::vector<float> split(ySize(), -1.0f);
    for (int64_t n = 0; n < s.batch; ++n)
      conv2dForward(kernels, s, x.data(), w.data(),
                    withBias ? bias.data() : nullptr, split.data(), n, n + 1);
    EXPECT_EQ(0, std::memcmp(y.data(), split.data(), y.size() * 4));
  }
}

TEST_P(Conv2dTest, GradInput) {
  SCOPED_TRACE(describe(s));
  std::vector<float> dy = randomVector(ySize(), 4),
                     w = randomVector(wSize(), 5);
  std::vector<double> want(xSize()), magnitude(xSize());
  forEachTap(s, [&](int64_t xi, int64_t wi, int64_t yi) {
    double product = double(dy[yi]) * w[wi];
    want[xi] += product;
    magnitude[xi] += std::fabs(product);
  });
  std::vector<float> dx(xSize(), 42.0f);
  conv2dGradInput(kernels, s, dy.data(), w.data(), dx.data(), 0, s.batch);
  expectNear(dx, want, magnitude, "dx");

  std::vector<float> split(xSize(), -1.0f);
  for (int64_t n = s.batch; n-- > 0;)
    conv2dGradInput(kernels, s, dy.data(), w.data(), split.data(), n, n + 1);
  EXPECT_EQ(0, std::memcmp(dx.data(), split.data(), dx.size() * 4));
}

TEST_P(Conv2dTest, GradWeight) {
  SCOPED_TRACE(describe(s));
  std::vector<float> x = randomVector(xSize(), 6),
                     dy = randomVector(ySize(), 7);
  std::vector<double> want(wSize()), magnitude(wSize());
  forEachTap(s, [&](int64_t xi, int64_t wi, int64_t yi) {
    double product = double(x[xi]) * dy[yi];
    want[wi] += product;
    magnitude[wi] += std::fabs(product);
  });
  std::vector<float> dw(wSize(), 42.0f);
  conv2dGradWeight(kernels, s, x.data(), dy.data(), dw.data(), 0, s.filters);
  expectNear(dw, want, magnitude, "dw");

  // Filter ranges that cut through groups give bitwise the same weights.
  std::vector<float> split(wSize(), -1.0f);
  int64_t cut1 = s.filters / 3, cut2 = s.filters / 3 + s.filters / 2;
  conv2dGradWeight(kernels, s, x.data(), dy.data(), split.data(), cut2,
                   s.filters);
  conv2dGradWeight(kernels, s, x.data(), dy.data(), split.data(), 0, cut1);
  conv2dGradWeight(kernels, s, x.data(), dy.data(), split.data(), cut1, cut2);
  EXPECT_EQ(0, std::memcmp(dw.data(), split.data(), dw.size() * 4));
}

INSTANTIATE_TEST_SUITE_P(Shapes, Conv2dTest, testing::ValuesIn(kShapes));

TEST(Conv2dShapeTest, RejectsBadAttributes) {
  Conv2dShape s = makeShape(1, 4, 5, 5, 4, 3, 3, 1, 0, 1, 1);
  EXPECT_TRUE(s.valid());
  s.groups = 3;
  EXPECT_FALSE(s.valid());
  s = makeShape(1, 4, 5, 5, 4, 7, 7, 1, 0, 1, 1);
  EXPECT_FALSE(s.valid()); // The kernel does not fit.
  s = makeShape(1, 4, 5, 5, 4, 3, 3, 1, 0, 0, 1);
  EXPECT_FALSE(s.valid());
}

} // namespace
