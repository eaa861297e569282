//===- ShapeOps.h - Reference data-movement kernels -------------*- C++ -*-===//
//
// reshape, transpose, broadcast_to, concat, slice, gather and embedding.
// They move elements without arithmetic, so they work on every dtype. None
// of them allows `out` to alias an input.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_REF_KERNELS_SHAPEOPS_H
#define NNC_BACKENDS_REF_KERNELS_SHAPEOPS_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <vector>

namespace nnc::ref {

/// Copies x into out, which has the same dtype and element count. The
/// `shape` attribute (with its -1) is already resolved into out's shape,
/// so the kernel takes no attributes.
rt::Error reshape(rt::ConstTensorView x, rt::TensorView out);

/// Attributes of transpose.
struct TransposeAttrs {
  /// Output dimension d is input dimension perm[d]; empty means reversed.
  std::vector<int64_t> perm;
};

/// Permutes the dimensions of x. perm must be a permutation of [0, rank).
rt::Error transpose(rt::ConstTensorView x, const TransposeAttrs &attrs,
                    rt::TensorView out);

/// Broadcasts x to out's shape by NumPy rules (the `shape` attribute, with
/// the batch -1 resolved, is out's shape).
rt::Error broadcastTo(rt::ConstTensorView x, rt::TensorView out);

/// Attributes of concat.
struct ConcatAttrs {
  int64_t axis = 0; ///< Negative counts from the end.
};

/// Joins one or more tensors of one dtype and rank along attrs.axis; their
/// other extents must agree.
rt::Error concat(const std::vector<rt::ConstTensorView> &inputs,
                 const ConcatAttrs &attrs, rt::TensorView out);

/// Attributes of slice; starts, ends and steps are per listed axis.
struct SliceAttrs {
  /// Sliced axes; empty means the first starts.size() axes, in order.
  std::vector<int64_t> axes;
  /// Negative values count from the end; out-of-range values are clamped
  /// as in Python, so `ends` of INT64_MAX means "to the end".
  std::vector<int64_t> starts;
  std::vector<int64_t> ends;
  /// Positive steps; empty means 1 everywhere.
  std::vector<int64_t> steps;
};

/// Takes x[start:end:step] on each listed axis (Python semantics for
/// positive steps; a non-positive step is an error).
rt::Error slice(rt::ConstTensorView x, const SliceAttrs &attrs,
                rt::TensorView out);

/// Attributes of gather.
struct GatherAttrs {
  int64_t axis = 0; ///< Negative counts from the end.
};

/// out = x[:axis] + indices + x[axis+1:], picking along attrs.axis the
/// entries named by the i32/i64 `indices`. An index outside [0, extent) is
/// an error (not wrapped as NumPy's negative indices are: a negative token
/// id is a data bug worth reporting).
rt::Error gather(rt::ConstTensorView x, rt::ConstTensorView indices,
                 const GatherAttrs &attrs, rt::TensorView out);

/// embedding(table [v, d], indices) = gather on axis 0: indices + [d].
rt::Error embedding(rt::ConstTensorView table, rt::ConstTensorView indices,
                    rt::TensorView out);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_KERNELS_SHAPEOPS_H
