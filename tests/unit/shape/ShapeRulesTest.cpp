//===- ShapeRulesTest.cpp - Unit tests of ir/ShapeRules -------------------===//
//
// Expected shapes are worked out by hand from NumPy / PyTorch semantics, not
// from the implementation.
//
//===----------------------------------------------------------------------===//

#include "ir/ShapeRules.h"

#include <gtest/gtest.h>

#include <limits>

using namespace nnc::shape;

namespace {

constexpr int64_t D = kDynamic;
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min() + 1;

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
  EXPECT_FALSE(r.error.empty());
  EXPECT_FALSE(isupper(static_cast<unsigned char>(r.error.front()))) << r.error;
  EXPECT_NE(r.error.back(), '.') << r.error;
}

TEST(ShapeToString, Renders) {
  EXPECT_EQ(toString({}), "[]");
  EXPECT_EQ(toString({D, 64}), "[?, 64]");
  EXPECT_EQ(toString({1, 2, 3}), "[1, 2, 3]");
}

TEST(Broadcast, Numpy) {
  expectShape(broadcast({2, 3}, {2, 3}), {2, 3});
  expectShape(broadcast({2, 1}, {1, 3}), {2, 3});
  expectShape(broadcast({4, 1, 5}, {3, 1}), {4, 3, 5});
  expectShape(broadcast({}, {7, 2}), {7, 2});
  expectShape(broadcast({5}, {}), {5});
  expectShape(broadcast({D, 64}, {64}), {D, 64});
  expectShape(broadcast({D, 64}, {1, 64}), {D, 64});
  expectShape(broadcast({D, 1}, {D, 10}), {D, 10});
  expectShape(broadcast({1}, {D}), {D});
  expectShape(broadcast({0, 3}, {1, 3}), {0, 3});
}

TEST(Broadcast, Errors) {
  expectError(broadcast({D, 64}, {32}), "cannot broadcast [?, 64] with [32]");
  expectError(broadcast({D}, {32}), "cannot broadcast [?] with [32]");
  expectError(broadcast({2, 3}, {3, 2}), "cannot broadcast [2, 3] with [3, 2]");
  expectError(broadcast({-3}, {3}), "invalid extent -3");
  expectError(broadcast({kMax}, {1}), "exceeds the limit of 2^40");
  expectError(broadcast({1 << 20, 1 << 21}, {1}), "more than 2^40");
  // Each operand is fine, the result is not.
  expectError(broadcast({1 << 20, 1}, {1, int64_t(1) << 30}),
              "result shape [1048576, 1073741824] has more than 2^40");
}

TEST(Matmul, Shapes) {
  expectShape(matmul({3, 4}, {4, 5}), {3, 5});
  expectShape(matmul({D, 64}, {64, 128}), {D, 128});
  expectShape(matmul({2, 3, 4}, {4, 5}), {2, 3, 5});
  expectShape(matmul({2, 1, 3, 4}, {7, 4, 5}), {2, 7, 3, 5});
  expectShape(matmul({D, 3, 4}, {D, 4, 5}), {D, 3, 5});
  // Contracting over the batch, as in x^T @ x.
  expectShape(matmul({64, D}, {D, 64}), {64, 64});
}

TEST(Matmul, Errors) {
  expectError(matmul({3}, {3, 4}), "rank 2 or more");
  expectError(matmul({3, 4}, {4}), "rank 2 or more");
  expectError(matmul({D, 64}, {32, 10}), "inner extents 64 and 32 differ");
  expectError(matmul({64, D}, {32, 10}), "inner extents ? and 32 differ");
  expectError(matmul({2, 3, 4}, {5, 4, 6}), "batch dimensions");
  expectError(matmul({D, 3, 4}, {5, 4, 6}), "batch dimensions");
  expectError(matmul({1 << 21, 1}, {1, 1 << 21}), "more than 2^40");
}

