//===- PoolGrad.h - Reference pooling backward ops --------------*- C++ -*-===//
//
// Attributes are the forward's (Pool2dAttrs, with its rules on kernel,
// stride and padding); dy has the forward's result shape; `out` is dx, of
// the forward input's shape (the op's `input_shape` attribute for
// avg_pool2d_grad). Float only, one dtype; sums accumulate in double.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_REF_KERNELS_POOLGRAD_H
#define NNC_BACKENDS_REF_KERNELS_POOLGRAD_H

#include "backends/ref/kernels/Pool.h"
#include "runtime/Status.h"
#include "runtime/Tensor.h"

namespace nnc::ref {

/// dx of y = max_pool2d(x): each window's dy goes whole to the window's
/// first maximum in row-major window order (as PyTorch routes it), so ties
/// do not share; overlapping windows add up. Padding never wins. A window
/// holding NaN sends its dy to its first NaN, the element the forward
/// propagated.
rt::Error maxPool2dGrad(rt::ConstTensorView x, rt::ConstTensorView dy,
                        const Pool2dAttrs &attrs, rt::TensorView out);

/// dx of y = avg_pool2d(x): each window's dy divided by the forward's
/// divisor (the whole window when countIncludePad, else its real elements)
/// and added to each real element of the window.
rt::Error avgPool2dGrad(rt::ConstTensorView dy, const Pool2dAttrs &attrs,
                        rt::TensorView out);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_KERNELS_POOLGRAD_H
