//===- TrainingShapeRulesTest.cpp - Shape rules of the backward ops -------===//
//
// The rules of docs/autodiff.md's backward ops. Expected shapes are worked
// out by hand from the forward ops' PyTorch semantics: a backward op's
// result is its forward input's shape, and its incoming gradient must be the
// forward result's.
//
//===----------------------------------------------------------------------===//

#include "ir/ShapeRules.h"

#include <gtest/gtest.h>

#include <limits>

using namespace nnc::shape;

namespace {

constexpr int64_t D = kDynamic;
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

/// Asserts success with exactly `expected`.
void expectShape(const ShapeResult &r, const Shape &expected) {
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.shape, expected) << toString(r.shape);
}

/// Asserts failure whose message contains `needle`, and that messages follow
/// the diagnostics convention (lower-case start, no final period).
void expectError(const ShapeResult &r, const std::string &needle) {
  ASSERT_FALSE(r.ok()) << "unexpected success: " << toString(r.shape);
  EXPECT_NE(r.error.find(needle), std::string::npos) << r.error;
  EXPECT_FALSE(isupper(static_cast<unsigned char>(r.error.front()))) << r.error;
  EXPECT_NE(r.error.back(), '.') << r.error;
}

Window2d window(int64_t k, int64_t stride, int64_t pad) {
  Window2d w;
  w.kh = w.kw = k;
  w.strideH = w.strideW = stride;
  w.padH = w.padW = pad;
  return w;
}

TEST(BatchShape, LeadingMinusOneIsTheBatch) {
  expectShape(batchShape({-1, 10}, D, "s"), {D, 10});
  expectShape(batchShape({-1, 10}, 4, "s"), {4, 10});
  expectShape(batchShape({D, 10}, 4, "s"), {4, 10});
  expectShape(batchShape({3, 10}, 4, "s"), {3, 10});
  expectShape(batchShape({}, D, "s"), {});
}

TEST(BatchShape, Errors) {
  expectError(batchShape({4, -1}, D, "slice_grad shape"),
              "slice_grad shape [4, -1] may only have -1 as its leading "
              "(batch) entry");
  expectError(batchShape({-2, 3}, D, "s"), "s [-2, 3] has invalid extent -2");
  expectError(batchShape({int64_t(1) << 30, int64_t(1) << 30}, D, "s"),
              "has more than 2^40 elements");
}

TEST(ReduceMaxGrad, Shapes) {
  expectShape(reduceMaxGrad({D, 10}, {D}, {D}, {1}, false), {D, 10});
  expectShape(reduceMaxGrad({2, 3, 4}, {2, 1, 4}, {2, 1, 4}, {-2}, true),
              {2, 3, 4});
  expectShape(reduceMaxGrad({3, 4}, {}, {}, {}, false), {3, 4});
}

TEST(ReduceMaxGrad, Errors) {
  expectError(reduceMaxGrad({D, 10}, {D, 1}, {D, 1}, {1}, false),
              "reduce_max_grad y [?, 1] does not match the forward result [?]");
  expectError(reduceMaxGrad({D, 10}, {D}, {D, 1}, {1}, false),
              "reduce_max_grad dy [?, 1] does not match the forward result "
              "[?]");
  expectError(reduceMaxGrad({D, 10}, {D}, {D}, {2}, false),
              "reduce axis 2 is out of range for [?, 10]");
}

TEST(SliceGrad, Shapes) {
  // [2:8:2] of 10 keeps 2, 4, 6: three elements.
  expectShape(sliceGrad({D, 3}, {-1, 10}, {1}, {2}, {8}, {2}), {D, 10});
  expectShape(sliceGrad({4, 3}, {-1, 10}, {1}, {2}, {8}, {2}), {4, 10});
  expectShape(sliceGrad({2, 5}, {4, 5}, {0}, {-2}, {kMax}, {1}), {4, 5});
  // The full range of the batch axis keeps it.
  expectShape(sliceGrad({D, 10}, {-1, 10}, {0}, {0}, {kMax}, {1}), {D, 10});
}

TEST(SliceGrad, Errors) {
  expectError(sliceGrad({D, 4}, {-1, 10}, {1}, {2}, {8}, {2}),
              "slice_grad dy [?, 4] does not match the forward result [?, 3]");
  expectError(sliceGrad({D, 3}, {4, -1}, {1}, {2}, {8}, {2}),
              "slice_grad shape [4, -1] may only have -1 as its leading "
              "(batch) entry");
  expectError(sliceGrad({D, 10}, {-1, 10}, {0}, {0}, {2}, {1}),
              "cannot slice the dynamic dimension 0 of [?, 10]");
}

