//===- FoldDataMovement.cpp - Folding nodes that move constants -----------===//
//
// Constant, Shape and the ops that only move or repeat elements: Gather,
// Concat, the reshaping ops, Slice, Split, Transpose, ConstantOfShape,
// Expand and Range. Shape's batch entries travel through them.
//
//===----------------------------------------------------------------------===//

#include "onnx/FoldSupport.h"

#include "onnx/OnnxShapes.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace nnc::onnx::fold {

Folded foldConstantNode(Translation &translation, const NodeProto &node) {
  Attributes attributes(node);
  Constant constant;
  if (const ::onnx::TensorProto *tensor = attributes.getTensor("value")) {
    rt::Expected<Constant> read = constantFromTensor(*tensor);
    if (!read.ok())
      return read.takeError();
    constant = std::move(*read);
  } else if (attributes.has("value_float")) {
    constant.reals = {attributes.getFloat("value_float", 0)};
  } else if (attributes.has("value_floats")) {
    constant.reals.clear();
    constant.type = ElemType::F32;
    constant.shape = {0};
    // getInts does not read floats; the attribute is rare enough to refuse.
    return failure("value_floats is not supported; use a 'value' tensor");
  } else if (attributes.has("value_int")) {
    constant.type = ElemType::I64;
    constant.ints = {attributes.getInt("value_int", 0)};
  } else if (attributes.has("value_ints")) {
    constant.type = ElemType::I64;
    constant.ints = attributes.getInts("value_ints");
    constant.shape = {static_cast<int64_t>(constant.ints.size())};
  } else {
    return failure("a Constant without a supported value attribute");
  }
  for (const std::string &name : attributes.unread())
    return failure("attribute '" + name + "' is not supported");
  translation.bindConstant(node.output(0), std::move(constant));
  return true;
}

Folded foldShape(Translation &translation, const NodeProto &node) {
  const Value *input = translation.find(node.input(0));
  if (!input)
    return false;
  Attributes attributes(node);
  int64_t rank = static_cast<int64_t>(input->shape.size());
  int64_t start = attributes.getInt("start", 0);
  int64_t end = attributes.getInt("end", rank);
  start = std::clamp(start < 0 ? start + rank : start, int64_t(0), rank);
  end = std::clamp(end < 0 ? end + rank : end, int64_t(0), rank);
  Constant shape;
  shape.type = ElemType::I64;
  for (int64_t i = start; i < end; ++i) {
    bool batch = input->shape[i] == kBatch;
    shape.ints.push_back(batch ? 0 : input->shape[i]);
    shape.batchEntries.push_back(batch);
  }
  shape.shape = {static_cast<int64_t>(shape.ints.size())};
  translation.bindConstant(node.output(0), std::move(shape));
  return true;
}

Folded foldGather(Translation &translation, const NodeProto &node,
                  const Constant &data, const Constant &indices) {
  Attributes attributes(node);
  int64_t rank = static_cast<int64_t>(data.shape.size());
  std::optional<int64_t> axis =
      normalizeAxis(attributes.getInt("axis", 0), rank);
  if (!axis)
    return failure("axis out of range");
  if (rt::Error error = refuseBatchEntries(indices, "indices"); !error.ok())
    return error;
  int64_t extent = data.shape[*axis];
  std::vector<int64_t> picks;
  for (size_t i = 0; i < indices.size(); ++i) {
    int64_t index = indices.integer(i);
    if (index < -extent || index >= extent)
      return failure("index " + std::to_string(index) + " out of range");
    picks.push_back(index < 0 ? index + extent : index);
  }
  Dims shape(data.shape.begin(), data.shape.begin() + *axis);
  shape.insert(shape.end(), indices.shape.begin(), indices.shape.end());
  shape.insert(shape.end(), data.shape.begin() + *axis + 1, data.shape.end());
  int64_t inner = 1;
  for (int64_t d = *axis + 1; d < rank; ++d)
    inner *= data.shape[d];
  int64_t count = static_cast<int64_t>(picks.size());
  return bindGathered(
      translation, node.output(0), data, shape, [&](size_t flat) {
        int64_t i = static_cast<int64_t>(flat);
        int64_t within = i % inner;
        int64_t pick = picks[(i / inner) % count];
        int64_t outer = i / inner / count;
        return static_cast<size_t>((outer * extent + pick) * inner + within);
      });
}

