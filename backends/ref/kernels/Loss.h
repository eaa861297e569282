//===- Loss.h - Reference loss functions ------------------------*- C++ -*-===//
//
// Each loss is the mean over elements (or rows) and writes a scalar: `out`
// has shape [] and the operands' float dtype. Sums accumulate in double;
// the mean over no element is NaN, as in PyTorch.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_REF_KERNELS_LOSS_H
#define NNC_BACKENDS_REF_KERNELS_LOSS_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

namespace nnc::ref {

/// mean((prediction - target)^2) over the broadcast shape of the operands.
rt::Error mse(rt::ConstTensorView prediction, rt::ConstTensorView target,
              rt::TensorView out);

/// -mean(t log p + (1 - t) log(1 - p)) with each log clamped to >= -100 as
/// PyTorch does, so p = 0 or 1 gives a large finite loss rather than inf.
/// Probabilities outside [0, 1] (or NaN) are an error; operands broadcast.
rt::Error binaryCrossEntropy(rt::ConstTensorView probabilities,
                             rt::ConstTensorView target, rt::TensorView out);

/// mean over rows of logsumexp(logits[i]) - logits[i, labels[i]], for
/// logits [n, ..., c] (float) viewed as rows of c and labels [n, ...]
/// (i32 or i64), one per row; log-sum-exp is taken stably (max
/// subtracted). Rows labelled `ignoreIndex` are left out of the sum and of
/// the count (all left out: 0 / 0). Any other label outside [0, c) is an
/// error.
rt::Error softmaxCrossEntropy(rt::ConstTensorView logits,
                              rt::ConstTensorView labels, int64_t ignoreIndex,
                              rt::TensorView out);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_KERNELS_LOSS_H