TEST(GatherGrad, Shapes) {
  // An embedding table's gradient.
  expectShape(gatherGrad({D, 16, 64}, {D, 16}, {1000, 64}, 0), {1000, 64});
  expectShape(gatherGrad({4, 3}, {3}, {-1, 10}, 1), {4, 10});
  expectShape(gatherGrad({4, 3}, {3}, {-1, 10}, -1), {4, 10});
  // Gathered along the batch axis, dy's leading extent is the indices'.
  expectShape(gatherGrad({5, 10}, {5}, {-1, 10}, 0), {D, 10});
}

TEST(GatherGrad, Errors) {
  expectError(gatherGrad({D, 16, 32}, {D, 16}, {1000, 64}, 0),
              "gather_grad dy [?, 16, 32] does not match the forward result "
              "[?, 16, 64]");
  expectError(gatherGrad({D, 16, 64}, {D, 16}, {1000, 64}, 2),
              "gather axis 2 is out of range for [1000, 64]");
  expectError(gatherGrad({4, 3}, {3}, {10, -1}, 1),
              "gather_grad shape [10, -1] may only have -1 as its leading "
              "(batch) entry");
}

TEST(Conv2dGradInput, Shapes) {
  Window2d s2p1;
  s2p1.strideH = s2p1.strideW = 2;
  s2p1.padH = s2p1.padW = 1;
  // (32 + 2 - 3) / 2 + 1 = 16.
  expectShape(
      conv2dGradInput({D, 16, 16, 16}, {16, 3, 3, 3}, {-1, 3, 32, 32}, s2p1, 1),
      {D, 3, 32, 32});
  expectShape(
      conv2dGradInput({8, 16, 16, 16}, {16, 3, 3, 3}, {-1, 3, 32, 32}, s2p1, 1),
      {8, 3, 32, 32});
  // (31 + 2 - 3) / 2 + 1 = 16 too: input_shape says which input it was.
  expectShape(
      conv2dGradInput({D, 16, 16, 16}, {16, 3, 3, 3}, {-1, 3, 31, 31}, s2p1, 1),
      {D, 3, 31, 31});
  // Depthwise: 4 groups of one channel, (7 - 3) / 1 + 1 = 5.
  expectShape(
      conv2dGradInput({2, 4, 5, 5}, {4, 1, 3, 3}, {2, 4, 7, 7}, Window2d(), 4),
      {2, 4, 7, 7});
}

TEST(Conv2dGradInput, Errors) {
  Window2d s2p1;
  s2p1.strideH = s2p1.strideW = 2;
  s2p1.padH = s2p1.padW = 1;
  expectError(
      conv2dGradInput({D, 16, 15, 15}, {16, 3, 3, 3}, {-1, 3, 32, 32}, s2p1, 1),
      "conv2d_grad_input dy [?, 16, 15, 15] does not match the "
      "forward result [?, 16, 16, 16]");
  expectError(
      conv2dGradInput({D, 16, 16, 16}, {16, 3, 3, 3}, {-1, 4, 32, 32}, s2p1, 1),
      "conv2d input [?, 4, 32, 32] has 4 channels but the weight "
      "[16, 3, 3, 3] expects 3");
  expectError(
      conv2dGradInput({D, 16, 16, 16}, {16, 3, 3, 3}, {-1, 3, 32}, s2p1, 1),
      "conv2d input must be [n, c, h, w], got [?, 3, 32]");
}

TEST(Conv2dGradWeight, Shapes) {
  Window2d s2p1;
  s2p1.strideH = s2p1.strideW = 2;
  s2p1.padH = s2p1.padW = 1;
  expectShape(
      conv2dGradWeight({D, 3, 32, 32}, {D, 16, 16, 16}, {16, 3, 3, 3}, s2p1, 1),
      {16, 3, 3, 3});
  expectShape(
      conv2dGradWeight({2, 4, 7, 7}, {2, 4, 5, 5}, {4, 1, 3, 3}, Window2d(), 4),
      {4, 1, 3, 3});
}

TEST(Conv2dGradWeight, Errors) {
  Window2d s2p1;
  s2p1.strideH = s2p1.strideW = 2;
  s2p1.padH = s2p1.padW = 1;
  expectError(
      conv2dGradWeight({D, 3, 32, 32}, {D, 16, 16, 16}, {-1, 3, 3, 3}, s2p1, 1),
      "conv2d_grad_weight weight_shape [-1, 3, 3, 3] must be static");
  // (32 + 2 - 5) / 2 + 1 = 15.
  expectError(
      conv2dGradWeight({D, 3, 32, 32}, {D, 16, 16, 16}, {16, 3, 5, 5}, s2p1, 1),
      "conv2d_grad_weight dy [?, 16, 16, 16] does not match the "
      "forward result [?, 16, 15, 15]");
}