Folded foldConcat(Translation &translation, const NodeProto &node,
                  const std::vector<const Constant *> &inputs) {
  Attributes attributes(node);
  const Constant &first = *inputs.front();
  int64_t rank = static_cast<int64_t>(first.shape.size());
  std::optional<int64_t> axis =
      normalizeAxis(attributes.getInt("axis", 0), rank);
  if (!axis)
    return failure("axis out of range");
  Constant out;
  out.type = first.type;
  out.shape = first.shape;
  out.shape[*axis] = 0;
  for (const Constant *input : inputs) {
    if (input->shape.size() != first.shape.size() || input->type != first.type)
      return failure("operands differ in rank or type");
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis && input->shape[d] != first.shape[d])
        return failure("operands " + formatDims(first.shape) + " and " +
                       formatDims(input->shape) + " differ off the axis " +
                       std::to_string(*axis));
    out.shape[*axis] += input->shape[*axis];
  }
  if (rt::Error error = checkFoldedShape(out.shape); !error.ok())
    return error;
  int64_t outer = 1;
  for (int64_t d = 0; d < *axis; ++d)
    outer *= first.shape[d];
  bool anyBatch = false;
  for (const Constant *input : inputs)
    anyBatch = anyBatch || input->anyBatchEntry();
  for (int64_t o = 0; o < outer; ++o)
    for (const Constant *input : inputs) {
      int64_t block = elementCount(input->shape) / std::max<int64_t>(outer, 1);
      for (int64_t i = 0; i < block; ++i) {
        size_t at = static_cast<size_t>(o * block + i);
        if (isFloat(out.type))
          out.reals.push_back(input->reals[at]);
        else
          out.ints.push_back(input->ints[at]);
        if (anyBatch)
          out.batchEntries.push_back(input->isBatchEntry(at));
      }
    }
  translation.bindConstant(node.output(0), std::move(out));
  return true;
}

Folded foldReshaping(Translation &translation, const NodeProto &node,
                     const std::vector<const Constant *> &inputs) {
  const Constant &data = *inputs[0];
  Attributes attributes(node);
  const std::string &op = node.op_type();
  Dims shape = data.shape;
  int64_t rank = static_cast<int64_t>(shape.size());
  auto axesInput = [&]() -> std::vector<int64_t> {
    if (inputs.size() > 1 && inputs[1])
      return integerList(*inputs[1]);
    return attributes.getInts("axes");
  };
  if (op == "Unsqueeze" || op == "Squeeze") {
    if (inputs.size() > 1 && inputs[1])
      if (rt::Error error = refuseBatchEntries(*inputs[1], "axes"); !error.ok())
        return error;
    rt::Expected<Dims> reshaped = op == "Unsqueeze"
                                      ? unsqueezedShape(shape, axesInput())
                                      : squeezedShape(shape, axesInput());
    if (!reshaped.ok())
      return reshaped.takeError();
    shape = *reshaped;
  } else if (op == "Flatten") {
    std::optional<int64_t> axis =
        normalizeSplitAxis(attributes.getInt("axis", 1), rank);
    if (!axis)
      return failure("axis out of range");
    int64_t left = 1;
    for (int64_t i = 0; i < *axis; ++i)
      left *= shape[i];
    shape = {left, elementCount(data.shape) / std::max<int64_t>(left, 1)};
  } else { // Reshape
    if (inputs.size() < 2 || !inputs[1] || inputs[1]->anyBatchEntry())
      return false;
    attributes.ignore("allowzero");
    std::vector<int64_t> target = integerList(*inputs[1]);
    int64_t known = 1;
    int64_t inferred = -1;
    for (size_t i = 0; i < target.size(); ++i) {
      if (target[i] == 0 && i < shape.size())
        target[i] = shape[i];
      if (target[i] < -1 || (target[i] == -1 && inferred >= 0))
        return failure("the shape " + listText(integerList(*inputs[1])) +
                       " is not a valid Reshape target");
      if (target[i] == -1)
        inferred = static_cast<int64_t>(i);
      else if (__builtin_mul_overflow(known, target[i], &known))
        return failure("the shape " + listText(target) + " is too large");
    }
    if (inferred >= 0)
      target[inferred] = known ? elementCount(data.shape) / known : 0;
    shape = target;
  }
  if (elementCount(shape) != elementCount(data.shape))
    return failure("the new shape " + formatDims(shape) +
                   " has another "
                   "element count than " +
                   formatDims(data.shape));
  Constant out = data;
  out.shape = shape;
  translation.bindConstant(node.output(0), std::move(out));
  return true;
}

