//===- PoolTest.cpp - Reference max_pool2d and avg_pool2d -----------------===//

#include "backends/ref/kernels/Pool.h"

#include "KernelTestSupport.h"

using namespace nnc;
using namespace nnc::ref::test;

namespace {

ref::Pool2dAttrs window(int64_t kernel, int64_t stride, int64_t padding,
                        bool countIncludePad = true) {
  ref::Pool2dAttrs attrs;
  attrs.kernel = {kernel, kernel};
  attrs.stride = std::array<int64_t, 2>{stride, stride};
  attrs.padding = {padding, padding};
  attrs.countIncludePad = countIncludePad;
  return attrs;
}

TEST(PoolTest, MaxWithDefaultStride) {
  Tensor x = iota({1, 1, 4, 4}, 1, 1); // 1..16
  ref::Pool2dAttrs attrs;
  attrs.kernel = {2, 2};
  Tensor out = zeros(DType::F32, {1, 1, 2, 2});
  ASSERT_OK(ref::maxPool2d(x, attrs, out));
  expectValues(out, {6, 8, 14, 16});
}

TEST(PoolTest, PaddedWindows) {
  // 1..9 padded by one; kernel 2, stride 2: windows hold {1}, {2, 3},
  // {4, 7} and {5, 6, 8, 9}.
  Tensor x = iota({1, 1, 3, 3}, 1, 1);
  Tensor out = zeros(DType::F32, {1, 1, 2, 2});
  ASSERT_OK(ref::maxPool2d(x, window(2, 2, 1), out));
  expectValues(out, {1, 3, 7, 9});
  ASSERT_OK(ref::avgPool2d(x, window(2, 2, 1), out));
  expectValues(out, {0.25, 1.25, 2.75, 7});
  ASSERT_OK(ref::avgPool2d(x, window(2, 2, 1, false), out));
  expectValues(out, {1, 2.5, 5.5, 7});

  // Padding never wins a max, even against negative values.
  Tensor negative = iota({1, 1, 3, 3}, -1, -1);
  ASSERT_OK(ref::maxPool2d(negative, window(2, 2, 1), out));
  expectValues(out, {-1, -2, -4, -5});
}

TEST(PoolTest, OverlappingWindowsOverChannels) {
  // Two channels, kernel 3 stride 1 padding 1: the output keeps the size.
  Tensor x = iota<double>({1, 2, 2, 2}); // channel 0: 0..3, channel 1: 4..7
  Tensor out = zeros(DType::F64, {1, 2, 2, 2});
  ASSERT_OK(ref::avgPool2d(x, window(3, 1, 1, false), out));
  expectValues(out, {1.5, 1.5, 1.5, 1.5, 5.5, 5.5, 5.5, 5.5});
  ASSERT_OK(ref::avgPool2d(x, window(3, 1, 1, true), out));
  expectValues(out,
               {6.0 / 9, 6.0 / 9, 6.0 / 9, 6.0 / 9, 22.0 / 9, 22.0 / 9,
                22.0 / 9, 22.0 / 9},
               1e-12);
}

TEST(PoolTest, Errors) {
  Tensor x = iota({1, 1, 4, 4});
  EXPECT_ERROR(
      ref::maxPool2d(x, window(2, 2, 2), zeros(DType::F32, {1, 1, 4, 4})),
      "max_pool2d: padding must be between 0 and half the kernel");
  EXPECT_ERROR(
      ref::avgPool2d(x, window(5, 1, 0), zeros(DType::F32, {1, 1, 1, 1})),
      "avg_pool2d: kernel does not fit the padded input");
  EXPECT_ERROR(
      ref::maxPool2d(x, window(2, 2, 0), zeros(DType::F32, {1, 1, 3, 3})),
      "max_pool2d: output has shape [1, 1, 3, 3], expected [1, 1, 2, "
      "2]");
}

} // namespace
