//===- GradCheck.h - Finite-difference truth for gradient kernels -*- C++
//-*-===//
//
// The independent truth the *_grad kernel tests compare against: the
// vector-Jacobian product dy^T J of a forward reference kernel, by central
// differences in f64. With step h the truncation error is O(h^2 f''') and
// the rounding error O(eps |f| / h); h = 1e-5 on inputs of order 1 keeps
// both near 1e-10, so the tests' tolerance of 1e-7 (absolute and relative
// to the value) leaves three orders of margin without hiding a wrong
// formula, whose error is of the order of the gradient itself.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TESTS_UNIT_REF_GRADCHECK_H
#define NNC_TESTS_UNIT_REF_GRADCHECK_H

#include "KernelTestSupport.h"

#include <cmath>
#include <cstdint>
#include <functional>

namespace nnc::ref::test {

/// The finite-difference step of every gradient check.
constexpr double kFiniteDifferenceStep = 1e-5;
/// The tolerance of every gradient check against finite differences.
constexpr double kFiniteDifferenceTolerance = 1e-7;

/// A forward computation of one f64 output from the current inputs.
using Forward = std::function<Tensor()>;

/// An f64 tensor of `shape` with values uniform in [lo, hi) from a fixed
/// linear congruential sequence started at `seed`: reproducible, and
/// distinct values almost surely.
inline Tensor randomTensor(Shape shape, uint64_t seed, double lo = -1.0,
                           double hi = 1.0) {
  Tensor tensor = zeros(DType::F64, std::move(shape));
  uint64_t state = seed * 2862933555777941757ull + 3037000493ull;
  for (int64_t i = 0; i < tensor.numElements(); ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    double unit = static_cast<double>(state >> 11) * 0x1.0p-53;
    tensor.at<double>(i) = lo + (hi - lo) * unit;
  }
  return tensor;
}

/// dy . d forward / d input, element by element of `input` (an f64 tensor
/// the forward reads), by central differences; `input` is restored.
inline std::vector<double> numericVjp(const Forward &forward, Tensor &input,
                                      const Tensor &dy) {
  std::vector<double> result;
  std::vector<double> weights = values(dy);
  for (int64_t i = 0; i < input.numElements(); ++i) {
    double saved = input.at<double>(i);
    input.at<double>(i) = saved + kFiniteDifferenceStep;
    std::vector<double> plus = values(forward());
    input.at<double>(i) = saved - kFiniteDifferenceStep;
    std::vector<double> minus = values(forward());
    input.at<double>(i) = saved;
    EXPECT_EQ(plus.size(), weights.size());
    double sum = 0;
    for (size_t j = 0; j < weights.size() && j < plus.size(); ++j)
      sum += weights[j] * (plus[j] - minus[j]);
    result.push_back(sum / (2 * kFiniteDifferenceStep));
  }
  return result;
}

/// Expects `actual` (the kernel's gradient) to match the finite-difference
/// gradient of `forward` with respect to `input`, weighted by dy.
inline void expectMatchesFiniteDifferences(const Tensor &actual,
                                           const Forward &forward,
                                           Tensor &input, const Tensor &dy) {
  std::vector<double> expected = numericVjp(forward, input, dy);
  std::vector<double> got = values(actual);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], expected[i],
                kFiniteDifferenceTolerance * (1 + std::fabs(expected[i])))
        << "at flat index " << i;
}

/// Runs `kernel` (which must succeed) into a fresh f64 tensor of `shape`.
template <typename Kernel> Tensor runF64(Shape shape, Kernel kernel) {
  Tensor out = zeros(DType::F64, std::move(shape));
  rt::Error error = kernel(out);
  EXPECT_TRUE(error.ok()) << error.message();
  return out;
}

/// A copy of an f64 tensor as f32 (for the f32 variants of the tests).
inline Tensor toF32(const Tensor &tensor) {
  Tensor result = zeros(DType::F32, tensor.shape());
  for (int64_t i = 0; i < tensor.numElements(); ++i)
    result.at<float>(i) = static_cast<float>(tensor.at<double>(i));
  return result;
}

} // namespace nnc::ref::test

#endif // NNC_TESTS_UNIT_REF_GRADCHECK_H