Folded foldSlice(Translation &translation, const NodeProto &node,
                 const std::vector<const Constant *> &inputs) {
  const Constant &data = *inputs[0];
  Attributes attributes(node);
  int64_t rank = static_cast<int64_t>(data.shape.size());
  std::vector<int64_t> starts, ends, axes, steps;
  if (translation.opset < 10 || inputs.size() < 3) {
    starts = attributes.getInts("starts");
    ends = attributes.getInts("ends");
    axes = attributes.getInts("axes");
  } else {
    for (size_t i = 1; i < inputs.size(); ++i)
      if (!node.input(static_cast<int>(i)).empty() && !inputs[i])
        return false;
    static const char *const kRoles[] = {"", "starts", "ends", "axes", "steps"};
    for (size_t i = 1; i < inputs.size() && i < 5; ++i)
      if (inputs[i])
        if (rt::Error error = refuseBatchEntries(*inputs[i], kRoles[i]);
            !error.ok())
          return error;
    starts = integerList(*inputs[1]);
    ends = integerList(*inputs[2]);
    if (inputs.size() > 3 && inputs[3])
      axes = integerList(*inputs[3]);
    if (inputs.size() > 4 && inputs[4])
      steps = integerList(*inputs[4]);
  }
  if (rt::Error error = completeSliceLists(starts, ends, axes, steps);
      !error.ok())
    return error;
  std::vector<int64_t> first(rank, 0), step(rank, 1);
  Dims shape = data.shape;
  for (size_t k = 0; k < axes.size(); ++k) {
    std::optional<int64_t> axis = normalizeAxis(axes[k], rank);
    if (!axis)
      return failure("axis " + std::to_string(axes[k]) + " is out of range");
    if (steps[k] == 0)
      return failure("a step of 0 is not allowed");
    int64_t extent = data.shape[*axis];
    int64_t begin = starts[k] < 0 ? starts[k] + extent : starts[k];
    int64_t end = ends[k] < 0 ? ends[k] + extent : ends[k];
    // A step as long as the axis picks one element at most: clamped, the
    // arithmetic below cannot overflow.
    int64_t limit = std::max<int64_t>(extent, 1);
    int64_t by = std::clamp<int64_t>(steps[k], -limit, limit);
    if (by > 0) {
      begin = std::clamp<int64_t>(begin, 0, extent);
      end = std::clamp<int64_t>(end, 0, extent);
      shape[*axis] = end > begin ? (end - begin + by - 1) / by : 0;
    } else {
      // Backwards (x[::-1], which PyTorch's F.pad exports on its pads): from
      // begin down to just above end, end -1 meaning before the first.
      begin = std::clamp<int64_t>(begin, 0, limit - 1);
      end = std::clamp<int64_t>(end, -1, limit - 1);
      shape[*axis] =
          extent > 0 && begin > end ? (begin - end - by - 1) / -by : 0;
    }
    first[*axis] = begin;
    step[*axis] = by;
  }
  std::vector<int64_t> outStrides = stridesOf(shape);
  std::vector<int64_t> inStrides = stridesOf(data.shape);
  return bindGathered(
      translation, node.output(0), data, shape, [&](size_t flat) {
        size_t index = 0;
        for (int64_t d = 0; d < rank; ++d) {
          int64_t coord =
              (static_cast<int64_t>(flat) / outStrides[d]) % shape[d];
          index += (first[d] + coord * step[d]) * inStrides[d];
        }
        return index;
      });
}

Folded foldSplit(Translation &translation, const NodeProto &node,
                 const std::vector<const Constant *> &inputs) {
  const Constant &data = *inputs[0];
  Attributes attributes(node);
  int64_t rank = static_cast<int64_t>(data.shape.size());
  rt::Expected<int64_t> axis = splitAxis(attributes, rank);
  if (!axis.ok())
    return axis.takeError();
  std::optional<std::vector<int64_t>> split;
  if (inputs.size() > 1 && inputs[1]) {
    if (rt::Error error = refuseBatchEntries(*inputs[1], "split"); !error.ok())
      return error;
    split = integerList(*inputs[1]);
  } else if (attributes.has("split")) {
    split = attributes.getInts("split");
  }
  rt::Expected<std::vector<int64_t>> extents =
      splitExtents(data.shape, *axis, split, node.output_size());
  if (!extents.ok())
    return extents.takeError();
  int64_t extent = data.shape[*axis];
  int64_t inner = 1;
  for (int64_t d = *axis + 1; d < rank; ++d)
    inner *= data.shape[d];
  int64_t end = 0;
  for (int i = 0; i < node.output_size(); ++i) {
    int64_t begin = end, part = (*extents)[i];
    end += part;
    if (node.output(i).empty())
      continue;
    Dims shape = data.shape;
    shape[*axis] = part;
    Folded bound = bindGathered(
        translation, node.output(i), data, shape, [&](size_t flat) {
          int64_t at = static_cast<int64_t>(flat);
          int64_t outer = at / (part * inner), within = at % (part * inner);
          return static_cast<size_t>(outer * extent * inner + begin * inner +
                                     within);
        });
    if (!bound.ok())
      return bound.takeError();
  }
  return true;
}

