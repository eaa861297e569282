//===- GradientCheck.h - Gradients against finite differences ---*- C++ -*-===//
//
// Checks a model's gradient graph against central finite differences of its
// loss, both computed in f64 (nn-promote-f64) on the session's backend, for
// a spread of elements of every trainable parameter: `nnc gradcheck`.
//
// The relative error of an element is |analytic − numeric| divided by
// max(|analytic|, |numeric|, 1e-4): the floor keeps gradients that are
// almost zero from turning round-off into large ratios. With f64 and a step
// of 1e-5·max(1, |x|), the numeric gradient is good to about 1e-9, so a
// tolerance of 1e-6 leaves room, yet catches any wrong rule.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DRIVER_GRADIENTCHECK_H
#define NNC_DRIVER_GRADIENTCHECK_H

#include "driver/ModelSession.h"

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace nnc::driver {

struct GradientCheckOptions {
  uint64_t seed = 0;
  /// Batch size of generated inputs, when no input is given.
  int64_t batch = 2;
  /// Elements checked per parameter (spread over the tensor).
  int64_t samples = 16;
  /// Batch norm and dropout as in the training step.
  bool trainingMode = false;
};

/// What was found for one trainable parameter.
struct ParameterCheck {
  std::string name;
  rt::Shape shape;
  /// Elements compared.
  int64_t checked = 0;
  double worstRelativeError = 0;
};

/// Compares the gradient of every trainable parameter of `session`'s model,
/// at the values `params` holds, with finite differences, on `inputs`; the
/// inputs not given are generated: floats uniform in [0, 1), a softmax
/// cross-entropy's labels uniform over its classes, other integer inputs
/// (indices) zero, which every op accepts. A model without a trainable
/// parameter is an error, and so is a check every gradient of which is
/// zero (a flat loss), which would pass whatever the derivatives.
rt::Expected<std::vector<ParameterCheck>>
checkGradients(ModelSession &session, const train::ParameterStore &params,
               const std::map<std::string, rt::Tensor> &inputs,
               const GradientCheckOptions &options);

} // namespace nnc::driver

#endif // NNC_DRIVER_GRADIENTCHECK_H