TEST(MatmulTransposed, Shapes) {
  // Without flags it is matmul.
  expectShape(matmulTransposed({3, 4}, {4, 5}, false, false), {3, 5});
  expectShape(matmulTransposed({4, 3}, {4, 5}, true, false), {3, 5});
  expectShape(matmulTransposed({3, 4}, {5, 4}, false, true), {3, 5});
  expectShape(matmulTransposed({4, 3}, {5, 4}, true, true), {3, 5});
  // Batch axes are not transposed and still broadcast.
  expectShape(matmulTransposed({2, 1, 4, 3}, {7, 5, 4}, true, true),
              {2, 7, 3, 5});
  // x^T @ dy over a dynamic batch, and dy @ w^T.
  expectShape(matmulTransposed({D, 64}, {D, 10}, true, false), {64, 10});
  expectShape(matmulTransposed({D, 10}, {64, 10}, false, true), {D, 64});
}

TEST(MatmulTransposed, Errors) {
  expectError(matmulTransposed({3}, {3, 4}, true, false), "rank 2 or more");
  expectError(matmulTransposed({3, 4}, {4, 5}, true, false),
              "cannot multiply [4, 3] by [4, 5]: inner extents 3 and 4 differ "
              "(after transposing lhs)");
  expectError(matmulTransposed({3, 4}, {4, 5}, false, true),
              "(after transposing rhs)");
  expectError(matmulTransposed({3, 4}, {4, 5}, true, true),
              "(after transposing lhs and rhs)");
}

TEST(NormalizeAxis, Ranges) {
  EXPECT_EQ(normalizeAxis(0, 3), 0);
  EXPECT_EQ(normalizeAxis(2, 3), 2);
  EXPECT_EQ(normalizeAxis(-1, 3), 2);
  EXPECT_EQ(normalizeAxis(-3, 3), 0);
  EXPECT_EQ(normalizeAxis(3, 3), -1);
  EXPECT_EQ(normalizeAxis(-4, 3), -1);
  EXPECT_EQ(normalizeAxis(0, 0), -1);
  EXPECT_EQ(normalizeAxis(std::numeric_limits<int64_t>::min(), 3), -1);
  EXPECT_EQ(normalizeAxis(kMax, 3), -1);
}

TEST(Softmax, Axis) {
  expectShape(softmax({D, 10}, -1), {D, 10});
  expectShape(softmax({D, 10}, 0), {D, 10});
  expectError(softmax({D, 10}, 2), "axis 2 is out of range for [?, 10]");
  expectError(softmax({}, -1), "out of range");
}

TEST(Reduce, Shapes) {
  expectShape(reduce({2, 3, 4}, {}, false), {});
  expectShape(reduce({2, 3, 4}, {}, true), {1, 1, 1});
  expectShape(reduce({2, 3, 4}, {1}, false), {2, 4});
  expectShape(reduce({2, 3, 4}, {-1, 0}, false), {3});
  expectShape(reduce({2, 3, 4}, {-1, 0}, true), {1, 3, 1});
  expectShape(reduce({D, 10}, {1}, false), {D});
  expectShape(reduce({D, 10}, {0}, true), {1, 10});
  expectShape(reduce({}, {}, false), {});
}

TEST(Reduce, Errors) {
  expectError(reduce({2, 3}, {2}, false), "reduce axis 2 is out of range");
  expectError(reduce({2, 3}, {1, -1}, false), "reduce axis -1 is repeated");
  expectError(reduce({}, {0}, false), "out of range");
}

TEST(Reshape, Shapes) {
  expectShape(reshape({2, 3, 4}, {6, 4}), {6, 4});
  expectShape(reshape({2, 3, 4}, {-1, 4}), {6, 4});
  expectShape(reshape({2, 3, 4}, {-1}), {24});
  expectShape(reshape({2, 3, 4}, {2, -1, 2}), {2, 6, 2});
  expectShape(reshape({D, 4, 4}, {-1, 16}), {D, 16});
  expectShape(reshape({D, 16}, {-1, 4, 4}), {D, 4, 4});
  expectShape(reshape({D, 16}, {D, 4, 4}), {D, 4, 4});
  // The batch merged with the next extent, and split from it again.
  expectShape(reshape({D, 32, 65}, {-1, 65}), {D, 65});
  expectShape(reshape({D, 65}, {-1, 32, 65}), {D, 32, 65});
  expectShape(reshape({D, 6}, {-1, 3}), {D, 3});
  expectShape(reshape({}, {1, 1}), {1, 1});
  expectShape(reshape({1, 1}, {}), {});
}

