//===- ReduceGrad.h - Reference reduce_max backward -------------*- C++ -*-===//

#ifndef NNC_BACKENDS_REF_KERNELS_REDUCEGRAD_H
#define NNC_BACKENDS_REF_KERNELS_REDUCEGRAD_H

#include "backends/ref/kernels/Reduce.h"
#include "runtime/Status.h"
#include "runtime/Tensor.h"

namespace nnc::ref {

/// The vector-Jacobian product of reduce_max: out (x's shape) is dy split
/// evenly among the elements of each reduced group that equal the group's
/// maximum y, and 0 elsewhere; so ties share the gradient and its sum is
/// kept. `attrs` are the forward's; y and dy have the forward's result
/// shape. Float only, one dtype. A NaN maximum counts the NaN elements of
/// its group as the maximum. An element of y that no element of its group
/// equals (a y that is not this x's maximum) sends its dy nowhere.
rt::Error reduceMaxGrad(rt::ConstTensorView x, rt::ConstTensorView y,
                        rt::ConstTensorView dy, const ReduceAttrs &attrs,
                        rt::TensorView out);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_KERNELS_REDUCEGRAD_H