TEST(MaxPool2dGrad, Shapes) {
  expectShape(maxPool2dGrad({D, 16, 32, 32}, {D, 16, 16, 16}, window(2, 2, 0)),
              {D, 16, 32, 32});
  // (8 + 2 - 3) / 1 + 1 = 8.
  expectShape(maxPool2dGrad({4, 2, 8, 8}, {4, 2, 8, 8}, window(3, 1, 1)),
              {4, 2, 8, 8});
}

TEST(MaxPool2dGrad, Errors) {
  expectError(
      maxPool2dGrad({D, 16, 32, 32}, {D, 16, 15, 15}, window(2, 2, 0)),
      "max_pool2d_grad dy [?, 16, 15, 15] does not match the forward result "
      "[?, 16, 16, 16]");
  expectError(maxPool2dGrad({D, 16, 32, 32}, {D, 16, 16, 16}, window(2, 2, 2)),
              "pool2d padding [2, 2] exceeds half the kernel [2, 2]");
}

TEST(AvgPool2dGrad, Shapes) {
  expectShape(avgPool2dGrad({D, 16, 8, 8}, {-1, 16, 8, 8}, window(3, 1, 1)),
              {D, 16, 8, 8});
  expectShape(avgPool2dGrad({4, 16, 8, 8}, {-1, 16, 8, 8}, window(3, 1, 1)),
              {4, 16, 8, 8});
  // (9 - 2) / 2 + 1 = 4: the last row and column are never read.
  expectShape(avgPool2dGrad({1, 1, 4, 4}, {1, 1, 9, 9}, window(2, 2, 0)),
              {1, 1, 9, 9});
}

TEST(AvgPool2dGrad, Errors) {
  expectError(avgPool2dGrad({D, 16, 8, 8}, {-1, 16, -1, 8}, window(3, 1, 1)),
              "avg_pool2d_grad input_shape [-1, 16, -1, 8] may only have -1 "
              "as its leading (batch) entry");
  expectError(avgPool2dGrad({D, 16, 4, 4}, {-1, 16, 8, 8}, window(3, 1, 1)),
              "avg_pool2d_grad dy [?, 16, 4, 4] does not match the forward "
              "result [?, 16, 8, 8]");
}

TEST(BatchNormGrad, Shapes) {
  expectShape(batchNormGrad({D, 16, 8, 8}, {16}, {16}, {16}, {D, 16, 8, 8}),
              {D, 16, 8, 8});
  expectShape(batchNormGrad({4, 3}, {3}, {3}, {3}, {4, 3}), {4, 3});
}

TEST(BatchNormGrad, Errors) {
  expectError(batchNormGrad({D, 16, 8, 8}, {8}, {16}, {16}, {D, 16, 8, 8}),
              "batch_norm gamma must be [16], got [8]");
  expectError(batchNormGrad({D, 16, 8, 8}, {16}, {16}, {8}, {D, 16, 8, 8}),
              "batch_norm var must be [16], got [8]");
  expectError(batchNormGrad({D, 16, 8, 8}, {16}, {16}, {16}, {D, 16, 8, 4}),
              "batch_norm_grad dy [?, 16, 8, 4] does not match the forward "
              "result [?, 16, 8, 8]");
}

TEST(SoftmaxCrossEntropyGrad, Shapes) {
  expectShape(softmaxCrossEntropyGrad({D, 10}, {D}, {}), {D, 10});
  expectShape(softmaxCrossEntropyGrad({4, 3}, {4}, {}), {4, 3});
}

TEST(SoftmaxCrossEntropyGrad, Errors) {
  expectError(softmaxCrossEntropyGrad({D, 10}, {D}, {1}),
              "softmax_cross_entropy_grad dloss must be a scalar, got [1]");
  expectError(softmaxCrossEntropyGrad({D, 10}, {4}, {}),
              "softmax_cross_entropy labels [4] do not match logits [?, 10]");
}

TEST(BinaryCrossEntropyGrad, Shapes) {
  expectShape(binaryCrossEntropyGrad({D, 1}, {D, 1}, {}), {D, 1});
  expectShape(binaryCrossEntropyGrad({D, 1}, {1}, {}), {D, 1});
}

TEST(BinaryCrossEntropyGrad, Errors) {
  expectError(binaryCrossEntropyGrad({D, 1}, {D, 2}, {}),
              "loss target [?, 2] does not match prediction [?, 1]");
  expectError(binaryCrossEntropyGrad({D, 1}, {D, 1}, {D}),
              "binary_cross_entropy_grad dloss must be a scalar, got [?]");
}

} // namespace
