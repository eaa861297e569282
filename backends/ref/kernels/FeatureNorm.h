//===- FeatureNorm.h - Reference normalisations over features ---*- C++ -*-===//
//
// The normalisations of each sample over its trailing (feature) axes, and
// their gradients. x is viewed as [rows, features]: the features are the
// trailing axes that gamma's shape names, each row one group with its own
// statistics. Statistics and sums are in double precision.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_REF_KERNELS_FEATURENORM_H
#define NNC_BACKENDS_REF_KERNELS_FEATURENORM_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

namespace nnc::ref {

/// Attributes of layer_norm, rms_norm and their gradients.
struct LayerNormAttrs {
  double eps = 1e-5; ///< Added to the variance before the square root.
};

/// out = gamma * (x - mean) / sqrt(var + eps) + beta per row; gamma and
/// beta have the shape of x's trailing axes, out x's shape. Floats only.
rt::Error layerNorm(rt::ConstTensorView x, rt::ConstTensorView gamma,
                    rt::ConstTensorView beta, const LayerNormAttrs &attrs,
                    rt::TensorView out);

/// The gradients of layerNorm for the result's gradient `dy`: dx (x's
/// shape), dgamma and dbeta (gamma's shape).
rt::Error layerNormGrad(rt::ConstTensorView x, rt::ConstTensorView gamma,
                        rt::ConstTensorView dy, const LayerNormAttrs &attrs,
                        rt::TensorView dx, rt::TensorView dgamma,
                        rt::TensorView dbeta);

/// out = gamma * x / sqrt(mean(x^2) + eps) per row, the mean over the
/// features; gamma has the shape of x's trailing axes. Floats only.
rt::Error rmsNorm(rt::ConstTensorView x, rt::ConstTensorView gamma,
                  const LayerNormAttrs &attrs, rt::TensorView out);

/// The gradients of rmsNorm for the result's gradient `dy`: dx (x's shape)
/// and dgamma (gamma's shape).
rt::Error rmsNormGrad(rt::ConstTensorView x, rt::ConstTensorView gamma,
                      rt::ConstTensorView dy, const LayerNormAttrs &attrs,
                      rt::TensorView dx, rt::TensorView dgamma);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_KERNELS_FEATURENORM_H
