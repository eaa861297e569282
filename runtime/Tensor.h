//===- Tensor.h - Dense tensors of the runtime ------------------*- C++ -*-===//
//
// A Tensor owns contiguous, C-order (row-major) storage aligned to 64 bytes,
// the width of a cache line and of an AVX-512 register. Kernels never take a
// Tensor: they take TensorView / ConstTensorView, non-owning views that can
// point into a Tensor or into the executor's arena alike.
//
// Shapes are computed by the compiler; the runtime only checks them.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_TENSOR_H
#define NNC_RUNTIME_TENSOR_H

#include "runtime/Status.h"

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace nnc::rt {

/// Element types the runtime stores.
enum class DType : uint8_t { F32, F64, I32, I64, U8 };

/// Bytes per element of `dtype`.
size_t dtypeSize(DType dtype);

/// The name used in messages and in the DSL: "f32", "f64", "i32", "i64",
/// "u8".
const char *dtypeName(DType dtype);

/// True for F32 and F64.
inline bool isFloat(DType dtype) {
  return dtype == DType::F32 || dtype == DType::F64;
}

/// The DType of the C++ element type T (float, double, int32_t, int64_t,
/// uint8_t); other types do not compile.
template <typename T> constexpr DType dtypeOf() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double> ||
                    std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t> ||
                    std::is_same_v<T, uint8_t>,
                "no runtime DType for this C++ type");
  if constexpr (std::is_same_v<T, float>)
    return DType::F32;
  else if constexpr (std::is_same_v<T, double>)
    return DType::F64;
  else if constexpr (std::is_same_v<T, int32_t>)
    return DType::I32;
  else if constexpr (std::is_same_v<T, int64_t>)
    return DType::I64;
  else
    return DType::U8;
}

/// Extents, outermost first. An empty shape is a scalar (one element).
using Shape = std::vector<int64_t>;

/// Renders a shape as "[10, 64]"; negative extents print as "?" (the
/// dynamic batch dimension in expected shapes).
std::string shapeToString(const Shape &shape);

/// Renders a shape with every extent as it is, "[-3, 64]": for messages
/// about a shape that is wrong, where "?" would hide the culprit.
std::string extentsToString(const Shape &shape);

/// Renders a dtype and shape as "f32[10, 64]".
std::string typeToString(DType dtype, const Shape &shape);

/// The number of elements of `shape`, or an error when an extent is
/// negative ("negative extent -3 in shape [-3, 64]") or when the product of the
/// non-zero extents times `elementSize` overflows int64_t (checked even for
/// empty shapes, whose strides would still overflow).
Expected<int64_t> checkedElementCount(const Shape &shape,
                                      size_t elementSize = 1);

/// The number of elements of a valid shape (asserts it is valid).
int64_t elementCount(const Shape &shape);

/// C-order strides in elements: the last dimension has stride 1.
std::vector<int64_t> contiguousStrides(const Shape &shape);

/// A non-owning view of contiguous C-order data. `IsConst` picks whether
/// the elements may be written. A view is as cheap to copy as its shape
/// vector; it does not keep the storage alive.
template <bool IsConst> class BasicTensorView {
  using Byte = std::conditional_t<IsConst, const std::byte, std::byte>;
  template <typename T> using Elem = std::conditional_t<IsConst, const T, T>;

public:
  BasicTensorView() = default;
  BasicTensorView(Byte *data, DType dtype, Shape shape)
      : bytes(data), type(dtype), dims(std::move(shape)) {}

  /// A read-only view converts from a writable one.
  template <bool OtherConst,
            typename = std::enable_if_t<IsConst && !OtherConst>>
  BasicTensorView(const BasicTensorView<OtherConst> &other)
      : bytes(other.rawData()), type(other.dtype()), dims(other.shape()) {}

  DType dtype() const { return type; }
  const Shape &shape() const { return dims; }
  int64_t rank() const { return static_cast<int64_t>(dims.size()); }
  /// Extent of dimension `dim` (0 <= dim < rank()).
  int64_t dim(int64_t index) const {
    assert(index >= 0 && index < rank() && "dimension out of range");
    return dims[static_cast<size_t>(index)];
  }
  int64_t numElements() const { return elementCount(dims); }
  size_t byteSize() const {
    return static_cast<size_t>(numElements()) * dtypeSize(type);
  }

  Byte *rawData() const { return bytes; }

  /// The elements as T; T must match dtype() (asserted).
  template <typename T> Elem<T> *data() const {
    assert(dtypeOf<T>() == type && "tensor accessed with the wrong type");
    return reinterpret_cast<Elem<T> *>(bytes);
  }

  /// The element at flat C-order index `index` (bounds asserted).
  template <typename T> Elem<T> &at(int64_t index) const {
    assert(index >= 0 && index < numElements() && "flat index out of range");
    return data<T>()[index];
  }

private:
  Byte *bytes = nullptr;
  DType type = DType::F32;
  Shape dims;
};

