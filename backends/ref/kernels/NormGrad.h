//===- NormGrad.h - Reference batch_norm backward ---------------*- C++ -*-===//

#ifndef NNC_BACKENDS_REF_KERNELS_NORMGRAD_H
#define NNC_BACKENDS_REF_KERNELS_NORMGRAD_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

namespace nnc::ref {

/// Attributes of batch_norm_grad.
struct BatchNormGradAttrs {
  double eps = 1e-5; ///< The forward's eps.
  /// True: the forward normalised with x's batch statistics (its mean and
  /// biased variance over n and the spatial dimensions), which the gradient
  /// then flows through; `mean` and `var` are ignored (only checked).
  /// False: the forward used the given mean and var, constants to it.
  bool training = true;
};

/// The gradients of y = (x - mean) / sqrt(var + eps) * gamma + beta per
/// channel, for x and dy [n, c, ...] (rank >= 2) and gamma, mean, var [c],
/// one float dtype. With xhat the normalised x and m the values per
/// channel:
///   dbeta  = sum(dy),  dgamma = sum(dy * xhat)  (both [c]);
///   eval:     dx = dy * gamma / sqrt(var + eps);
///   training: dx = gamma / sqrt(var_B + eps)
///                  * (dy - dbeta / m - xhat * dgamma / m).
/// Sums accumulate in double; the batch statistics are taken two-pass. A
/// channel of one value normalises to 0 and gets dx = 0 in training.
rt::Error batchNormGrad(rt::ConstTensorView x, rt::ConstTensorView gamma,
                        rt::ConstTensorView mean, rt::ConstTensorView var,
                        rt::ConstTensorView dy, const BatchNormGradAttrs &attrs,
                        rt::TensorView dx, rt::TensorView dgamma,
                        rt::TensorView dbeta);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_KERNELS_NORMGRAD_H