Folded foldTranspose(Translation &translation, const NodeProto &node,
                     const Constant &data) {
  Attributes attributes(node);
  int64_t rank = static_cast<int64_t>(data.shape.size());
  std::vector<int64_t> perm = attributes.getInts("perm");
  if (perm.empty())
    for (int64_t i = rank; i-- > 0;)
      perm.push_back(i);
  if (static_cast<int64_t>(perm.size()) != rank)
    return failure("perm does not match the rank");
  Dims shape;
  std::vector<bool> taken(rank, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank)
      return failure("perm out of range");
    if (taken[p])
      return failure("perm " + listText(perm) + " is not a permutation");
    taken[p] = true;
    shape.push_back(data.shape[p]);
  }
  std::vector<int64_t> outStrides = stridesOf(shape);
  std::vector<int64_t> inStrides = stridesOf(data.shape);
  return bindGathered(
      translation, node.output(0), data, shape, [&](size_t flat) {
        size_t index = 0;
        for (int64_t d = 0; d < rank; ++d)
          index += ((static_cast<int64_t>(flat) / outStrides[d]) % shape[d]) *
                   inStrides[perm[d]];
        return index;
      });
}

Folded foldConstantOfShape(Translation &translation, const NodeProto &node,
                           const Constant &shapeInput) {
  if (shapeInput.anyBatchEntry())
    return false;
  Attributes attributes(node);
  Constant fill;
  fill.reals = {0.0};
  if (const ::onnx::TensorProto *value = attributes.getTensor("value")) {
    rt::Expected<Constant> read = constantFromTensor(*value);
    if (!read.ok() || read->size() != 1)
      return failure("value must be a one-element tensor");
    fill = std::move(*read);
  }
  Dims shape = integerList(shapeInput);
  for (int64_t extent : shape)
    if (extent < 0)
      return failure("the shape " + listText(shape) + " has a negative extent");
  return bindGathered(translation, node.output(0), fill, shape,
                      [](size_t) { return 0; });
}

Folded foldExpand(Translation &translation, const NodeProto &node,
                  const Constant &data, const Constant &shapeInput) {
  if (shapeInput.anyBatchEntry())
    return false;
  Dims target = integerList(shapeInput);
  for (int64_t extent : target)
    if (extent < 0)
      return failure("the shape " + listText(target) +
                     " has a negative extent");
  std::optional<Dims> shape = broadcastShapes(data.shape, target);
  if (!shape)
    return failure("shapes do not broadcast");
  std::vector<int64_t> strides = stridesOf(*shape);
  return bindGathered(
      translation, node.output(0), data, *shape, [&](size_t flat) {
        std::vector<int64_t> coords(shape->size());
        for (size_t d = 0; d < shape->size(); ++d)
          coords[d] = (static_cast<int64_t>(flat) / strides[d]) % (*shape)[d];
        return broadcastIndex(data.shape, coords);
      });
}

Folded foldRange(Translation &translation, const NodeProto &node,
                 const std::vector<const Constant *> &inputs) {
  const Constant &start = *inputs[0];
  if (start.size() != 1 || inputs[1]->size() != 1 || inputs[2]->size() != 1)
    return failure("start, limit and delta must be scalars");
  static const char *const kRoles[] = {"start", "limit", "delta"};
  for (size_t i = 0; i < 3; ++i)
    if (rt::Error error = refuseBatchEntries(*inputs[i], kRoles[i]);
        !error.ok())
      return error;
  double from = start.number(0), limit = inputs[1]->number(0),
         delta = inputs[2]->number(0);
  if (!std::isfinite(from) || !std::isfinite(limit) || !std::isfinite(delta))
    return failure("start, limit and delta must be finite");
  if (delta == 0)
    return failure("delta is 0");
  // Counted in double first: the int64 conversion of a count beyond its
  // range would be undefined.
  double steps = std::max(0.0, std::ceil((limit - from) / delta));
  if (steps > double(kMaxFoldedElements))
    return failure("the result would have more than 2^28 elements, more "
                   "than nnc evaluates at import");
  int64_t count = static_cast<int64_t>(steps);
  Constant out;
  out.type = start.type;
  out.shape = {count};
  for (int64_t i = 0; i < count; ++i) {
    if (isFloat(out.type))
      out.reals.push_back(from + i * delta);
    else
      out.ints.push_back(start.integer(0) + i * inputs[2]->integer(0));
  }
  translation.bindConstant(node.output(0), std::move(out));
  return true;
}
} // namespace nnc::onnx::fold
