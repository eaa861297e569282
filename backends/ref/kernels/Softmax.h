//===- Softmax.h - Reference softmax and log_softmax ------------*- C++ -*-===//

#ifndef NNC_BACKENDS_REF_KERNELS_SOFTMAX_H
#define NNC_BACKENDS_REF_KERNELS_SOFTMAX_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <cstdint>

namespace nnc::ref {

/// Attributes of softmax and log_softmax.
struct SoftmaxAttrs {
  int64_t axis = -1; ///< Negative counts from the end.
};

/// out = exp(x - max) / sum(exp(x - max)) along attrs.axis; float only,
/// out shaped like x. Subtracting the maximum keeps exp from overflowing;
/// sums accumulate in double. A slice of all -inf gives NaN, as in PyTorch.
rt::Error softmax(rt::ConstTensorView x, const SoftmaxAttrs &attrs,
                  rt::TensorView out);

/// out = x - max - log(sum(exp(x - max))) along attrs.axis: the stable
/// log-sum-exp form, finite wherever x is.
rt::Error logSoftmax(rt::ConstTensorView x, const SoftmaxAttrs &attrs,
                     rt::TensorView out);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_KERNELS_SOFTMAX_H
