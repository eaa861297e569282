//===- Tensor.cpp - Dense tensors of the runtime --------------------------===//

#include "runtime/Tensor.h"

#include <cassert>
#include <cstring>
#include <limits>
#include <new>

namespace nnc::rt {

namespace {
constexpr std::align_val_t kTensorAlignment{64};
} // namespace

size_t dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F64:
  case DType::I64:
    return 8;
  case DType::U8:
    return 1;
  }
  assert(false && "unknown dtype");
  return 1;
}

const char *dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  case DType::U8:
    return "u8";
  }
  assert(false && "unknown dtype");
  return "?";
}

std::string shapeToString(const Shape &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i != 0)
      text += ", ";
    text += shape[i] < 0 ? "?" : std::to_string(shape[i]);
  }
  return text + "]";
}

std::string extentsToString(const Shape &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i == 0 ? "" : ", ") + std::to_string(shape[i]);
  return text + "]";
}

std::string typeToString(DType dtype, const Shape &shape) {
  return dtypeName(dtype) + shapeToString(shape);
}

Expected<int64_t> checkedElementCount(const Shape &shape, size_t elementSize) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  // Zero extents are skipped in the overflow check but still make the count
  // zero: strides are products of extents, so a shape such as [0, 2^40,
  // 2^40] must be rejected even though it holds no element.
  int64_t product = 1;
  bool empty = false;
  for (int64_t extent : shape) {
    if (extent < 0)
      return Error::failure("negative extent " + std::to_string(extent) +
                            " in shape " + extentsToString(shape));
    if (extent == 0) {
      empty = true;
      continue;
    }
    if (product > kMax / extent)
      return Error::failure("shape " + shapeToString(shape) + " is too large");
    product *= extent;
  }
  if (product > kMax / static_cast<int64_t>(elementSize))
    return Error::failure("shape " + shapeToString(shape) + " is too large");
  return empty ? int64_t{0} : product;
}

int64_t elementCount(const Shape &shape) {
  int64_t count = 1;
  for (int64_t extent : shape) {
    assert(extent >= 0 && "element count of a shape with a negative extent");
    count *= extent;
  }
  return count;
}

std::vector<int64_t> contiguousStrides(const Shape &shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t i = shape.size(); i > 1; --i)
    strides[i - 2] = strides[i - 1] * shape[i - 1];
  return strides;
}

Tensor::Tensor(Tensor &&other) noexcept
    : bytes(other.bytes), type(other.type), dims(std::move(other.dims)),
      count(other.count) {
  other.bytes = nullptr;
  other.dims = {0};
  other.count = 0;
}

Tensor &Tensor::operator=(Tensor &&other) noexcept {
  if (this == &other)
    return *this;
  ::operator delete(bytes, kTensorAlignment);
  bytes = other.bytes;
  type = other.type;
  dims = std::move(other.dims);
  count = other.count;
  other.bytes = nullptr;
  other.dims = {0};
  other.count = 0;
  return *this;
}

Tensor::~Tensor() { ::operator delete(bytes, kTensorAlignment); }

Expected<Tensor> Tensor::create(DType dtype, Shape shape) {
  Expected<int64_t> count = checkedElementCount(shape, dtypeSize(dtype));
  if (!count)
    return count.takeError();
  size_t size = static_cast<size_t>(*count) * dtypeSize(dtype);
  Tensor tensor;
  tensor.type = dtype;
  tensor.dims = std::move(shape);
  tensor.count = *count;
  if (size == 0)
    return tensor;
  tensor.bytes = static_cast<std::byte *>(
      ::operator new(size, kTensorAlignment, std::nothrow));
  if (!tensor.bytes)
    return Error::failure("out of memory allocating " +
                          typeToString(dtype, tensor.dims));
  std::memset(tensor.bytes, 0, size);
  return tensor;
}

Expected<Tensor> Tensor::clone() const {
  Expected<Tensor> copy = create(type, dims);
  if (copy && byteSize() != 0)
    std::memcpy(copy->rawData(), bytes, byteSize());
  return copy;
}

ConstTensorView rowsOf(ConstTensorView view, int64_t start, int64_t count) {
  assert(view.rank() >= 1 && start >= 0 && count >= 0 &&
         start + count <= view.dim(0) && "rows outside the view");
  Shape shape = view.shape();
  size_t rowBytes =
      shape[0] ? view.byteSize() / static_cast<size_t>(shape[0]) : 0;
  shape[0] = count;
  const std::byte *data =
      view.rawData() ? view.rawData() + static_cast<size_t>(start) * rowBytes
                     : nullptr;
  return ConstTensorView(data, view.dtype(), std::move(shape));
}

Error checkTensorType(const std::string &what, ConstTensorView tensor,
                      DType dtype, const Shape &shape) {
  bool matches = tensor.dtype() == dtype &&
                 tensor.rank() == static_cast<int64_t>(shape.size());
  for (size_t i = 0; matches && i < shape.size(); ++i)
    matches = shape[i] < 0 || shape[i] == tensor.shape()[i];
  if (matches)
    return Error::success();
  return Error::failure(what + ": expected " + typeToString(dtype, shape) +
                        ", got " +
                        typeToString(tensor.dtype(), tensor.shape()));
}

} // namespace nnc::rt
