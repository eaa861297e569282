//===- ShapeGrad.h - Reference backward ops of slice and gather -*- C++ -*-===//
//
// The backward ops of the data-movement kernels. Each writes every element
// of `out`, whose shape is the forward input's (the op's `shape`
// attribute), so the kernels take it from `out` rather than as an
// attribute. Neither allows `out` to alias an operand.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_REF_KERNELS_SHAPEGRAD_H
#define NNC_BACKENDS_REF_KERNELS_SHAPEGRAD_H

#include "backends/ref/kernels/ShapeOps.h"
#include "runtime/Status.h"
#include "runtime/Tensor.h"

namespace nnc::ref {

/// out = zeros with dy written at the positions slice(out, attrs) reads;
/// attrs are the forward's and are checked against out's shape as slice
/// checks them against x's; dy must have the slice's result shape and out's
/// dtype (any dtype: nothing is added).
rt::Error sliceGrad(rt::ConstTensorView dy, const SliceAttrs &attrs,
                    rt::TensorView out);

/// out = zeros with dy scatter-added along attrs.axis at `indices`: the
/// inverse data flow of gather, so an index picked k times receives the sum
/// of its k gradients. dy must have gather's result shape
/// out[:axis] + indices + out[axis+1:]; float only, summed in double.
/// Indices are i32 or i64 and must lie in [0, extent); a bad one is an
/// error and leaves out untouched.
rt::Error gatherGrad(rt::ConstTensorView dy, rt::ConstTensorView indices,
                     const GatherAttrs &attrs, rt::TensorView out);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_KERNELS_SHAPEGRAD_H
