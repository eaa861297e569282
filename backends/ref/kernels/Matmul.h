//===- Matmul.h - Reference batched matrix multiplication -------*- C++ -*-===//

#ifndef NNC_BACKENDS_REF_KERNELS_MATMUL_H
#define NNC_BACKENDS_REF_KERNELS_MATMUL_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

namespace nnc::ref {

/// Which operands of a matmul have their last two axes swapped before the
/// product (nn.matmul's transpose_lhs and transpose_rhs).
struct MatmulAttrs {
  bool transposeA = false;
  bool transposeB = false;
};

/// out = op(a) @ op(b), where op swaps the last two axes of a when
/// `attrs.transposeA` (a is then [..., k, m]) and of b when
/// `attrs.transposeB` (b is then [..., n, k]); otherwise a is [..., m, k] and
/// b [..., k, n]. Both have rank >= 2, float, same dtype; the leading (batch)
/// dimensions broadcast as in NumPy, so out is [broadcast(a[:-2], b[:-2]),
/// m, n]. The transposition is read through strides, never copied. Dot
/// products accumulate in double, in the same order whatever the flags.
/// k = 0 gives zeros. `out` must not alias a or b.
rt::Error matmul(rt::ConstTensorView a, rt::ConstTensorView b,
                 const MatmulAttrs &attrs, rt::TensorView out);

/// out = a @ b: matmul without transposition.
rt::Error matmul(rt::ConstTensorView a, rt::ConstTensorView b,
                 rt::TensorView out);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_KERNELS_MATMUL_H
