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

Expected<std::pair<int64_t, int64_t>>
classRows(const char *op, ConstTensorView logits, ConstTensorView labels) {
  if (logits.rank() < 2)
    return opError(op, "logits need rank >= 2, got " +
                           rt::shapeToString(logits.shape()));
  Shape positions(logits.shape().begin(), logits.shape().end() - 1);
  if (Error e = checkShape(op, "labels", labels, positions); !e.ok())
    return e;
  int64_t classes = logits.dim(logits.rank() - 1);
  return std::make_pair(labels.numElements(), classes);
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

Expected<GatherLayout> gatherLayout(const char *op, const Shape &table,
                                    const Shape &indices, int64_t axis) {
  int64_t rank = static_cast<int64_t>(table.size());
  Expected<int64_t> normalized = normalizeAxis(op, axis, rank);
  if (!normalized)
    return normalized.takeError();
  GatherLayout layout;
  layout.gathered.assign(table.begin(), table.begin() + *normalized);
  layout.gathered.insert(layout.gathered.end(), indices.begin(),
                         indices.end());
  layout.gathered.insert(layout.gathered.end(),
                         table.begin() + *normalized + 1, table.end());
  layout.extent = table[static_cast<size_t>(*normalized)];
  for (int64_t i = 0; i < *normalized; ++i)
    layout.outer *= table[static_cast<size_t>(i)];
  for (int64_t i = *normalized + 1; i < rank; ++i)
    layout.inner *= table[static_cast<size_t>(i)];
  layout.indexCount = rt::elementCount(indices);
  return layout;
}

namespace {

/// Python's clamping of a slice bound for a positive step.
int64_t clampBound(int64_t bound, int64_t extent) {
  if (bound < 0)
    bound += extent;
  return std::clamp<int64_t>(bound, 0, extent);
}

} // namespace

Expected<SliceWindow> sliceWindow(const char *op, const Shape &input,
                                  const std::vector<int64_t> &axes,
                                  const std::vector<int64_t> &starts,
                                  const std::vector<int64_t> &ends,
                                  const std::vector<int64_t> &steps) {
  size_t count = starts.size();
  int64_t rank = static_cast<int64_t>(input.size());
  if (ends.size() != count || (!axes.empty() && axes.size() != count) ||
      (!steps.empty() && steps.size() != count))
    return opError(op, "axes, starts, ends and steps differ in length");
  if (static_cast<int64_t>(count) > rank)
    return opError(op,
                   "more slice entries than the rank " + std::to_string(rank));

  std::vector<int64_t> inputStrides = rt::contiguousStrides(input);
  SliceWindow window;
  window.shape = input;
  window.strides = inputStrides;
  std::vector<bool> seen(input.size(), false);
  for (size_t i = 0; i < count; ++i) {
    int64_t listed = axes.empty() ? static_cast<int64_t>(i) : axes[i];
    Expected<int64_t> axis = normalizeAxis(op, listed, rank);
    if (!axis)
      return axis.takeError();
    size_t a = static_cast<size_t>(*axis);
    if (seen[a])
      return opError(op, "axis " + std::to_string(listed) + " is repeated");
    seen[a] = true;
    int64_t step = steps.empty() ? 1 : steps[i];
    if (step <= 0)
      return opError(op, "step " + std::to_string(step) + " is not positive");
    int64_t extent = input[a];
    int64_t start = clampBound(starts[i], extent);
    int64_t end = clampBound(ends[i], extent);
    // Ceiling division without overflow: end - start <= extent.
    window.shape[a] = end > start ? (end - start - 1) / step + 1 : 0;
    window.base += start * inputStrides[a];
    window.strides[a] = step * inputStrides[a];
  }
  return window;
}

} // namespace nnc::ref::detail
