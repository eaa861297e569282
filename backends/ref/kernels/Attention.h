//===- Attention.h - Reference scaled dot-product attention -----*- C++ -*-===//
//
// scaled_dot_product_attention and its gradient, computed the plain way: the
// whole score matrix of each head, then its softmax, all in double
// precision. The cpu backend's blocked kernels are judged against these.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_REF_KERNELS_ATTENTION_H
#define NNC_BACKENDS_REF_KERNELS_ATTENTION_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <optional>

namespace nnc::ref {

/// Attributes of scaled_dot_product_attention and its gradient.
struct AttentionAttrs {
  bool causal = false; ///< Query i sees keys j <= i only.
  double scale = 0;    ///< The scores' factor; 0 means 1 / sqrt(depth).
};

/// out = softmax(scale * q kT + mask) v over the last two axes: q [..., t,
/// d], k [..., s, d], v [..., s, dv], mask broadcasting to [..., t, s], out
/// [..., t, dv]. A query row with every key hidden gets 0. Floats only.
rt::Error attention(rt::ConstTensorView q, rt::ConstTensorView k,
                    rt::ConstTensorView v,
                    std::optional<rt::ConstTensorView> mask,
                    const AttentionAttrs &attrs, rt::TensorView out);

/// The gradients of attention for its result `out` and the result's
/// gradient `dout`: dq, dk and dv, shaped as q, k and v.
rt::Error attentionGrad(rt::ConstTensorView q, rt::ConstTensorView k,
                        rt::ConstTensorView v, rt::ConstTensorView out,
                        rt::ConstTensorView dout,
                        std::optional<rt::ConstTensorView> mask,
                        const AttentionAttrs &attrs, rt::TensorView dq,
                        rt::TensorView dk, rt::TensorView dv);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_KERNELS_ATTENTION_H