TEST(Reshape, Errors) {
  expectError(reshape({2, 3}, {4, 2}), "cannot reshape [2, 3] (6 elements) to "
                                       "[4, 2] (8 elements)");
  expectError(reshape({2, 3}, {-1, 4}), "cannot reshape [2, 3] (6 elements)");
  expectError(reshape({2, 3}, {-1, -1}), "more than one -1");
  expectError(reshape({2, 3}, {0, 6}), "invalid extent 0");
  expectError(reshape({2, 3}, {-2, 3}), "invalid extent -2");
  expectError(reshape({D, 6}, {6, 1}), "needs a -1 entry");
  expectError(reshape({D, 6}, {-1, 4}),
              "cannot reshape [?, 6] to [-1, 4]: the -1 entry must hold the "
              "dynamic dimension times or divided by a whole number, but 6 "
              "and 4 do not divide one another");
  expectError(reshape({D, D}, {-1}), "more than one dynamic");
  expectError(reshape({2}, {kMax, kMax, -1}), "more than 2^40");
  expectError(reshape({2}, {1 << 30, 1 << 30, 2}), "more than 2^40");
}

TEST(Transpose, Shapes) {
  expectShape(transpose({2, 3, 4}, {}), {4, 3, 2});
  expectShape(transpose({2, 3, 4}, {0, 2, 1}), {2, 4, 3});
  expectShape(transpose({D, 64}, {1, 0}), {64, D});
  expectShape(transpose({}, {}), {});
}

TEST(Transpose, Errors) {
  expectError(transpose({2, 3}, {0}), "does not match the rank");
  expectError(transpose({2, 3}, {0, 0}), "not a permutation of [0, 2)");
  expectError(transpose({2, 3}, {0, 2}), "not a permutation");
  expectError(transpose({2, 3}, {-1, 0}), "not a permutation");
}

TEST(BroadcastTo, Shapes) {
  expectShape(broadcastTo({3}, {2, 3}), {2, 3});
  expectShape(broadcastTo({1, 3}, {-1, 3}), {D, 3});
  expectShape(broadcastTo({3}, {-1, 3}), {D, 3});
  expectShape(broadcastTo({D, 1}, {-1, 5}), {D, 5});
  expectShape(broadcastTo({}, {4, 5}), {4, 5});
  expectShape(broadcastTo({2, 3}, {2, 3}), {2, 3});
}

TEST(BroadcastTo, Errors) {
  expectError(broadcastTo({3}, {2, 4}), "cannot broadcast [3] to [2, 4]");
  expectError(broadcastTo({2, 3}, {3}), "rank is larger");
  expectError(broadcastTo({D, 3}, {8, 3}), "cannot broadcast [?, 3] to [8, 3]");
  expectError(broadcastTo({2, 3}, {-1, 3}),
              "cannot broadcast [2, 3] to [?, 3]");
  expectError(broadcastTo({3}, {-5, 3}), "invalid extent -5");
  expectError(broadcastTo({1, 1}, {2, 0}),
              "broadcast_to target [2, 0] has invalid extent 0");
  expectError(broadcastTo({1}, {kMax}), "more than 2^40");
}

TEST(Concat, Shapes) {
  expectShape(concat({{2, 3}, {4, 3}}, 0), {6, 3});
  expectShape(concat({{2, 3}, {2, 5}, {2, 1}}, -1), {2, 9});
  expectShape(concat({{D, 3}, {D, 5}}, 1), {D, 8});
  expectShape(concat({{D, 3}}, 0), {D, 3});
}

TEST(Concat, Errors) {
  expectError(concat({}, 0), "at least one operand");
  expectError(concat({{2, 3}, {2}}, 0), "ranks differ");
  expectError(concat({{2, 3}, {3, 4}}, 0), "on axis 0");
  expectError(concat({{2, 3}, {2, 3}}, 2), "concat axis 2 is out of range");
  expectError(concat({{}, {}}, 0), "out of range");
  expectError(concat({{D, 3}, {D, 3}}, 0), "dynamic dimension 0");
  expectError(concat({{D, 3}, {2, 3}}, 1), "on axis 1");
  Shape big = {int64_t(1) << 40};
  expectError(concat({big, big}, 0), "more than 2^40");
}

