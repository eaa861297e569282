//===- SoftmaxTest.cpp - Reference softmax and log_softmax ----------------===//

#include "backends/ref/kernels/Softmax.h"

#include "KernelTestSupport.h"

#include <cmath>

using namespace nnc;
using namespace nnc::ref::test;

namespace {

TEST(SoftmaxTest, KnownValues) {
  Tensor x = make<double>({3}, {1, 2, 3});
  Tensor out = zeros(DType::F64, {3});
  ASSERT_OK(ref::softmax(x, {}, out));
  double sum = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  expectValues(out,
               {std::exp(1.0) / sum, std::exp(2.0) / sum, std::exp(3.0) / sum},
               1e-15);
  ASSERT_OK(ref::logSoftmax(x, {}, out));
  expectValues(out, {1 - std::log(sum), 2 - std::log(sum), 3 - std::log(sum)},
               1e-14);
}

TEST(SoftmaxTest, RowsSumToOneOnEveryAxis) {
  Tensor x = iota({3, 4, 5}, 0.37, -2);
  Tensor out = zeros(DType::F32, {3, 4, 5});
  for (int64_t axis : {0, 1, 2, -1}) {
    ASSERT_OK(ref::softmax(x, {axis}, out));
    int64_t dim = axis < 0 ? axis + 3 : axis;
    int64_t stride = dim == 0 ? 20 : dim == 1 ? 5 : 1;
    int64_t extent = x.shape()[static_cast<size_t>(dim)];
    for (int64_t start = 0; start < 60; ++start) {
      // Visit each slice once, from its first element.
      if ((start / stride) % extent != 0)
        continue;
      double sum = 0;
      for (int64_t j = 0; j < extent; ++j)
        sum += out.at<float>(start + j * stride);
      EXPECT_NEAR(sum, 1.0, 1e-6) << "axis " << axis;
    }
  }
}

TEST(SoftmaxTest, StableForLargeLogits) {
  Tensor large = make({3}, {1000, 1001, 1002});
  Tensor small = make({3}, {0, 1, 2});
  Tensor a = zeros(DType::F32, {3}), b = zeros(DType::F32, {3});
  ASSERT_OK(ref::softmax(large, {}, a));
  ASSERT_OK(ref::softmax(small, {}, b));
  expectValues(a, values(b));
  Tensor wide = make({2}, {-1000, 1000});
  Tensor logOut = zeros(DType::F32, {2});
  ASSERT_OK(ref::logSoftmax(wide, {}, logOut));
  expectValues(logOut, {-2000, 0});
}

TEST(SoftmaxTest, Errors) {
  EXPECT_ERROR(ref::softmax(iota({2, 2}), {2}, zeros(DType::F32, {2, 2})),
               "softmax: axis 2 is out of range for rank 2");
  EXPECT_ERROR(ref::logSoftmax(iota<int32_t>({2}), {}, zeros(DType::I32, {2})),
               "log_softmax: expected f32 or f64, got i32");
}

} // namespace
