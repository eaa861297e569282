//===- ConvGrad.h - Reference conv2d backward ops ---------------*- C++ -*-===//
//
// The two vector-Jacobian products of conv2d (the bias gradient is a
// reduce_sum of dy and needs no kernel). Attributes are the forward's, with
// its rules: positive stride and dilation, non-negative padding, groups
// dividing channels and filters, a kernel that fits the padded input. The
// shape the op's `input_shape` / `weight_shape` attribute names is the
// shape of `out`. Float only, one dtype; sums accumulate in double.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_REF_KERNELS_CONVGRAD_H
#define NNC_BACKENDS_REF_KERNELS_CONVGRAD_H

#include "backends/ref/kernels/Conv.h"
#include "runtime/Status.h"
#include "runtime/Tensor.h"

namespace nnc::ref {

/// dx [n, c, h, w] (out) of y = conv2d(x, weight) given dy [n, f, oh, ow]:
/// each dy element times the weights it met, added back at the input
/// positions they multiplied; padding positions are dropped. dy must have
/// the shape conv2d gives for out's shape and weight's.
rt::Error conv2dGradInput(rt::ConstTensorView dy, rt::ConstTensorView weight,
                          const Conv2dAttrs &attrs, rt::TensorView out);

/// dw [f, c / groups, kh, kw] (out) of y = conv2d(x, w) given dy: the
/// correlation of dy with x over the batch and the output positions. dy
/// must have the shape conv2d gives for x's shape and out's.
rt::Error conv2dGradWeight(rt::ConstTensorView x, rt::ConstTensorView dy,
                           const Conv2dAttrs &attrs, rt::TensorView out);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_KERNELS_CONVGRAD_H