TEST(Slice, Shapes) {
  expectShape(slice({10}, {0}, {2}, {5}, {}), {3});
  expectShape(slice({10}, {0}, {2}, {5}, {1}), {3});
  expectShape(slice({10}, {0}, {0}, {10}, {3}), {4}); // 0, 3, 6, 9
  expectShape(slice({10}, {0}, {1}, {10}, {3}), {3}); // 1, 4, 7
  expectShape(slice({10}, {0}, {-3}, {kMax}, {}), {3});
  expectShape(slice({10}, {0}, {-100}, {100}, {}), {10});
  expectShape(slice({10}, {0}, {kMin}, {-1}, {}), {9});
  expectShape(slice({4, 10}, {1, 0}, {0, 1}, {5, 3}, {2, 1}), {2, 3});
  expectShape(slice({4, 10}, {-1}, {0}, {5}, {kMax}), {4, 1});
  expectShape(slice({D, 10}, {1}, {2}, {4}, {}), {D, 2});
  expectShape(slice({D, 10}, {0}, {0}, {kMax}, {}), {D, 10});
}

TEST(Slice, Errors) {
  expectError(slice({10}, {0}, {2}, {}, {}), "as many starts, ends");
  expectError(slice({10}, {0}, {2}, {5}, {1, 1}), "as many starts, ends");
  expectError(slice({10}, {1}, {2}, {5}, {}), "slice axis 1 is out of range");
  expectError(slice({10, 4}, {0, -2}, {0, 0}, {1, 1}, {}),
              "slice axis -2 is repeated");
  expectError(slice({10}, {0}, {2}, {5}, {0}), "slice step 0 must be positive");
  expectError(slice({10}, {0}, {2}, {5}, {-1}), "must be positive");
  expectError(slice({10}, {0}, {5}, {2}, {}), "is empty");
  expectError(slice({10}, {0}, {20}, {30}, {}), "is empty");
  expectError(slice({D, 10}, {0}, {0}, {4}, {}), "cannot slice the dynamic");
}

TEST(Conv2d, Shapes) {
  Window2d w; // stride 1, no padding
  expectShape(conv2d({1, 3, 32, 32}, {16, 3, 3, 3}, nullptr, w, 1),
              {1, 16, 30, 30});
  Shape bias = {16};
  expectShape(conv2d({D, 3, 32, 32}, {16, 3, 3, 3}, &bias, w, 1),
              {D, 16, 30, 30});
  Window2d s2;
  s2.strideH = s2.strideW = 2;
  s2.padH = s2.padW = 1;
  // (32 + 2 - 2 - 1) / 2 + 1 = 16
  expectShape(conv2d({D, 3, 32, 32}, {8, 3, 3, 3}, nullptr, s2, 1),
              {D, 8, 16, 16});
  Window2d dil;
  dil.dilationH = 2;
  dil.padW = 2;
  dil.strideW = 3;
  // h: (10 - 2*2 - 1)/1 + 1 = 6; w: (12 + 4 - 2 - 1)/3 + 1 = 5
  expectShape(conv2d({2, 4, 10, 12}, {6, 2, 3, 3}, nullptr, dil, 2),
              {2, 6, 6, 5});
  // Depthwise: groups = channels.
  expectShape(conv2d({1, 8, 5, 5}, {8, 1, 5, 5}, nullptr, w, 8), {1, 8, 1, 1});
  // The window's kh/kw are ignored in favour of the weight's.
  Window2d k7;
  k7.kh = k7.kw = 7;
  expectShape(conv2d({1, 1, 4, 4}, {1, 1, 2, 2}, nullptr, k7, 1), {1, 1, 3, 3});
}

