//===- Reduce.h - Reference reductions --------------------------*- C++ -*-===//

#ifndef NNC_BACKENDS_REF_KERNELS_REDUCE_H
#define NNC_BACKENDS_REF_KERNELS_REDUCE_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <vector>

namespace nnc::ref {

enum class ReduceOp { Sum, Mean, Max };

/// Attributes of reduce_sum, reduce_mean and reduce_max.
struct ReduceAttrs {
  /// Axes to reduce, negative counting from the end; empty means all.
  /// Repeated or out-of-range axes are errors.
  std::vector<int64_t> axes;
  /// Keep reduced axes as extent 1 instead of dropping them.
  bool keepDims = false;
};

/// Reduces x over attrs.axes into out (same dtype; x's shape without the
/// axes, or with 1 there when keepDims). Float sums accumulate in double;
/// integer sums in 64-bit wrapping arithmetic, and an integer mean truncates
/// toward zero. Max propagates NaN. Edge cases: the sum over no element is
/// 0; the mean over none is NaN for floats and an error for integers; the
/// max over none is an error.
rt::Error reduce(ReduceOp op, rt::ConstTensorView x, const ReduceAttrs &attrs,
                 rt::TensorView out);

rt::Error reduceSum(rt::ConstTensorView x, const ReduceAttrs &attrs,
                    rt::TensorView out);
rt::Error reduceMean(rt::ConstTensorView x, const ReduceAttrs &attrs,
                     rt::TensorView out);
rt::Error reduceMax(rt::ConstTensorView x, const ReduceAttrs &attrs,
                    rt::TensorView out);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_KERNELS_REDUCE_H
