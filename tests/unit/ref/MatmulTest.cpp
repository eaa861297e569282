//===- MatmulTest.cpp - Reference batched matmul --------------------------===//

#include "backends/ref/kernels/Matmul.h"

#include "KernelTestSupport.h"

using namespace nnc;
using namespace nnc::ref::test;

namespace {

TEST(MatmulTest, KnownProduct) {
  Tensor a = make({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = make({3, 2}, {7, 8, 9, 10, 11, 12});
  Tensor out = zeros(DType::F32, {2, 2});
  ASSERT_OK(ref::matmul(a, b, out));
  expectValues(out, {58, 64, 139, 154});
}

TEST(MatmulTest, BatchDimensionsBroadcast) {
  // a [2, 1, 2, 3] and b [3, 3, 2] give [2, 3, 2, 2]: every a[i, 0] times
  // every b[j].
  Tensor a = iota<double>({2, 1, 2, 3}, 0.5, -1);
  Tensor b = iota<double>({3, 3, 2}, -0.25, 2);
  Tensor out = zeros(DType::F64, {2, 3, 2, 2});
  ASSERT_OK(ref::matmul(a, b, out));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int r = 0; r < 2; ++r)
        for (int c = 0; c < 2; ++c) {
          double expected = 0;
          for (int p = 0; p < 3; ++p)
            expected += a.at<double>(i * 6 + r * 3 + p) *
                        b.at<double>(j * 6 + p * 2 + c);
          EXPECT_DOUBLE_EQ(out.at<double>(((i * 3 + j) * 2 + r) * 2 + c),
                           expected);
        }
}

TEST(MatmulTest, RankTwoTimesBatched) {
  // A plain matrix broadcasts against every batch of the other side.
  Tensor a = make({1, 2}, {1, -1});
  Tensor b = iota({3, 2, 2});
  Tensor out = zeros(DType::F32, {3, 1, 2});
  ASSERT_OK(ref::matmul(a, b, out));
  expectValues(out, {-2, -2, -2, -2, -2, -2});
}

TEST(MatmulTest, EmptyInnerDimensionGivesZeros) {
  Tensor out = make({2, 2}, {9, 9, 9, 9});
  ASSERT_OK(
      ref::matmul(zeros(DType::F32, {2, 0}), zeros(DType::F32, {0, 2}), out));
  expectValues(out, {0, 0, 0, 0});
}

TEST(MatmulTest, TransposeFlagsReadTheSwappedLayout) {
  // a^T is [[1, 2, 3], [4, 5, 6]] and b^T is [[7, 8], [9, 10], [11, 12]]:
  // every combination of flags gives KnownProduct's result.
  Tensor a = make({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor at = make({3, 2}, {1, 4, 2, 5, 3, 6});
  Tensor b = make({3, 2}, {7, 8, 9, 10, 11, 12});
  Tensor bt = make({2, 3}, {7, 9, 11, 8, 10, 12});
  for (bool transposeA : {false, true})
    for (bool transposeB : {false, true}) {
      Tensor out = zeros(DType::F32, {2, 2});
      ASSERT_OK(ref::matmul(transposeA ? at : a, transposeB ? bt : b,
                            ref::MatmulAttrs{transposeA, transposeB}, out));
      expectValues(out, {58, 64, 139, 154});
    }
}

TEST(MatmulTest, TransposedBatchesBroadcast) {
  // a [2, 3, 1] transposed is [2, 1, 3]; b [2, 3] transposed is [3, 2],
  // shared by both batches.
  Tensor a = make({2, 3, 1}, {1, 2, 3, -1, -2, -3});
  Tensor b = make({2, 3}, {1, 0, 1, 0, 1, 1});
  Tensor out = zeros(DType::F32, {2, 1, 2});
  ASSERT_OK(ref::matmul(a, b, ref::MatmulAttrs{true, true}, out));
  expectValues(out, {4, 5, -4, -5});
}

TEST(MatmulTest, Errors) {
  Tensor out = zeros(DType::F32, {2, 2});
  EXPECT_ERROR(ref::matmul(iota({2, 3}), iota({2, 2}), out),
               "matmul: inner dimensions differ: [2, 3] @ [2, 2]");
  EXPECT_ERROR(ref::matmul(iota({3}), iota({3, 2}), out),
               "matmul: operands need rank >= 2, got [3] and [3, 2]");
  EXPECT_ERROR(ref::matmul(iota({2, 2, 3}), iota({3, 3, 2}),
                           zeros(DType::F32, {3, 2, 2})),
               "matmul: cannot broadcast [2] with [3]");
  EXPECT_ERROR(ref::matmul(iota({2, 3}), iota({2, 2}),
                           ref::MatmulAttrs{false, true}, out),
               "matmul: inner dimensions differ: [2, 3] @ [2, 2]^T");
  EXPECT_ERROR(ref::matmul(iota<int32_t>({2, 2}), iota<int32_t>({2, 2}),
                           zeros(DType::I32, {2, 2})),
               "matmul: expected f32 or f64, got i32");
}

} // namespace