TEST(Conv2d, Errors) {
  Window2d w;
  expectError(conv2d({3, 32, 32}, {16, 3, 3, 3}, nullptr, w, 1),
              "conv2d input must be [n, c, h, w], got [3, 32, 32]");
  expectError(conv2d({1, 3, 32, 32}, {16, 3, 3}, nullptr, w, 1),
              "conv2d weight must be");
  expectError(conv2d({1, 3, 32, 32}, {16, 4, 3, 3}, nullptr, w, 1),
              "conv2d input [1, 3, 32, 32] has 3 channels but the weight "
              "[16, 4, 3, 3] expects 4");
  expectError(conv2d({1, 4, 8, 8}, {6, 4, 3, 3}, nullptr, w, 2),
              "expects 4 per group (groups = 2)");
  expectError(conv2d({1, 3, 8, 8}, {6, 1, 3, 3}, nullptr, w, 2), "must divide");
  expectError(conv2d({1, 4, 8, 8}, {5, 2, 3, 3}, nullptr, w, 2), "must divide");
  expectError(conv2d({1, 3, 8, 8}, {6, 3, 3, 3}, nullptr, w, 0),
              "groups must be positive");
  Shape badBias = {7};
  expectError(conv2d({1, 3, 8, 8}, {6, 3, 3, 3}, &badBias, w, 1),
              "conv2d bias must be [6], got [7]");
  expectError(conv2d({1, 3, 2, 8}, {6, 3, 3, 3}, nullptr, w, 1),
              "does not fit");
  expectError(conv2d({1, D, 8, 8}, {6, 3, 3, 3}, nullptr, w, 1),
              "dynamic batch");
  expectError(conv2d({1, 3, 8, D}, {6, 3, 3, 3}, nullptr, w, 1),
              "dynamic batch");
  Window2d bad = w;
  bad.strideH = 0;
  expectError(conv2d({1, 3, 8, 8}, {6, 3, 3, 3}, nullptr, bad, 1),
              "stride must be positive");
  bad = w;
  bad.padW = -1;
  expectError(conv2d({1, 3, 8, 8}, {6, 3, 3, 3}, nullptr, bad, 1),
              "padding must not be negative");
  bad = w;
  bad.dilationW = 0;
  expectError(conv2d({1, 3, 8, 8}, {6, 3, 3, 3}, nullptr, bad, 1),
              "dilation must be positive");
  expectError(conv2d({1, 3, 8, 8}, {6, 3, 0, 3}, nullptr, w, 1),
              "kernel must not be empty");
}

TEST(Conv2d, HugeAttributesDoNotOverflow) {
  Window2d w;
  w.dilationH = kMax; // Kernel span far beyond the input.
  expectError(conv2d({1, 3, 8, 8}, {6, 3, 3, 3}, nullptr, w, 1),
              "does not fit");
  w = Window2d();
  w.padH = kMax; // Output extent far beyond the element limit.
  expectError(conv2d({1, 3, 8, 8}, {6, 3, 3, 3}, nullptr, w, 1),
              "more than 2^40");
  w = Window2d();
  w.strideH = w.strideW = kMax; // One window position only.
  expectShape(conv2d({1, 3, 8, 8}, {6, 3, 3, 3}, nullptr, w, 1), {1, 6, 1, 1});
  w = Window2d();
  expectError(conv2d({1, 0, 8, 8}, {6, 0, 3, 3}, nullptr, w, kMax),
              "must divide");
}

TEST(Pool2d, Shapes) {
  Window2d w;
  w.kh = w.kw = 2;
  w.strideH = w.strideW = 2;
  expectShape(pool2d({D, 16, 32, 32}, w), {D, 16, 16, 16});
  w.kh = w.kw = 3;
  w.padH = w.padW = 1;
  w.strideH = w.strideW = 1;
  expectShape(pool2d({1, 4, 7, 7}, w), {1, 4, 7, 7});
  w.strideH = 2;
  // h: (7 + 2 - 3)/2 + 1 = 4
  expectShape(pool2d({1, 4, 7, 7}, w), {1, 4, 4, 7});
}