/// A view whose elements may be written (kernel outputs).
using TensorView = BasicTensorView<false>;
/// A read-only view (kernel inputs).
using ConstTensorView = BasicTensorView<true>;

/// A tensor owning its storage. Move-only; use clone() for a deep copy.
class Tensor {
public:
  /// An f32 tensor of shape [0] without storage; a placeholder to assign to.
  Tensor() = default;
  Tensor(Tensor &&other) noexcept;
  Tensor &operator=(Tensor &&other) noexcept;
  Tensor(const Tensor &) = delete;
  Tensor &operator=(const Tensor &) = delete;
  ~Tensor();

  /// A zero-filled tensor. Fails on a negative extent, on a size that
  /// overflows, and when memory runs out.
  static Expected<Tensor> create(DType dtype, Shape shape);

  /// A tensor holding `values` in C order; their count must match the
  /// shape (asserted). Meant for constants and tests.
  template <typename T>
  static Tensor fromVector(Shape shape, const std::vector<T> &values) {
    Expected<Tensor> tensor = create(dtypeOf<T>(), std::move(shape));
    assert(tensor.ok() && "cannot allocate a tensor from values");
    assert(static_cast<size_t>(tensor->numElements()) == values.size() &&
           "value count does not match the shape");
    for (size_t i = 0; i < values.size(); ++i)
      tensor->data<T>()[i] = values[i];
    return std::move(tensor).value();
  }

  /// A deep copy; fails only when memory runs out.
  Expected<Tensor> clone() const;

  DType dtype() const { return type; }
  const Shape &shape() const { return dims; }
  int64_t rank() const { return static_cast<int64_t>(dims.size()); }
  int64_t numElements() const { return count; }
  size_t byteSize() const {
    return static_cast<size_t>(count) * dtypeSize(type);
  }

  /// The storage, 64-byte aligned; null when there are no elements.
  std::byte *rawData() { return bytes; }
  const std::byte *rawData() const { return bytes; }

  /// The elements as T; T must match dtype() (asserted).
  template <typename T> T *data() {
    assert(dtypeOf<T>() == type && "tensor accessed with the wrong type");
    return reinterpret_cast<T *>(bytes);
  }
  template <typename T> const T *data() const {
    assert(dtypeOf<T>() == type && "tensor accessed with the wrong type");
    return reinterpret_cast<const T *>(bytes);
  }

  /// The element at flat C-order index `index` (bounds asserted).
  template <typename T> T &at(int64_t index) {
    assert(index >= 0 && index < count && "flat index out of range");
    return data<T>()[index];
  }
  template <typename T> const T &at(int64_t index) const {
    assert(index >= 0 && index < count && "flat index out of range");
    return data<T>()[index];
  }

  /// Views of the whole tensor. They dangle once the tensor is destroyed.
  TensorView view() { return TensorView(bytes, type, dims); }
  ConstTensorView view() const { return ConstTensorView(bytes, type, dims); }
  operator TensorView() { return view(); }
  operator ConstTensorView() const { return view(); }

private:
  std::byte *bytes = nullptr;
  DType type = DType::F32;
  Shape dims{0};
  int64_t count = 0;
};

/// Rows [start, start + count) of `view` along its leading dimension, in
/// place (in C order they are contiguous): a batch's slice of samples.
/// The view must have a leading dimension and hold those rows.
ConstTensorView rowsOf(ConstTensorView view, int64_t start, int64_t count);

/// Checks that `tensor` has `dtype` and `shape`, where an expected extent of
/// -1 matches any extent (the dynamic batch dimension). `what` names the
/// tensor for the message, e.g. "input 'x'" gives
///   "input 'x': expected f32[?, 64], got f64[10, 64]".
Error checkTensorType(const std::string &what, ConstTensorView tensor,
                      DType dtype, const Shape &shape);

} // namespace nnc::rt

#endif // NNC_RUNTIME_TENSOR_H
