//===- Norm.h - Reference batch normalization -------------------*- C++ -*-===//

#ifndef NNC_BACKENDS_REF_KERNELS_NORM_H
#define NNC_BACKENDS_REF_KERNELS_NORM_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

namespace nnc::ref {

/// Attributes of batch_norm.
struct BatchNormAttrs {
  double eps = 1e-5;     ///< Added to the variance before the square root.
  double momentum = 0.1; ///< Weight of the batch in the running statistics.
};

/// Evaluation mode: out = (x - mean) / sqrt(var + eps) * gamma + beta per
/// channel, for x [n, c, ...] (rank >= 2) and gamma, beta, mean, var [c];
/// float only, one dtype.
rt::Error batchNormEval(rt::ConstTensorView x, rt::ConstTensorView gamma,
                        rt::ConstTensorView beta, rt::ConstTensorView mean,
                        rt::ConstTensorView var, const BatchNormAttrs &attrs,
                        rt::TensorView out);

/// Training mode, as PyTorch does it: normalises with the batch mean and
/// the biased batch variance over n and the spatial dimensions, and writes
/// the running statistics
///   updatedMean = (1 - momentum) * runningMean + momentum * batchMean
///   updatedVar  = (1 - momentum) * runningVar  + momentum * unbiasedVar
/// where unbiasedVar = batchVar * m / (m - 1) over m values per channel.
/// updatedMean / updatedVar may be the same tensors as runningMean /
/// runningVar (an in-place update). Fewer than two values per channel is an
/// error, since the unbiased variance is undefined. Statistics accumulate
/// in double, two-pass.
rt::Error batchNormTrain(rt::ConstTensorView x, rt::ConstTensorView gamma,
                         rt::ConstTensorView beta,
                         rt::ConstTensorView runningMean,
                         rt::ConstTensorView runningVar,
                         const BatchNormAttrs &attrs, rt::TensorView out,
                         rt::TensorView updatedMean, rt::TensorView updatedVar);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_KERNELS_NORM_H
