//===- SoftmaxGrad.h - Reference softmax backward ops -----------*- C++ -*-===//
//
// Both gradients take the forward's result y rather than its input, so the
// backward pass needs no recomputation of the exponentials.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_REF_KERNELS_SOFTMAXGRAD_H
#define NNC_BACKENDS_REF_KERNELS_SOFTMAXGRAD_H

#include "backends/ref/kernels/Softmax.h"
#include "runtime/Status.h"
#include "runtime/Tensor.h"

namespace nnc::ref {

/// out = y * (dy - sum_axis(dy * y)) for y = softmax(x) along attrs.axis;
/// y, dy and out share one float dtype and shape. Sums accumulate in
/// double.
rt::Error softmaxGrad(rt::ConstTensorView y, rt::ConstTensorView dy,
                      const SoftmaxAttrs &attrs, rt::TensorView out);

/// out = dy - exp(y) * sum_axis(dy) for y = log_softmax(x); as
/// softmaxGrad() otherwise.
rt::Error logSoftmaxGrad(rt::ConstTensorView y, rt::ConstTensorView dy,
                         const SoftmaxAttrs &attrs, rt::TensorView out);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_KERNELS_SOFTMAXGRAD_H
