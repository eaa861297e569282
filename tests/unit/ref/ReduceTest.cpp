//===- ReduceTest.cpp - Reference reductions ------------------------------===//

#include "backends/ref/kernels/Reduce.h"

#include "KernelTestSupport.h"

#include <cmath>
#include <limits>

using namespace nnc;
using namespace nnc::ref::test;

namespace {

TEST(ReduceTest, SumMeanMaxOverAxes) {
  Tensor x = make({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor all = zeros(DType::F32, {});
  ASSERT_OK(ref::reduceSum(x, {}, all));
  expectValues(all, {21});
  Tensor columns = zeros(DType::F32, {3});
  ASSERT_OK(ref::reduceSum(x, {{0}, false}, columns));
  expectValues(columns, {5, 7, 9});
  ASSERT_OK(ref::reduceMax(x, {{0}, false}, columns));
  expectValues(columns, {4, 5, 6});
  Tensor rows = zeros(DType::F32, {2, 1});
  ASSERT_OK(ref::reduceMean(x, {{-1}, true}, rows));
  expectValues(rows, {2, 5});
  Tensor kept = zeros(DType::F32, {1, 1});
  ASSERT_OK(ref::reduceMean(x, {{}, true}, kept));
  expectValues(kept, {3.5});
}

TEST(ReduceTest, NonAdjacentAxes) {
  // x[i][j][k] = 100 i + 10 j + k over [2, 3, 4]; summing axes 0 and 2
  // leaves, for each j, 4 * (0 + 100) + 2 * 4 * 10 j + 2 * (0+1+2+3).
  Tensor x = zeros(DType::F64, {2, 3, 4});
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k)
        x.at<double>((i * 3 + j) * 4 + k) = 100 * i + 10 * j + k;
  Tensor out = zeros(DType::F64, {3});
  ASSERT_OK(ref::reduceSum(x, {{2, 0}, false}, out));
  expectValues(out, {412, 492, 572});
  ASSERT_OK(ref::reduceMax(x, {{0, -1}, false}, out));
  expectValues(out, {103, 113, 123});
}

TEST(ReduceTest, MaxPropagatesNaN) {
  double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor x = make<double>({2, 2}, {1, nan, nan, 2});
  Tensor out = zeros(DType::F64, {2});
  ASSERT_OK(ref::reduceMax(x, {{1}, false}, out));
  EXPECT_TRUE(std::isnan(out.at<double>(0)));
  EXPECT_TRUE(std::isnan(out.at<double>(1)));
}

TEST(ReduceTest, Integers) {
  Tensor x = make<int64_t>({2, 2}, {-7, 0, 5, 4});
  Tensor out = zeros(DType::I64, {2});
  ASSERT_OK(ref::reduceMean(x, {{1}, false}, out));
  EXPECT_EQ(out.at<int64_t>(0), -3); // -3.5 truncated toward zero
  EXPECT_EQ(out.at<int64_t>(1), 4);
  ASSERT_OK(ref::reduceSum(x, {{0}, false}, out));
  EXPECT_EQ(out.at<int64_t>(0), -2);
  ASSERT_OK(ref::reduceMax(x, {{0}, false}, out));
  EXPECT_EQ(out.at<int64_t>(1), 4);
}

TEST(ReduceTest, EmptyReductions) {
  Tensor x = zeros(DType::F32, {2, 0});
  Tensor out = make({2}, {7, 7});
  ASSERT_OK(ref::reduceSum(x, {{1}, false}, out));
  expectValues(out, {0, 0});
  ASSERT_OK(ref::reduceMean(x, {{1}, false}, out));
  EXPECT_TRUE(std::isnan(out.at<float>(0)));
  EXPECT_ERROR(ref::reduceMax(x, {{1}, false}, out),
               "reduce_max: cannot take the maximum of no elements");
}

TEST(ReduceTest, Errors) {
  Tensor x = iota({2, 3});
  EXPECT_ERROR(ref::reduceSum(x, {{1, -1}, false}, zeros(DType::F32, {2})),
               "reduce_sum: axis -1 is repeated");
  EXPECT_ERROR(ref::reduceSum(x, {{2}, false}, zeros(DType::F32, {2})),
               "reduce_sum: axis 2 is out of range for rank 2");
  EXPECT_ERROR(ref::reduceSum(x, {{1}, false}, zeros(DType::F32, {2, 1})),
               "reduce_sum: output has shape [2, 1], expected [2]");
}

} // namespace
