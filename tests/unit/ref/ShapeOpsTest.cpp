//===- ShapeOpsTest.cpp - Reference data-movement kernels -----------------===//

#include "backends/ref/kernels/ShapeOps.h"

#include "KernelTestSupport.h"

#include <limits>

using namespace nnc;
using namespace nnc::ref::test;

namespace {

constexpr int64_t kEnd = std::numeric_limits<int64_t>::max();

TEST(ShapeOpsTest, ReshapeCopies) {
  Tensor out = zeros(DType::I64, {3, 2});
  ASSERT_OK(ref::reshape(iota<int64_t>({2, 3}), out));
  expectValues(out, {0, 1, 2, 3, 4, 5});
  EXPECT_ERROR(ref::reshape(iota({2, 3}), zeros(DType::F32, {4})),
               "reshape: cannot reshape [2, 3] to [4]");
}

TEST(ShapeOpsTest, Transpose) {
  Tensor x = iota({2, 3});
  Tensor reversed = zeros(DType::F32, {3, 2});
  ASSERT_OK(ref::transpose(x, {}, reversed));
  expectValues(reversed, {0, 3, 1, 4, 2, 5});

  // out[a][b][c] = x[c][a][b] for perm [1, 2, 0] over x [2, 3, 4].
  Tensor y = iota({2, 3, 4});
  Tensor out = zeros(DType::F32, {3, 4, 2});
  ASSERT_OK(ref::transpose(y, {{1, 2, 0}}, out));
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 4; ++b)
      for (int c = 0; c < 2; ++c)
        EXPECT_EQ(out.at<float>((a * 4 + b) * 2 + c),
                  y.at<float>((c * 3 + a) * 4 + b));

  EXPECT_ERROR(ref::transpose(x, {{0, 0}}, zeros(DType::F32, {2, 3})),
               "transpose: perm [0, 0] is not a permutation of the 2 axes");
}

TEST(ShapeOpsTest, BroadcastTo) {
  Tensor x = make({3, 1}, {1, 2, 3});
  Tensor out = zeros(DType::F32, {2, 3, 2});
  ASSERT_OK(ref::broadcastTo(x, out));
  expectValues(out, {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3});
  EXPECT_ERROR(ref::broadcastTo(x, zeros(DType::F32, {3})),
               "broadcast_to: cannot broadcast [3, 1] to [3]");
  EXPECT_ERROR(ref::broadcastTo(x, zeros(DType::F32, {2, 2})),
               "broadcast_to: cannot broadcast [3, 1] with [2, 2]");
}

TEST(ShapeOpsTest, Concat) {
  Tensor a = make<int32_t>({2, 1}, {1, 2});
  Tensor b = make<int32_t>({2, 2}, {3, 4, 5, 6});
  Tensor out = zeros(DType::I32, {2, 3});
  ASSERT_OK(ref::concat({a, b}, {-1}, out));
  expectValues(out, {1, 3, 4, 2, 5, 6});
  Tensor rows = zeros(DType::I32, {4, 2});
  ASSERT_OK(ref::concat({b, b}, {0}, rows));
  expectValues(rows, {3, 4, 5, 6, 3, 4, 5, 6});
  EXPECT_ERROR(ref::concat({a, b}, {0}, rows),
               "concat: operand shapes [2, 1] and [2, 2] differ off axis 0");
  EXPECT_ERROR(ref::concat({}, {0}, rows),
               "concat: needs at least one operand");
}

TEST(ShapeOpsTest, SliceWithSteps) {
  Tensor x = iota({10});
  Tensor out = zeros(DType::F32, {3});
  ASSERT_OK(ref::slice(x, {{0}, {1}, {8}, {3}}, out));
  expectValues(out, {1, 4, 7});
  ASSERT_OK(ref::slice(x, {{}, {-3}, {kEnd}, {}}, out));
  expectValues(out, {7, 8, 9});
  Tensor empty = zeros(DType::F32, {0});
  ASSERT_OK(ref::slice(x, {{}, {5}, {2}, {}}, empty));

  // x[:, 0:-1:2] of a [2, 5] tensor.
  Tensor y = iota({2, 5});
  Tensor columns = zeros(DType::F32, {2, 2});
  ASSERT_OK(ref::slice(y, {{1}, {0}, {-1}, {2}}, columns));
  expectValues(columns, {0, 2, 5, 7});

  EXPECT_ERROR(ref::slice(x, {{0}, {0}, {5}, {0}}, out),
               "slice: step 0 is not positive");
  EXPECT_ERROR(ref::slice(x, {{0}, {0}, {5}, {1}}, out),
               "slice: output has shape [3], expected [5]");
}

TEST(ShapeOpsTest, GatherAndEmbedding) {
  Tensor table = iota({3, 2}); // rows [0 1] [2 3] [4 5]
  Tensor rows = zeros(DType::F32, {2, 2});
  ASSERT_OK(ref::gather(table, make<int64_t>({2}, {2, 0}), {0}, rows));
  expectValues(rows, {4, 5, 0, 1});
  ASSERT_OK(ref::embedding(table, make<int32_t>({2}, {1, 1}), rows));
  expectValues(rows, {2, 3, 2, 3});

  // Along axis 1 with a [2, 2] index tensor: out[i][a][b] = x[i][idx[a][b]].
  Tensor x = iota({2, 3});
  Tensor out = zeros(DType::F32, {2, 2, 2});
  ASSERT_OK(ref::gather(x, make<int32_t>({2, 2}, {2, 1, 0, 2}), {-1}, out));
  expectValues(out, {2, 1, 0, 2, 5, 4, 3, 5});

  EXPECT_ERROR(ref::gather(table, make<int64_t>({2}, {1, 3}), {0}, rows),
               "gather: index 3 is out of range [0, 3)");
  EXPECT_ERROR(ref::gather(table, make<int64_t>({2}, {-1, 0}), {0}, rows),
               "gather: index -1 is out of range [0, 3)");
  EXPECT_ERROR(ref::gather(table, make({2}, {0, 1}), {0}, rows),
               "gather: expected i32 or i64 indices, got f32");
}

} // namespace
