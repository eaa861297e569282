//===- Pool.h - Reference 2-D pooling ---------------------------*- C++ -*-===//

#ifndef NNC_BACKENDS_REF_KERNELS_POOL_H
#define NNC_BACKENDS_REF_KERNELS_POOL_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <array>
#include <cstdint>
#include <optional>

namespace nnc::ref {

/// Attributes of max_pool2d and avg_pool2d; pairs are [height, width].
struct Pool2dAttrs {
  std::array<int64_t, 2> kernel{1, 1}; ///< Positive.
  /// Positive; unset means equal to the kernel, as in the DSL.
  std::optional<std::array<int64_t, 2>> stride;
  /// Implicit border on both sides, at most half the kernel (as in PyTorch,
  /// so that every window holds at least one real element).
  std::array<int64_t, 2> padding{0, 0};
  /// avg_pool2d only: divide by the whole window (true) or by the number of
  /// real, non-padding elements in it (false).
  bool countIncludePad = true;
};

/// Maximum over each window of x [n, c, h, w] into out [n, c, (h + 2p -
/// k) / s + 1, ...]; float only. Padding never wins (it acts as -inf), and
/// NaN propagates.
rt::Error maxPool2d(rt::ConstTensorView x, const Pool2dAttrs &attrs,
                    rt::TensorView out);

/// Mean over each window (padding counts as zeros when countIncludePad);
/// same shapes as maxPool2d. Sums accumulate in double.
rt::Error avgPool2d(rt::ConstTensorView x, const Pool2dAttrs &attrs,
                    rt::TensorView out);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_KERNELS_POOL_H
