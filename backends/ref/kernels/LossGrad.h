//===- LossGrad.h - Reference loss backward ops -----------------*- C++ -*-===//
//
// The gradients of the mean losses with respect to their prediction, scaled
// by the loss's upstream gradient `dloss` (a scalar [] of the prediction's
// float dtype). `out` has the prediction's shape and dtype; sums and
// quotients are taken in double.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_REF_KERNELS_LOSSGRAD_H
#define NNC_BACKENDS_REF_KERNELS_LOSSGRAD_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

namespace nnc::ref {

/// out = (softmax(logits) - onehot(labels)) * dloss / rows for logits
/// [n, ..., c] viewed as rows of c and labels [n, ...] (i32 or i64);
/// softmax taken stably. Rows labelled `ignoreIndex` get 0 and are not
/// counted in `rows`. Any other label outside [0, c) is an error and leaves
/// out untouched.
rt::Error softmaxCrossEntropyGrad(rt::ConstTensorView logits,
                                  rt::ConstTensorView labels,
                                  rt::ConstTensorView dloss,
                                  int64_t ignoreIndex, rt::TensorView out);

/// out = (p - t) / max(p (1 - p), 1e-12) * dloss / numel, numel the element
/// count of the broadcast shape of p and target as in the forward; where
/// the target broadcasts over p the terms add up into p's elements. The
/// 1e-12 floor keeps p = 0 or 1 finite. A probability outside [0, 1] (or
/// NaN) is an error, as in the forward.
rt::Error binaryCrossEntropyGrad(rt::ConstTensorView probabilities,
                                 rt::ConstTensorView target,
                                 rt::ConstTensorView dloss, rt::TensorView out);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_KERNELS_LOSSGRAD_H
