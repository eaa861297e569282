//===- ConvGradTest.cpp - Reference conv2d backward ops -------------------===//

#include "backends/ref/kernels/ConvGrad.h"

#include "GradCheck.h"

using namespace nnc;
using namespace nnc::ref::test;

namespace {

struct ConvCase {
  const char *name;
  Shape x, w;
  ref::Conv2dAttrs attrs;
};

int64_t outExtent(int64_t in, int64_t kernel, int64_t stride, int64_t pad,
                  int64_t dilation) {
  return (in + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;
}

Shape outShape(const ConvCase &c) {
  return {c.x[0], c.w[0],
          outExtent(c.x[2], c.w[2], c.attrs.stride[0], c.attrs.padding[0],
                    c.attrs.dilation[0]),
          outExtent(c.x[3], c.w[3], c.attrs.stride[1], c.attrs.padding[1],
                    c.attrs.dilation[1])};
}

std::vector<ConvCase> cases() {
  return {
      {"plain", {2, 2, 4, 4}, {3, 2, 3, 3}, {{1, 1}, {0, 0}, {1, 1}, 1}},
      {"stride", {1, 2, 5, 6}, {2, 2, 2, 3}, {{2, 3}, {0, 0}, {1, 1}, 1}},
      {"padding", {1, 1, 3, 4}, {2, 1, 3, 2}, {{1, 1}, {1, 2}, {1, 1}, 1}},
      {"dilation", {1, 2, 6, 5}, {1, 2, 2, 2}, {{1, 1}, {0, 1}, {2, 3}, 1}},
      {"groups", {2, 4, 4, 3}, {6, 2, 2, 2}, {{1, 1}, {1, 0}, {1, 1}, 2}},
      {"depthwise all",
       {1, 3, 5, 5},
       {3, 1, 3, 3},
       {{2, 2}, {1, 1}, {2, 1}, 3}},
  };
}

TEST(ConvGradTest, GradInputMatchesFiniteDifferences) {
  uint64_t seed = 60;
  for (const ConvCase &c : cases()) {
    SCOPED_TRACE(c.name);
    Tensor x = randomTensor(c.x, seed++);
    Tensor w = randomTensor(c.w, seed++);
    Tensor dy = randomTensor(outShape(c), seed++);
    Tensor dx = runF64(c.x, [&](Tensor &out) {
      return ref::conv2dGradInput(dy, w, c.attrs, out);
    });
    expectMatchesFiniteDifferences(
        dx,
        [&] {
          return runF64(outShape(c), [&](Tensor &y) {
            return ref::conv2d(x, w, std::nullopt, c.attrs, y);
          });
        },
        x, dy);
  }
}

TEST(ConvGradTest, GradWeightMatchesFiniteDifferences) {
  uint64_t seed = 80;
  for (const ConvCase &c : cases()) {
    SCOPED_TRACE(c.name);
    Tensor x = randomTensor(c.x, seed++);
    Tensor w = randomTensor(c.w, seed++);
    Tensor dy = randomTensor(outShape(c), seed++);
    Tensor dw = runF64(c.w, [&](Tensor &out) {
      return ref::conv2dGradWeight(x, dy, c.attrs, out);
    });
    expectMatchesFiniteDifferences(
        dw,
        [&] {
          return runF64(outShape(c), [&](Tensor &y) {
            return ref::conv2d(x, w, std::nullopt, c.attrs, y);
          });
        },
        w, dy);
  }
}

TEST(ConvGradTest, HandValuesInF32) {
  // x 1x1x2x2 = [1 2; 3 4], w 1x1x2x2 = [1 10; 100 1000], one output.
  Tensor dx = zeros(DType::F32, {1, 1, 2, 2});
  ASSERT_OK(ref::conv2dGradInput(
      make({1, 1, 1, 1}, {2}), make({1, 1, 2, 2}, {1, 10, 100, 1000}), {}, dx));
  expectValues(dx, {2, 20, 200, 2000}, 0);
  Tensor dw = zeros(DType::F32, {1, 1, 2, 2});
  ASSERT_OK(ref::conv2dGradWeight(make({1, 1, 2, 2}, {1, 2, 3, 4}),
                                  make({1, 1, 1, 1}, {-1}), {}, dw));
  expectValues(dw, {-1, -2, -3, -4}, 0);
}

TEST(ConvGradTest, Errors) {
  Tensor dx = zeros(DType::F32, {1, 1, 2, 2});
  EXPECT_ERROR(ref::conv2dGradInput(make({1, 1, 2, 2}, {1, 1, 1, 1}),
                                    make({1, 1, 2, 2}, {1, 1, 1, 1}), {}, dx),
               "conv2d_grad_input: dy has shape [1, 1, 2, 2], expected "
               "[1, 1, 1, 1]");
  Tensor dw = zeros(DType::F32, {1, 1, 3, 3});
  EXPECT_ERROR(ref::conv2dGradWeight(make({1, 1, 2, 2}, {1, 1, 1, 1}),
                                     make({1, 1, 1, 1}, {1}), {}, dw),
               "conv2d_grad_weight: kernel does not fit the padded input");
  ref::Conv2dAttrs grouped;
  grouped.groups = 2;
  EXPECT_ERROR(ref::conv2dGradInput(make({1, 1, 1, 1}, {1}),
                                    make({1, 1, 2, 2}, {1, 1, 1, 1}), grouped,
                                    dx),
               "conv2d_grad_input: groups 2 must divide the channels (1) and "
               "filters (1)");
}

} // namespace
