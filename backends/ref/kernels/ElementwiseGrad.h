//===- ElementwiseGrad.h - Reference elementwise backward ops ---*- C++ -*-===//
//
// The elementwise ops of the docs/autodiff.md table: maximum, minimum and
// sign (used by the gradients of abs, clamp-like rules and reduce_max), and
// the fused vector-Jacobian products of relu, leaky_relu and gelu. Float
// results are computed in double and rounded once. `out` may be the same
// tensor as an input of its shape (each element is read before written).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_REF_KERNELS_ELEMENTWISEGRAD_H
#define NNC_BACKENDS_REF_KERNELS_ELEMENTWISEGRAD_H

#include "backends/ref/kernels/Elementwise.h"
#include "runtime/Status.h"
#include "runtime/Tensor.h"

namespace nnc::ref {

/// out = max(a, b) elementwise with NumPy broadcasting; a, b and out share
/// one dtype (any runtime dtype) and out has the broadcast shape. A NaN in
/// either operand gives NaN, as torch.maximum does.
rt::Error maximum(rt::ConstTensorView a, rt::ConstTensorView b,
                  rt::TensorView out);

/// out = min(a, b); otherwise as maximum().
rt::Error minimum(rt::ConstTensorView a, rt::ConstTensorView b,
                  rt::TensorView out);

/// out = -1, 0 or 1 by the sign of each element of x (out shaped like x,
/// same dtype). Floats: -0 gives 0, NaN gives NaN. Integers: u8 gives 0 or
/// 1.
rt::Error sign(rt::ConstTensorView x, rt::TensorView out);

/// out = dy where x > 0, else 0; x, dy and out share one float dtype and
/// one shape. x = 0 gives 0 (the subgradient PyTorch picks); NaN in x gives
/// 0.
rt::Error reluGrad(rt::ConstTensorView x, rt::ConstTensorView dy,
                   rt::TensorView out);

/// out = dy where x > 0, else alpha * dy (x = 0 takes the alpha branch);
/// shapes and dtypes as reluGrad().
rt::Error leakyReluGrad(rt::ConstTensorView x, rt::ConstTensorView dy,
                        const LeakyReluAttrs &attrs, rt::TensorView out);

/// out = dy * gelu'(x) of the exact form gelu(x) = x Φ(x):
/// gelu'(x) = Φ(x) + x φ(x), Φ the standard normal CDF (via erf) and φ its
/// density. Shapes and dtypes as reluGrad().
rt::Error geluGrad(rt::ConstTensorView x, rt::ConstTensorView dy,
                   rt::TensorView out);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_KERNELS_ELEMENTWISEGRAD_H