TEST(Pool2d, Errors) {
  Window2d w;
  w.kh = w.kw = 2;
  expectError(pool2d({4, 7, 7}, w), "pool2d input must be [n, c, h, w]");
  Window2d pad = w;
  pad.padH = 2;
  expectError(pool2d({1, 4, 7, 7}, pad),
              "pool2d padding [2, 0] exceeds half the kernel [2, 2]");
  Window2d big = w;
  big.kh = 9;
  expectError(pool2d({1, 4, 7, 7}, big), "does not fit");
  Window2d zero = w;
  zero.kw = 0;
  expectError(pool2d({1, 4, 7, 7}, zero), "kernel must be positive");
  Window2d stride = w;
  stride.strideW = -2;
  expectError(pool2d({1, 4, 7, 7}, stride), "stride must be positive");
  expectError(pool2d({1, 4, D, 7}, w), "static spatial");
  Window2d huge = w;
  huge.kh = kMax;
  huge.padH = kMax / 2;
  expectError(pool2d({1, 4, 7, 7}, huge), "more than 2^40");
}

TEST(BatchNorm, Shapes) {
  expectShape(batchNorm({D, 8, 4, 4}, {8}, {8}, {8}, {8}), {D, 8, 4, 4});
  expectShape(batchNorm({D, 8}, {8}, {8}, {8}, {8}), {D, 8});
}

TEST(BatchNorm, Errors) {
  expectError(batchNorm({8}, {8}, {8}, {8}, {8}), "[n, c, ...]");
  expectError(batchNorm({2, 8}, {4}, {8}, {8}, {8}),
              "batch_norm gamma must be [8], got [4]");
  expectError(batchNorm({2, 8}, {8}, {8}, {8}, {8, 1}),
              "batch_norm var must be [8], got [8, 1]");
  expectError(batchNorm({2, D}, {8}, {8}, {8}, {8}), "must be static");
}

TEST(Attention, Shapes) {
  // q [..., t, d], k [..., s, d], v [..., s, dv] -> [..., t, dv].
  expectShape(
      attention({D, 4, 64, 32}, {D, 4, 64, 32}, {D, 4, 64, 32}, nullptr),
      {D, 4, 64, 32});
  expectShape(attention({D, 10, 8}, {D, 7, 8}, {D, 7, 3}, nullptr), {D, 10, 3});
  expectShape(attention({5, 8}, {6, 8}, {6, 2}, nullptr), {5, 2});
  // The mask broadcasts to the scores [..., t, s].
  Shape causal{10, 7}, padding{D, 1, 1, 7}, perHead{D, 4, 10, 7};
  expectShape(attention({D, 10, 8}, {D, 7, 8}, {D, 7, 3}, &causal), {D, 10, 3});
  expectShape(attention({D, 4, 10, 8}, {D, 4, 7, 8}, {D, 4, 7, 3}, &padding),
              {D, 4, 10, 3});
  expectShape(attention({D, 4, 10, 8}, {D, 4, 7, 8}, {D, 4, 7, 3}, &perHead),
              {D, 4, 10, 3});
  EXPECT_DOUBLE_EQ(attentionScale(0, 16), 0.25);
  EXPECT_DOUBLE_EQ(attentionScale(0.5, 16), 0.5);
}

TEST(Attention, Errors) {
  expectError(attention({8}, {8}, {8}, nullptr), "at least 2");
  expectError(attention({D, 4, 8}, {D, 4, 8}, {D, 4, 4, 8}, nullptr),
              "of one rank");
  expectError(attention({D, 4, 8}, {2, 4, 8}, {D, 4, 8}, nullptr),
              "same leading dimensions");
  expectError(attention({D, 4, 8}, {D, 4, 6}, {D, 4, 8}, nullptr),
              "same last dimension");
  expectError(attention({D, 4, 8}, {D, 5, 8}, {D, 4, 8}, nullptr),
              "as many rows (keys)");
  Shape wide{4, 5}, grown{D, 2, 4, 4};
  expectError(attention({D, 4, 8}, {D, 4, 8}, {D, 4, 8}, &wide),
              "mask [4, 5] does not broadcast to the scores [?, 4, 4]");
  expectError(attention({D, 4, 8}, {D, 4, 8}, {D, 4, 8}, &grown),
              "does not broadcast");
  expectError(attentionGrad({D, 4, 8}, {D, 4, 8}, {D, 4, 8}, {D, 4, 8},
                            {D, 4, 7}, nullptr),
              "dy [?, 4, 7] does not match the forward result [?, 4, 8]");
  expectError(attentionGrad({D, 4, 8}, {D, 4, 8}, {D, 4, 8}, {D, 4, 7},
                            {D, 4, 8}, nullptr),
              "out [?, 4, 7] does not match");
  expectShape(attentionGrad({D, 4, 8}, {D, 6, 8}, {D, 6, 2}, {D, 4, 2},
                            {D, 4, 2}, nullptr),
              {D, 4, 8});
}

