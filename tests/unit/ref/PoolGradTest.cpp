//===- PoolGradTest.cpp - Reference pooling backward ops ------------------===//

#include "backends/ref/kernels/PoolGrad.h"

#include "GradCheck.h"

#include <limits>

using namespace nnc;
using namespace nnc::ref::test;

namespace {

ref::Pool2dAttrs pool(std::array<int64_t, 2> kernel,
                      std::optional<std::array<int64_t, 2>> stride,
                      std::array<int64_t, 2> padding, bool includePad = true) {
  ref::Pool2dAttrs attrs;
  attrs.kernel = kernel;
  attrs.stride = stride;
  attrs.padding = padding;
  attrs.countIncludePad = includePad;
  return attrs;
}

struct PoolCase {
  const char *name;
  Shape x, y;
  ref::Pool2dAttrs attrs;
};

std::vector<PoolCase> cases() {
  return {
      {"disjoint",
       {2, 2, 4, 4},
       {2, 2, 2, 2},
       pool({2, 2}, std::nullopt, {0, 0})},
      {"overlapping",
       {1, 2, 5, 4},
       {1, 2, 2, 3},
       pool({3, 2}, {{2, 1}}, {0, 0})},
      {"padded", {1, 1, 4, 5}, {1, 1, 4, 3}, pool({3, 3}, {{1, 2}}, {1, 1})},
      {"padded, real count",
       {2, 1, 3, 3},
       {2, 1, 2, 2},
       pool({2, 2}, {{2, 2}}, {1, 1}, false)},
  };
}

TEST(PoolGradTest, MaxMatchesFiniteDifferences) {
  // Random values are distinct, so every window has one maximum.
  uint64_t seed = 100;
  for (const PoolCase &c : cases()) {
    SCOPED_TRACE(c.name);
    Tensor x = randomTensor(c.x, seed++);
    Tensor dy = randomTensor(c.y, seed++);
    Tensor dx = runF64(c.x, [&](Tensor &out) {
      return ref::maxPool2dGrad(x, dy, c.attrs, out);
    });
    expectMatchesFiniteDifferences(
        dx,
        [&] {
          return runF64(
              c.y, [&](Tensor &y) { return ref::maxPool2d(x, c.attrs, y); });
        },
        x, dy);
  }
}

TEST(PoolGradTest, AvgMatchesFiniteDifferences) {
  uint64_t seed = 120;
  for (const PoolCase &c : cases()) {
    SCOPED_TRACE(c.name);
    Tensor x = randomTensor(c.x, seed++);
    Tensor dy = randomTensor(c.y, seed++);
    Tensor dx = runF64(
        c.x, [&](Tensor &out) { return ref::avgPool2dGrad(dy, c.attrs, out); });
    expectMatchesFiniteDifferences(
        dx,
        [&] {
          return runF64(
              c.y, [&](Tensor &y) { return ref::avgPool2d(x, c.attrs, y); });
        },
        x, dy);
  }
}

TEST(PoolGradTest, MaxTiesGoToTheFirstMaximum) {
  // One 2x2 window of equal values, then [1 3; 3 2]: row-major first wins.
  Tensor x = make({1, 2, 2, 2}, {5, 5, 5, 5, 1, 3, 3, 2});
  Tensor dx = zeros(DType::F32, {1, 2, 2, 2});
  ASSERT_OK(ref::maxPool2dGrad(x, make({1, 2, 1, 1}, {7, 9}),
                               pool({2, 2}, std::nullopt, {0, 0}), dx));
  expectValues(dx, {7, 0, 0, 0, 0, 9, 0, 0}, 0);
}

TEST(PoolGradTest, MaxOverlappingWindowsAddAndNaNWins) {
  // Windows [0..2) and [1..3) of [1, 4, 2] share their maximum 4; in
  // [NaN, 9] the NaN is what the forward returned.
  float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor dx = zeros(DType::F32, {1, 1, 1, 3});
  ASSERT_OK(ref::maxPool2dGrad(make({1, 1, 1, 3}, {1, 4, 2}),
                               make({1, 1, 1, 2}, {1, 2}),
                               pool({1, 2}, {{1, 1}}, {0, 0}), dx));
  expectValues(dx, {0, 3, 0}, 0);
  Tensor nanDx = zeros(DType::F32, {1, 1, 1, 2});
  ASSERT_OK(ref::maxPool2dGrad(make({1, 1, 1, 2}, {9, nan}),
                               make({1, 1, 1, 1}, {5}),
                               pool({1, 2}, std::nullopt, {0, 0}), nanDx));
  expectValues(nanDx, {0, 5}, 0);
}

TEST(PoolGradTest, AvgDivisorFollowsCountIncludePad) {
  // A 1x2 image, 1x2 kernel, padding 1 on the width (stride 2): windows
  // [pad, a] and [b, pad]; each holds one real element.
  Tensor dy = make({1, 1, 1, 2}, {4, 8});
  Tensor dx = zeros(DType::F32, {1, 1, 1, 2});
  ASSERT_OK(ref::avgPool2dGrad(dy, pool({1, 2}, {{1, 2}}, {0, 1}, true), dx));
  expectValues(dx, {2, 4}, 0);
  ASSERT_OK(ref::avgPool2dGrad(dy, pool({1, 2}, {{1, 2}}, {0, 1}, false), dx));
  expectValues(dx, {4, 8}, 0);
}

TEST(PoolGradTest, Errors) {
  Tensor dx = zeros(DType::F32, {1, 1, 4, 4});
  EXPECT_ERROR(ref::avgPool2dGrad(make({1, 1, 1, 1}, {1}),
                                  pool({2, 2}, std::nullopt, {0, 0}), dx),
               "avg_pool2d_grad: dy has shape [1, 1, 1, 1], expected "
               "[1, 1, 2, 2]");
  EXPECT_ERROR(ref::maxPool2dGrad(iota({1, 1, 4, 4}), iota({1, 1, 2, 2}),
                                  pool({2, 2}, std::nullopt, {2, 0}), dx),
               "max_pool2d_grad: padding must be between 0 and half the "
               "kernel");
}

} // namespace
