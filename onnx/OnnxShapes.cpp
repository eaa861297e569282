//===- OnnxShapes.cpp - Shape rules of ONNX ops ---------------------------===//

#include "onnx/OnnxShapes.h"

namespace nnc::onnx {

std::optional<Dims> broadcastShapes(const Dims &a, const Dims &b) {
  size_t rank = std::max(a.size(), b.size());
  Dims out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (x == y || y == 1)
      out[i] = x;
    else if (x == 1)
      out[i] = y;
    else
      return std::nullopt;
  }
  return out;
}

std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

std::optional<int64_t> normalizeSplitAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis > rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

rt::Expected<Dims> unsqueezedShape(const Dims &shape,
                                   const std::vector<int64_t> &axes) {
  int64_t outRank = static_cast<int64_t>(shape.size() + axes.size());
  std::vector<bool> inserted(outRank, false);
  for (int64_t axis : axes) {
    std::optional<int64_t> a = normalizeAxis(axis, outRank);
    if (!a || inserted[*a])
      return rt::Error::failure("bad axis " + std::to_string(axis));
    inserted[*a] = true;
  }
  Dims out;
  size_t next = 0;
  for (int64_t i = 0; i < outRank; ++i)
    out.push_back(inserted[i] ? 1 : shape[next++]);
  return out;
}

rt::Expected<Dims> squeezedShape(const Dims &shape,
                                 const std::vector<int64_t> &axes) {
  int64_t rank = static_cast<int64_t>(shape.size());
  std::vector<bool> removed(rank, axes.empty());
  for (int64_t axis : axes) {
    std::optional<int64_t> a = normalizeAxis(axis, rank);
    if (!a || shape[*a] != 1)
      return rt::Error::failure("axis " + std::to_string(axis) +
                                " is not of extent 1");
    removed[*a] = true;
  }
  Dims out;
  for (int64_t i = 0; i < rank; ++i)
    if (!(removed[i] && shape[i] == 1))
      out.push_back(shape[i]);
  return out;
}

rt::Expected<int64_t> splitAxis(Attributes &attributes, int64_t rank) {
  int64_t requested = attributes.getInt("axis", 0);
  std::optional<int64_t> axis = normalizeAxis(requested, rank);
  if (!axis)
    return rt::Error::failure("axis " + std::to_string(requested) +
                              " is out of range for rank " +
                              std::to_string(rank));
  return *axis;
}

rt::Expected<std::vector<int64_t>>
splitExtents(const Dims &shape, int64_t axis,
             const std::optional<std::vector<int64_t>> &split, int64_t parts) {
  int64_t extent = shape[axis];
  std::string where = "the extent " + std::to_string(extent) + " of axis " +
                      std::to_string(axis);
  if (parts < 1)
    return rt::Error::failure("the node has no outputs");
  if (!split) {
    if (extent % parts != 0)
      return rt::Error::failure(std::to_string(parts) +
                                " equal parts do not divide " + where);
    return std::vector<int64_t>(parts, extent / parts);
  }
  std::string text = "split " + listText(*split);
  if (static_cast<int64_t>(split->size()) != parts)
    return rt::Error::failure(text + " has " + std::to_string(split->size()) +
                              " entries for " + std::to_string(parts) +
                              " outputs");
  int64_t sum = 0;
  for (int64_t entry : *split) {
    if (entry < 1)
      return rt::Error::failure(text + " has an entry below 1; nnc supports "
                                       "positive extents only");
    // Compared before adding, since a sum past the extent could overflow.
    if (entry > extent - sum)
      return rt::Error::failure(text + " sums to more than " + where);
    sum += entry;
  }
  if (sum != extent)
    return rt::Error::failure(text + " sums to less than " + where);
  return *split;
}

rt::Error completeSliceLists(const std::vector<int64_t> &starts,
                             const std::vector<int64_t> &ends,
                             std::vector<int64_t> &axes,
                             std::vector<int64_t> &steps) {
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(static_cast<int64_t>(i));
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return rt::Error::failure("starts, ends, axes and steps differ in length");
  return rt::Error::success();
}

std::string listText(const std::vector<int64_t> &values) {
  std::string text = "[";
  for (size_t i = 0; i < values.size(); ++i)
    text += (i ? ", " : "") + std::to_string(values[i]);
  return text + "]";
}

} // namespace nnc::onnx