TEST(Gather, Shapes) {
  expectShape(gather({100, 16}, {D, 12}, 0), {D, 12, 16});
  expectShape(gather({4, 5, 6}, {2}, 1), {4, 2, 6});
  expectShape(gather({4, 5, 6}, {}, -1), {4, 5});
  expectShape(gather({D, 5}, {3}, 1), {D, 3});
}

TEST(Gather, Errors) {
  expectError(gather({4, 5}, {2}, 2), "gather axis 2 is out of range");
  expectError(gather({}, {2}, 0), "out of range");
  expectError(gather({1 << 20, 4}, {1 << 20, 1 << 20}, 1), "more than 2^40");
}

TEST(RankLimit, ResultsAndOperandsPastTheLimitAreErrors) {
  Shape rank32(kMaxRank, 1);
  Shape rank33(kMaxRank + 1, 1);
  expectShape(reshape(rank32, std::vector<int64_t>(kMaxRank, 1)), rank32);
  expectError(reshape({1}, std::vector<int64_t>(100000, 1)),
              "reshape target rank 100000 exceeds the limit of 32");
  expectError(broadcastTo({1}, std::vector<int64_t>(kMaxRank + 1, 1)),
              "broadcast_to target rank 33 exceeds the limit of 32");
  expectError(gather(Shape(20, 2), Shape(20, 1), 0),
              "result rank 39 exceeds the limit of 32");
  expectError(softmax(rank33, 0), "rank 33 exceeds the limit of 32");
}

TEST(PointwiseLoss, Shapes) {
  expectShape(pointwiseLoss({D, 1}, {D, 1}), {});
  expectShape(pointwiseLoss({D, 10}, {10}), {});
  expectShape(pointwiseLoss({D, 10}, {}), {});
}

TEST(PointwiseLoss, Errors) {
  expectError(pointwiseLoss({D, 10}, {5}),
              "loss target [5] does not match prediction [?, 10]");
  // Would broadcast to [?, ?]: the classic silent bug.
  expectError(pointwiseLoss({D, 1}, {D}),
              "loss target [?] does not match prediction [?, 1]");
  expectError(pointwiseLoss({10}, {D, 10}), "does not match");
}

TEST(SoftmaxCrossEntropy, Shapes) {
  expectShape(softmaxCrossEntropy({D, 10}, {D}), {});
  expectShape(softmaxCrossEntropy({32, 10}, {32}), {});
  // Per position of a sequence: logits [B, T, V], labels [B, T].
  expectShape(softmaxCrossEntropy({D, 32, 65}, {D, 32}), {});
}

TEST(SoftmaxCrossEntropy, Errors) {
  expectError(softmaxCrossEntropy({10}, {}),
              "logits must be [n, ..., c], got [10]");
  expectError(softmaxCrossEntropy({D, 4, 10}, {D}),
              "labels must be [?, 4] (the logits' shape without the classes), "
              "got [?]");
  expectError(softmaxCrossEntropy({D, 10}, {D, 1}),
              "labels must be [?] (the logits' shape without the classes), "
              "got [?, 1]");
  expectError(softmaxCrossEntropy({D, 4, 10}, {D, 5}),
              "labels [?, 5] do not match logits [?, 4, 10]");
  expectError(softmaxCrossEntropy({32, 10}, {16}),
              "labels [16] do not match logits [32, 10]");
  expectError(softmaxCrossEntropy({D, 10}, {32}), "do not match");
  expectError(softmaxCrossEntropy({10, D}, {10}), "must be static");
}

} // namespace
