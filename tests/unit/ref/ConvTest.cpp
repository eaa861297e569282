//===- ConvTest.cpp - Reference conv2d ------------------------------------===//

#include "backends/ref/kernels/Conv.h"

#include "KernelTestSupport.h"

using namespace nnc;
using namespace nnc::ref::test;

namespace {

int64_t outExtent(int64_t in, int64_t kernel, int64_t stride, int64_t pad,
                  int64_t dilation) {
  return (in + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;
}

/// conv2d computed a different way from the kernel: per image and group,
/// unfold the padded input into an explicit im2col matrix [cg*kh*kw,
/// oh*ow], then multiply the group's weights [fg, cg*kh*kw] by it.
std::vector<double> convByIm2col(const Tensor &x, const Tensor &w,
                                 const Tensor *bias,
                                 const ref::Conv2dAttrs &attrs) {
  int64_t n = x.shape()[0], c = x.shape()[1], h = x.shape()[2],
          wd = x.shape()[3];
  int64_t f = w.shape()[0], kh = w.shape()[2], kw = w.shape()[3];
  int64_t g = attrs.groups, cg = c / g, fg = f / g;
  int64_t oh =
      outExtent(h, kh, attrs.stride[0], attrs.padding[0], attrs.dilation[0]);
  int64_t ow =
      outExtent(wd, kw, attrs.stride[1], attrs.padding[1], attrs.dilation[1]);
  int64_t patch = cg * kh * kw, positions = oh * ow;
  std::vector<double> xs = values(x), ws = values(w);
  std::vector<double> result(static_cast<size_t>(n * f * positions));
  for (int64_t img = 0; img < n; ++img) {
    for (int64_t group = 0; group < g; ++group) {
      std::vector<double> cols(static_cast<size_t>(patch * positions), 0.0);
      for (int64_t row = 0; row < patch; ++row) {
        int64_t ch = row / (kh * kw), ky = (row / kw) % kh, kx = row % kw;
        for (int64_t col = 0; col < positions; ++col) {
          int64_t y = (col / ow) * attrs.stride[0] - attrs.padding[0] +
                      ky * attrs.dilation[0];
          int64_t xpos = (col % ow) * attrs.stride[1] - attrs.padding[1] +
                         kx * attrs.dilation[1];
          if (y >= 0 && y < h && xpos >= 0 && xpos < wd)
            cols[static_cast<size_t>(row * positions + col)] =
                xs[static_cast<size_t>(
                    ((img * c + group * cg + ch) * h + y) * wd + xpos)];
        }
      }
      for (int64_t fl = 0; fl < fg; ++fl) {
        int64_t filter = group * fg + fl;
        for (int64_t col = 0; col < positions; ++col) {
          double sum = bias ? values(*bias)[static_cast<size_t>(filter)] : 0;
          for (int64_t row = 0; row < patch; ++row)
            sum += ws[static_cast<size_t>(filter * patch + row)] *
                   cols[static_cast<size_t>(row * positions + col)];
          result[static_cast<size_t>((img * f + filter) * positions + col)] =
              sum;
        }
      }
    }
  }
  return result;
}

TEST(ConvTest, HandComputedWindows) {
  Tensor x = iota({1, 1, 3, 3}, 1, 1); // 1..9
  Tensor ones = make({1, 1, 2, 2}, {1, 1, 1, 1});
  Tensor out = zeros(DType::F32, {1, 1, 2, 2});
  ASSERT_OK(ref::conv2d(x, ones, std::nullopt, {}, out));
  expectValues(out, {12, 16, 24, 28});

  ref::Conv2dAttrs dilated;
  dilated.dilation = {2, 2};
  Tensor corner = zeros(DType::F32, {1, 1, 1, 1});
  ASSERT_OK(ref::conv2d(x, ones, std::nullopt, dilated, corner));
  expectValues(corner, {1 + 3 + 7 + 9});
}

TEST(ConvTest, PaddingAndStrideByHand) {
  // Padded to 4x4 with a zero border; stride 2 samples rows/cols 0 and 2.
  Tensor x = make({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor two = make({1, 1, 1, 1}, {2});
  ref::Conv2dAttrs attrs;
  attrs.padding = {1, 1};
  Tensor padded = zeros(DType::F32, {1, 1, 4, 4});
  ASSERT_OK(ref::conv2d(x, two, std::nullopt, attrs, padded));
  expectValues(padded, {0, 0, 0, 0, 0, 2, 4, 0, 0, 6, 8, 0, 0, 0, 0, 0});
  attrs.stride = {2, 2};
  Tensor strided = zeros(DType::F32, {1, 1, 2, 2});
  ASSERT_OK(ref::conv2d(x, two, make({1}, {0.5}), attrs, strided));
  expectValues(strided, {0.5, 0.5, 0.5, 8.5});
}

TEST(ConvTest, GroupsByHand) {
  Tensor x = make({1, 2, 1, 1}, {3, 5});
  Tensor out = zeros(DType::F32, {1, 2, 1, 1});
  ref::Conv2dAttrs grouped;
  grouped.groups = 2;
  ASSERT_OK(ref::conv2d(x, make({2, 1, 1, 1}, {10, 100}), std::nullopt, grouped,
                        out));
  expectValues(out, {30, 500});
  ASSERT_OK(
      ref::conv2d(x, make({2, 2, 1, 1}, {1, 1, 1, -1}), std::nullopt, {}, out));
  expectValues(out, {8, -2});
}

void expectMatchesIm2col(const ref::Conv2dAttrs &attrs) {
  Tensor x = iota<double>({2, 4, 7, 6}, 0.01, -0.8);
  Tensor w = iota<double>({6, 2, 3, 2}, -0.03, 0.7);
  Tensor bias = make<double>({6}, {0.1, -0.2, 0.3, -0.4, 0.5, -0.6});
  Shape outShape = {
      2, 6,
      outExtent(7, 3, attrs.stride[0], attrs.padding[0], attrs.dilation[0]),
      outExtent(6, 2, attrs.stride[1], attrs.padding[1], attrs.dilation[1])};
  Tensor out = zeros(DType::F64, outShape);
  ASSERT_OK(ref::conv2d(x, w, bias, attrs, out));
  expectValues(out, convByIm2col(x, w, &bias, attrs), 1e-12);
}

TEST(ConvTest, StridePaddingDilationGroupsMatchIm2col) {
  ref::Conv2dAttrs attrs;
  attrs.stride = {2, 2};
  attrs.padding = {1, 1};
  attrs.dilation = {2, 2};
  attrs.groups = 2;
  expectMatchesIm2col(attrs);
  // Different settings per axis catch height/width mix-ups.
  attrs.stride = {1, 2};
  attrs.padding = {2, 0};
  attrs.dilation = {1, 3};
  expectMatchesIm2col(attrs);
  attrs.groups = 1;
  Tensor x = iota({1, 4, 5, 5}, 0.1);
  Tensor w = iota({3, 4, 3, 3}, -0.05, 1);
  ref::Conv2dAttrs plain;
  plain.padding = {1, 1};
  Tensor out = zeros(DType::F32, {1, 3, 5, 5});
  ASSERT_OK(ref::conv2d(x, w, std::nullopt, plain, out));
  expectValues(out, convByIm2col(x, w, nullptr, plain), 1e-3);
}

TEST(ConvTest, Errors) {
  Tensor x = iota({1, 4, 3, 3});
  ref::Conv2dAttrs attrs;
  attrs.groups = 3;
  EXPECT_ERROR(ref::conv2d(x, iota({3, 1, 1, 1}), std::nullopt, attrs,
                           zeros(DType::F32, {1, 3, 3, 3})),
               "conv2d: groups 3 must divide the channels (4) and filters (3)");
  EXPECT_ERROR(ref::conv2d(x, iota({2, 2, 1, 1}), std::nullopt, {},
                           zeros(DType::F32, {1, 2, 3, 3})),
               "conv2d: weight [2, 2, 1, 1] needs 4 input channels per group");
  EXPECT_ERROR(ref::conv2d(x, iota({2, 4, 4, 4}), std::nullopt, {},
                           zeros(DType::F32, {1, 2, 1, 1})),
               "conv2d: kernel does not fit the padded input");
  EXPECT_ERROR(ref::conv2d(x, iota({2, 4, 1, 1}), iota({3}), {},
                           zeros(DType::F32, {1, 2, 3, 3})),
               "conv2d: bias has shape [3], expected [2]");
}

} // namespace
