//===- TensorTest.cpp - Tensor, Status and type checks --------------------===//

#include "runtime/Tensor.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

using namespace nnc::rt;

namespace {

TEST(StatusTest, ErrorAndExpected) {
  EXPECT_TRUE(Error::success().ok());
  Error error = Error::failure("bad thing").withContext("file.npy");
  EXPECT_FALSE(error.ok());
  EXPECT_EQ(error.message(), "file.npy: bad thing");

  Expected<int> value = 3;
  ASSERT_TRUE(value);
  EXPECT_EQ(*value, 3);
  EXPECT_TRUE(value.takeError().ok());

  Expected<int> failed = Error::failure("nope");
  EXPECT_FALSE(failed);
  EXPECT_EQ(failed.message(), "nope");
  EXPECT_EQ(failed.takeError().message(), "nope");
}

TEST(TensorTest, CreateIsZeroedAndAligned) {
  Expected<Tensor> tensor = Tensor::create(DType::F64, {3, 5});
  ASSERT_TRUE(tensor) << tensor.message();
  EXPECT_EQ(tensor->numElements(), 15);
  EXPECT_EQ(tensor->byteSize(), 120u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(tensor->rawData()) % 64, 0u);
  for (int64_t i = 0; i < 15; ++i)
    EXPECT_EQ(tensor->at<double>(i), 0.0);
}

TEST(TensorTest, ScalarAndEmpty) {
  Expected<Tensor> scalar = Tensor::create(DType::I32, {});
  ASSERT_TRUE(scalar);
  EXPECT_EQ(scalar->numElements(), 1);
  Expected<Tensor> empty = Tensor::create(DType::F32, {4, 0});
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->numElements(), 0);
  EXPECT_EQ(empty->rawData(), nullptr);
}

TEST(TensorTest, RejectsBadShapes) {
  Expected<Tensor> negative = Tensor::create(DType::F32, {2, -1});
  ASSERT_FALSE(negative);
  // The extent as it is: "?" would hide which one is wrong.
  EXPECT_EQ(negative.message(), "negative extent -1 in shape [2, -1]");
  int64_t big = std::numeric_limits<int64_t>::max() / 2;
  EXPECT_FALSE(Tensor::create(DType::F32, {big, 4}));
  // Strides would overflow even though there are no elements.
  EXPECT_FALSE(Tensor::create(DType::F32, {0, big, big}));
  Expected<int64_t> count = checkedElementCount({big, 2}, 8);
  ASSERT_FALSE(count);
  EXPECT_EQ(count.message(),
            "shape [" + std::to_string(big) + ", 2] is too large");
}

TEST(TensorTest, MoveCloneAndViews) {
  Tensor original = Tensor::fromVector<int64_t>({2, 2}, {1, 2, 3, 4});
  Expected<Tensor> copy = original.clone();
  ASSERT_TRUE(copy);
  copy->at<int64_t>(0) = 10;
  EXPECT_EQ(original.at<int64_t>(0), 1);

  Tensor moved = std::move(original);
  EXPECT_EQ(moved.at<int64_t>(3), 4);
  EXPECT_EQ(original.numElements(), 0);

  TensorView view = moved;
  view.at<int64_t>(1) = 20;
  ConstTensorView readOnly = view;
  EXPECT_EQ(readOnly.at<int64_t>(1), 20);
  EXPECT_EQ(readOnly.shape(), (Shape{2, 2}));
}

TEST(TensorTest, Strides) {
  EXPECT_EQ(contiguousStrides({2, 3, 4}), (std::vector<int64_t>{12, 4, 1}));
  EXPECT_TRUE(contiguousStrides({}).empty());
}

TEST(TensorTest, CheckTensorTypeMessages) {
  Tensor x = Tensor::fromVector<double>({10, 64}, std::vector<double>(640));
  Error wrongType = checkTensorType("input 'x'", x, DType::F32, {-1, 64});
  EXPECT_EQ(wrongType.message(),
            "input 'x': expected f32[?, 64], got f64[10, 64]");
  EXPECT_TRUE(checkTensorType("input 'x'", x, DType::F64, {-1, 64}).ok());
  EXPECT_TRUE(checkTensorType("input 'x'", x, DType::F64, {10, 64}).ok());
  EXPECT_FALSE(checkTensorType("input 'x'", x, DType::F64, {10, 63}).ok());
  EXPECT_FALSE(checkTensorType("input 'x'", x, DType::F64, {640}).ok());
}

} // namespace
