//===- KernelTestSupport.h - Helpers for the reference kernel tests -*- C++
//-*-===//

#ifndef NNC_TESTS_UNIT_REF_KERNELTESTSUPPORT_H
#define NNC_TESTS_UNIT_REF_KERNELTESTSUPPORT_H

#include "runtime/Tensor.h"

#include <gtest/gtest.h>

#include <vector>

namespace nnc::ref::test {

using rt::DType;
using rt::Shape;
using rt::Tensor;

#define EXPECT_OK(expr)                                                        \
  do {                                                                         \
    ::nnc::rt::Error error_ = (expr);                                          \
    EXPECT_TRUE(error_.ok()) << error_.message();                              \
  } while (false)

#define ASSERT_OK(expr)                                                        \
  do {                                                                         \
    ::nnc::rt::Error error_ = (expr);                                          \
    ASSERT_TRUE(error_.ok()) << error_.message();                              \
  } while (false)

/// Expects `expr` to fail with exactly `text`.
#define EXPECT_ERROR(expr, text)                                               \
  do {                                                                         \
    ::nnc::rt::Error error_ = (expr);                                          \
    EXPECT_FALSE(error_.ok());                                                 \
    EXPECT_EQ(error_.message(), text);                                         \
  } while (false)

/// An f32 tensor (or T) holding `values` in C order.
template <typename T = float>
Tensor make(Shape shape, const std::vector<T> &values) {
  return Tensor::fromVector<T>(std::move(shape), values);
}

/// A zero-filled tensor.
inline Tensor zeros(DType dtype, Shape shape) {
  rt::Expected<Tensor> tensor = Tensor::create(dtype, std::move(shape));
  EXPECT_TRUE(tensor.ok()) << tensor.message();
  return std::move(tensor).value();
}

/// Values 0, 1, 2, ... scaled by `scale` and shifted by `shift`, so tests
/// get distinct, easily-traced inputs.
template <typename T = float>
Tensor iota(Shape shape, double scale = 1.0, double shift = 0.0) {
  Tensor tensor = zeros(rt::dtypeOf<T>(), std::move(shape));
  for (int64_t i = 0; i < tensor.numElements(); ++i)
    tensor.at<T>(i) = static_cast<T>(static_cast<double>(i) * scale + shift);
  return tensor;
}

/// The elements of a float or integer tensor as doubles.
inline std::vector<double> values(const Tensor &tensor) {
  std::vector<double> result;
  for (int64_t i = 0; i < tensor.numElements(); ++i) {
    switch (tensor.dtype()) {
    case DType::F32:
      result.push_back(tensor.at<float>(i));
      break;
    case DType::F64:
      result.push_back(tensor.at<double>(i));
      break;
    case DType::I32:
      result.push_back(tensor.at<int32_t>(i));
      break;
    case DType::I64:
      result.push_back(static_cast<double>(tensor.at<int64_t>(i)));
      break;
    case DType::U8:
      result.push_back(tensor.at<uint8_t>(i));
      break;
    }
  }
  return result;
}

/// Expects `tensor` to hold `expected` within `tolerance` (absolute).
inline void expectValues(const Tensor &tensor,
                         const std::vector<double> &expected,
                         double tolerance = 1e-6) {
  std::vector<double> actual = values(tensor);
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i)
    EXPECT_NEAR(actual[i], expected[i], tolerance) << "at flat index " << i;
}

} // namespace nnc::ref::test

#endif // NNC_TESTS_UNIT_REF_KERNELTESTSUPPORT_H
