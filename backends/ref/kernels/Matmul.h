//===- Matmul.h - Reference batched matrix multiplication -------*- C++ -*-===//

#ifndef NNC_BACKENDS_REF_KERNELS_MATMUL_H
#define NNC_BACKENDS_REF_KERNELS_MATMUL_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

namespace nnc::ref {

/// out = a @ b for a [..., m, k] and b [..., k, n] (both rank >= 2, float,
/// same dtype); the leading (batch) dimensions broadcast as in NumPy, so out
/// is [broadcast(a[:-2], b[:-2]), m, n]. Dot products accumulate in double.
/// k = 0 gives zeros. `out` must not alias a or b.
rt::Error matmul(rt::ConstTensorView a, rt::ConstTensorView b,
                 rt::TensorView out);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_KERNELS_MATMUL_H
