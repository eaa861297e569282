//===- Conv.h - Reference 2-D convolution -----------------------*- C++ -*-===//

#ifndef NNC_BACKENDS_REF_KERNELS_CONV_H
#define NNC_BACKENDS_REF_KERNELS_CONV_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <array>
#include <cstdint>
#include <optional>

namespace nnc::ref {

/// Attributes of conv2d; pairs are [height, width].
struct Conv2dAttrs {
  std::array<int64_t, 2> stride{1, 1};   ///< Positive.
  std::array<int64_t, 2> padding{0, 0};  ///< Zeros on both sides; >= 0.
  std::array<int64_t, 2> dilation{1, 1}; ///< Positive.
  int64_t groups = 1; ///< Divides both the channels and the filters.
};

/// Cross-correlation (as in PyTorch) of x [n, c, h, w] with weight
/// [f, c / groups, kh, kw], plus bias [f] when given; float only. out is
/// [n, f, (h + 2 p - d (kh - 1) - 1) / s + 1, likewise for w]. Filter j
/// sees input channels of group j / (f / groups). Sums accumulate in
/// double. A kernel that does not fit the padded input is an error.
rt::Error conv2d(rt::ConstTensorView x, rt::ConstTensorView weight,
                 std::optional<rt::ConstTensorView> bias,
                 const Conv2dAttrs &attrs, rt::TensorView out);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_KERNELS_CONV_H
