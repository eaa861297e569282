//===- KernelSupport.cpp - Helpers shared by the reference kernels --------===//

#include "backends/ref/kernels/KernelSupport.h"

#include <algorithm>
#include <cassert>
#include <cstdio>

namespace nnc::ref::detail {

std::string formatNumber(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

Error checkDType(const char *op, const char *what, ConstTensorView tensor,
                 DType dtype) {
  if (tensor.dtype() == dtype)
    return Error::success();
  return opError(op, std::string(what) + " has dtype " +
                         rt::dtypeName(tensor.dtype()) + ", expected " +
                         rt::dtypeName(dtype));
}

Error checkShape(const char *op, const char *what, ConstTensorView tensor,
                 const Shape &expected) {
  if (tensor.shape() == expected)
    return Error::success();
  return opError(op, std::string(what) + " has shape " +
                         rt::shapeToString(tensor.shape()) + ", expected " +
                         rt::shapeToString(expected));
}

Error checkRank(const char *op, const char *what, ConstTensorView tensor,
                int64_t rank) {
  if (tensor.rank() == rank)
    return Error::success();
  return opError(op, std::string(what) + " has rank " +
                         std::to_string(tensor.rank()) + ", expected " +
                         std::to_string(rank));
}

Expected<Shape> broadcastShapes(const char *op, const Shape &lhs,
                                const Shape &rhs) {
  size_t rank = std::max(lhs.size(), rhs.size());
  Shape result(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Walk from the right; a missing dimension acts as 1.
    int64_t l = i < lhs.size() ? lhs[lhs.size() - 1 - i] : 1;
    int64_t r = i < rhs.size() ? rhs[rhs.size() - 1 - i] : 1;
    if (l != r && l != 1 && r != 1)
      return opError(op, "cannot broadcast " + rt::shapeToString(lhs) +
                             " with " + rt::shapeToString(rhs));
    result[rank - 1 - i] = l == 1 ? r : l;
  }
  return result;
}

std::vector<int64_t> broadcastStrides(const Shape &input, const Shape &output) {
  std::vector<int64_t> inputStrides = rt::contiguousStrides(input);
  assert(input.size() <= output.size() && "input has a higher rank");
  std::vector<int64_t> strides(output.size(), 0);
  size_t offset = output.size() - input.size();
  for (size_t i = 0; i < input.size(); ++i)
    strides[offset + i] = input[i] == 1 ? 0 : inputStrides[i];
  return strides;
}

int64_t offsetOf(int64_t flat, const Shape &shape,
                 const std::vector<int64_t> &strides) {
  int64_t offset = 0;
  for (size_t i = shape.size(); i-- > 0;) {
    offset += (flat % shape[i]) * strides[i];
    flat /= shape[i];
  }
  return offset;
}

Expected<int64_t> normalizeAxis(const char *op, int64_t axis, int64_t rank) {
  int64_t normalized = axis < 0 ? axis + rank : axis;
  if (normalized < 0 || normalized >= rank)
    return opError(op, "axis " + std::to_string(axis) +
                           " is out of range for rank " + std::to_string(rank));
  return normalized;
}

} // namespace nnc::ref::detail
