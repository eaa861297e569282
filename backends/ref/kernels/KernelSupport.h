//===- KernelSupport.h - Helpers shared by the reference kernels -*- C++
//-*-===//
//
// Private to backends/ref/kernels: dtype dispatch, operand checks and NumPy
// broadcasting arithmetic. Kernels check every shape they rely on and
// return an error instead of reading out of bounds, because the reference
// backend is the oracle other backends are judged against, and a wrong
// shape reaching it must be reported, not turned into garbage.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_REF_KERNELS_KERNELSUPPORT_H
#define NNC_BACKENDS_REF_KERNELS_KERNELSUPPORT_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::ref::detail {

using rt::ConstTensorView;
using rt::DType;
using rt::Error;
using rt::Expected;
using rt::Shape;
using rt::TensorView;

/// "op: message".
inline Error opError(const char *op, const std::string &message) {
  return Error::failure(std::string(op) + ": " + message);
}

/// `value` in the shortest form printf's %g gives ("1.5", "1e-05").
std::string formatNumber(double value);

/// Calls `fn(T())` where T is the C++ type of a float `dtype`; other dtypes
/// are an error naming `op`.
template <typename Fn>
Error dispatchFloat(const char *op, DType dtype, Fn &&fn) {
  switch (dtype) {
  case DType::F32:
    return fn(float());
  case DType::F64:
    return fn(double());
  default:
    return opError(op, std::string("expected f32 or f64, got ") +
                           rt::dtypeName(dtype));
  }
}

/// Calls `fn(T())` for any runtime dtype.
template <typename Fn> Error dispatchAny(DType dtype, Fn &&fn) {
  switch (dtype) {
  case DType::F32:
    return fn(float());
  case DType::F64:
    return fn(double());
  case DType::I32:
    return fn(int32_t());
  case DType::I64:
    return fn(int64_t());
  case DType::U8:
    return fn(uint8_t());
  }
  return Error::failure("unknown dtype");
}

/// Calls `fn(T())` for an index dtype (i32 or i64).
template <typename Fn>
Error dispatchIndex(const char *op, DType dtype, Fn &&fn) {
  switch (dtype) {
  case DType::I32:
    return fn(int32_t());
  case DType::I64:
    return fn(int64_t());
  default:
    return opError(op, std::string("expected i32 or i64 indices, got ") +
                           rt::dtypeName(dtype));
  }
}

/// Fails unless `tensor` has `dtype`.
Error checkDType(const char *op, const char *what, ConstTensorView tensor,
                 DType dtype);

/// Fails unless `tensor` has shape `expected`.
Error checkShape(const char *op, const char *what, ConstTensorView tensor,
                 const Shape &expected);

/// The rows and classes of a softmax cross-entropy: logits [n, ..., c]
/// viewed as [rows, c], with integer labels of the logits' shape without
/// the classes.
Expected<std::pair<int64_t, int64_t>>
classRows(const char *op, ConstTensorView logits, ConstTensorView labels);

/// Fails unless `tensor` has rank `rank`.
Error checkRank(const char *op, const char *what, ConstTensorView tensor,
                int64_t rank);

/// NumPy broadcasting of two shapes (aligned from the right, extents equal
/// or 1).
Expected<Shape> broadcastShapes(const char *op, const Shape &lhs,
                                const Shape &rhs);

/// Strides (in elements) for reading a contiguous tensor of shape `input`
/// while iterating over `output`, which `input` broadcasts to: the input is
/// aligned to the right, and missing or size-1 dimensions get stride 0.
std::vector<int64_t> broadcastStrides(const Shape &input, const Shape &output);

/// The offset into a tensor with `strides` of the element at C-order flat
/// index `flat` of a tensor of shape `shape` (same rank as `strides`).
int64_t offsetOf(int64_t flat, const Shape &shape,
                 const std::vector<int64_t> &strides);

/// `axis` made non-negative for a tensor of rank `rank`, or an error.
Expected<int64_t> normalizeAxis(const char *op, int64_t axis, int64_t rank);

/// How gather and gather_grad walk their data: the table (gather's input,
/// gather_grad's output) is [outer, extent, inner] around the axis, and the
/// gathered tensor is [outer, indexCount, inner].
struct GatherLayout {
  Shape gathered; ///< table[:axis] + indices + table[axis+1:]
  int64_t outer = 1, extent = 1, inner = 1, indexCount = 0;
};

/// The layout of gathering `indices` from a table of shape `table` along
/// `axis`, or an error for a bad axis.
Expected<GatherLayout> gatherLayout(const char *op, const Shape &table,
                                    const Shape &indices, int64_t axis);

/// Checks every index against [0, extent) before anything is written, so a
/// bad one leaves the output untouched.
template <typename I>
Error checkIndices(const char *op, const I *index, int64_t count,
                   int64_t extent) {
  for (int64_t k = 0; k < count; ++k)
    if (index[k] < 0 || index[k] >= extent)
      return opError(op, "index " + std::to_string(index[k]) +
                             " is out of range [0, " + std::to_string(extent) +
                             ")");
  return Error::success();
}

/// Where slice's result lies in its input: element j (C order over `shape`)
/// of the result is element base + offsetOf(j, shape, strides) of the
/// input.
struct SliceWindow {
  Shape shape;
  int64_t base = 0;
  std::vector<int64_t> strides;
};

/// The window x[start:end:step] of a contiguous tensor of shape `input`,
/// with slice's rules (see SliceAttrs in ShapeOps.h): `axes` empty means
/// the first starts.size() axes; bounds clamp as in Python; `steps` empty
/// means 1. Mismatched lengths, repeated or out-of-range axes and
/// non-positive steps are errors naming `op`.
Expected<SliceWindow> sliceWindow(const char *op, const Shape &input,
                                  const std::vector<int64_t> &axes,
                                  const std::vector<int64_t> &starts,
                                  const std::vector<int64_t> &ends,
                                  const std::vector<int64_t> &steps);

} // namespace nnc::ref::detail

#endif // NNC_BACKENDS_REF_KERNELS_KERNELSUPPORT_H
