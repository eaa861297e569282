//===- ConstantFolding.cpp - Evaluate ONNX nodes at import time -----------===//

#include "onnx/ConstantFolding.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>

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

namespace {

using Folded = rt::Expected<bool>;

Folded failure(std::string message) {
  return rt::Error::failure(std::move(message));
}

/// The most elements one folded constant may have. The folder evaluates
/// element by element into 8-byte numbers, so this bounds what one node
/// costs at import to 2 GiB and seconds; a file asking for more (a
/// ConstantOfShape of [2^20, 2^20]) is refused rather than exhausting
/// memory. Shape arithmetic and masks are far smaller.
constexpr int64_t kMaxFoldedElements = int64_t(1) << 28;

/// Fails when a folded result of `shape` cannot be evaluated: a negative
/// extent, or more than kMaxFoldedElements elements.
rt::Error checkFoldedShape(const Dims &shape) {
  for (int64_t extent : shape)
    if (extent < 0)
      return rt::Error::failure("the result would have the negative extent " +
                                std::to_string(extent));
  if (!fitsElementLimit(shape, kMaxFoldedElements))
    return rt::Error::failure(
        "the result would have more than 2^28 elements, more than nnc "
        "evaluates at import");
  return rt::Error::success();
}

/// `values` as "[1, -2]": unlike formatDims, -1 stays a number, since it
/// is no batch symbol in a shape a node computes.
std::string listText(const std::vector<int64_t> &values) {
  std::string text = "[";
  for (size_t i = 0; i < values.size(); ++i)
    text += (i ? ", " : "") + std::to_string(values[i]);
  return text + "]";
}

int64_t elementCount(const Dims &shape) {
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  return count;
}

std::vector<int64_t> stridesOf(const Dims &shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;)
    strides[i - 1] = strides[i] * shape[i];
  return strides;
}

/// Binds `output` to a constant of `source`'s type and `shape` with every
/// element taken from `source` through `indexOf` (flat output index -> flat
/// source index); fails when checkFoldedShape refuses `shape`.
Folded bindGathered(Translation &translation, const std::string &output,
                    const Constant &source, Dims shape,
                    const std::function<size_t(size_t)> &indexOf) {
  if (rt::Error error = checkFoldedShape(shape); !error.ok())
    return error;
  Constant out;
  out.type = source.type;
  out.shape = std::move(shape);
  size_t count = static_cast<size_t>(elementCount(out.shape));
  bool anyBatch = source.anyBatchEntry();
  (isFloat(source.type) ? out.reals.reserve(count) : out.ints.reserve(count));
  for (size_t i = 0; i < count; ++i) {
    size_t from = indexOf(i);
    if (isFloat(source.type))
      out.reals.push_back(source.reals[from]);
    else
      out.ints.push_back(source.ints[from]);
    if (anyBatch)
      out.batchEntries.push_back(source.isBatchEntry(from));
  }
  translation.bindConstant(output, std::move(out));
  return true;
}

/// Flat index into a broadcast operand of `shape` for the output position
/// `coords` (right-aligned).
size_t broadcastIndex(const Dims &shape, const std::vector<int64_t> &coords) {
  size_t index = 0;
  size_t offset = coords.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i)
    index = index * shape[i] + (shape[i] == 1 ? 0 : coords[i + offset]);
  return index;
}

/// The first integer result an element-wise fold could not give: ONNX
/// leaves overflow and division by zero undefined, and in C++ they are
/// undefined too (INT64_MIN / -1 traps), so the node is refused.
struct IntegerTrap {
  std::string problem;

  int64_t fail(const char *why) {
    if (problem.empty())
      problem = why;
    return 0;
  }
  int64_t checked(bool overflowed, int64_t result) {
    return overflowed ? fail("the integer result overflows 64 bits") : result;
  }
  /// `value` (an integer op computed in double) as an integer.
  int64_t fromReal(double value) {
    if (!(value >= -0x1p63 && value < 0x1p63))
      return fail(std::isnan(value) || std::isinf(value)
                      ? "the integer result is not a number (a division "
                        "by zero)"
                      : "the integer result overflows 64 bits");
    return static_cast<int64_t>(value);
  }
};

/// Evaluates an element-wise op over broadcast constant operands.
rt::Expected<Constant>
elementwise(const std::vector<const Constant *> &operands, ElemType resultType,
            const std::function<double(const std::vector<double> &)> &real,
            const std::function<int64_t(const std::vector<int64_t> &)> &integer,
            IntegerTrap &trap) {
  Dims shape;
  for (const Constant *operand : operands) {
    if (operand->anyBatchEntry())
      return rt::Error::failure(
          "arithmetic on the batch size, which nnc cannot express");
    std::optional<Dims> next = broadcastShapes(shape, operand->shape);
    if (!next)
      return rt::Error::failure("operands " + formatDims(shape) + " and " +
                                formatDims(operand->shape) +
                                " do not broadcast");
    shape = *next;
  }
  if (rt::Error error = checkFoldedShape(shape); !error.ok())
    return error;
  Constant out;
  out.type = resultType;
  out.shape = shape;
  int64_t count = elementCount(shape);
  std::vector<int64_t> strides = stridesOf(shape);
  std::vector<int64_t> coords(shape.size());
  std::vector<double> reals(operands.size());
  std::vector<int64_t> ints(operands.size());
  bool floatInputs = isFloat(operands.front()->type);
  for (int64_t flat = 0; flat < count; ++flat) {
    for (size_t d = 0; d < shape.size(); ++d)
      coords[d] = (flat / strides[d]) % shape[d];
    for (size_t k = 0; k < operands.size(); ++k) {
      size_t at = broadcastIndex(operands[k]->shape, coords);
      reals[k] = operands[k]->number(at);
      ints[k] = operands[k]->integer(at);
    }
    if (isFloat(resultType))
      out.reals.push_back(real(reals));
    else if (floatInputs && real)
      out.ints.push_back(trap.fromReal(real(reals)));
    else
      out.ints.push_back(integer(ints));
  }
  if (!trap.problem.empty())
    return rt::Error::failure(trap.problem);
  return out;
}

/// Rounds every element of a float constant to its type, as a kernel of
/// that type would have computed it.
void roundToType(Constant &constant) {
  if (constant.type == ElemType::F32)
    for (double &x : constant.reals)
      x = static_cast<float>(x);
}

std::vector<const Constant *> constantInputs(const Translation &translation,
                                             const NodeProto &node) {
  std::vector<const Constant *> inputs;
  for (const std::string &name : node.input()) {
    const Value *value = translation.find(name);
    inputs.push_back(value && value->isConstant() ? &value->constant : nullptr);
  }
  return inputs;
}

/// Fails when `constant` holds Shape's batch entry (0, standing for the
/// batch size), which a use as a number would read as 0.
rt::Error refuseBatchEntries(const Constant &constant, const char *what) {
  if (constant.anyBatchEntry())
    return rt::Error::failure(std::string(what) + ": " + kBatchAsNumber);
  return rt::Error::success();
}

/// The integer list a constant input holds (axes, shapes, starts, ...).
std::vector<int64_t> integerList(const Constant &constant) {
  std::vector<int64_t> list;
  for (size_t i = 0; i < constant.size(); ++i)
    list.push_back(constant.integer(i));
  return list;
}

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

/// Unsqueeze, Squeeze, Reshape and Flatten only change a constant's shape.
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
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(static_cast<int64_t>(i));
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return failure("starts, ends, axes and steps differ in length");
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

Folded foldCast(Translation &translation, const NodeProto &node,
                const Constant &data) {
  Attributes attributes(node);
  std::optional<ElemType> to =
      elemTypeOf(static_cast<int32_t>(attributes.getInt("to", 0)));
  if (!to)
    return failure("cast to an unsupported dtype");
  Constant out;
  out.type = *to;
  out.shape = data.shape;
  out.batchEntries = data.batchEntries;
  for (size_t i = 0; i < data.size(); ++i) {
    if (isFloat(*to))
      out.reals.push_back(data.number(i));
    else if (*to == ElemType::Bool)
      out.ints.push_back(data.number(i) != 0);
    else
      out.ints.push_back(data.integer(i));
  }
  roundToType(out);
  translation.bindConstant(node.output(0), std::move(out));
  return true;
}

/// `batch <op> value` (or `value <op> batch` when `batchFirst` is false)
/// where the batch size is only known to be at least 1: the comparison's
/// outcome when that settles it.
std::optional<bool> compareWithBatch(const std::string &op, int64_t value,
                                     bool batchFirst) {
  if (op == "Equal")
    return value < 1 ? std::optional<bool>(false) : std::nullopt;
  bool batchLess = (op == "Less") == batchFirst; // batch < value?
  if (batchLess)
    return value <= 1 ? std::optional<bool>(false) : std::nullopt;
  return value < 1 ? std::optional<bool>(true) : std::nullopt; // batch > value
}

/// Equal, Less, Greater and Where over integer operands some of whose
/// entries stand for the batch size: what PyTorch exports for
/// `cls.expand(x.size(0), -1, -1)` compares the shape [B, -1, -1] with -1
/// and selects [B, 1, 1] from it. A comparison the batch size (at least 1)
/// settles folds; Where carries a selected batch entry through. Anything
/// else fails, as arithmetic on the batch size.
Folded foldWithBatchEntries(Translation &translation, const NodeProto &node,
                            const std::vector<const Constant *> &inputs) {
  const std::string &op = node.op_type();
  bool where = op == "Where";
  auto unknown = [] {
    return failure("arithmetic on the batch size, which nnc cannot express");
  };
  Dims shape;
  for (const Constant *operand : inputs) {
    if (isFloat(operand->type))
      return unknown();
    std::optional<Dims> next = broadcastShapes(shape, operand->shape);
    if (!next)
      return failure("operands " + formatDims(shape) + " and " +
                     formatDims(operand->shape) + " do not broadcast");
    shape = *next;
  }
  if (rt::Error error = checkFoldedShape(shape); !error.ok())
    return error;
  Constant out;
  out.type = where ? inputs[1]->type : ElemType::Bool;
  out.shape = shape;
  std::vector<int64_t> strides = stridesOf(shape);
  std::vector<int64_t> coords(shape.size());
  for (int64_t flat = 0, count = elementCount(shape); flat < count; ++flat) {
    for (size_t d = 0; d < shape.size(); ++d)
      coords[d] = (flat / strides[d]) % shape[d];
    size_t at[3];
    for (size_t k = 0; k < inputs.size(); ++k)
      at[k] = broadcastIndex(inputs[k]->shape, coords);
    bool batch[3] = {};
    for (size_t k = 0; k < inputs.size(); ++k)
      batch[k] = inputs[k]->isBatchEntry(at[k]);
    if (where) {
      if (batch[0])
        return unknown();
      size_t pick = inputs[0]->integer(at[0]) != 0 ? 1 : 2;
      out.ints.push_back(inputs[pick]->integer(at[pick]));
      out.batchEntries.push_back(batch[pick]);
      continue;
    }
    int64_t a = inputs[0]->integer(at[0]), b = inputs[1]->integer(at[1]);
    std::optional<bool> result;
    if (batch[0] && batch[1])
      result = std::nullopt;
    else if (batch[0])
      result = compareWithBatch(op, b, /*batchFirst=*/true);
    else if (batch[1])
      result = compareWithBatch(op, a, /*batchFirst=*/false);
    else
      result = op == "Equal" ? a == b : op == "Less" ? a < b : a > b;
    if (!result)
      return unknown();
    out.ints.push_back(*result);
    out.batchEntries.push_back(false);
  }
  translation.bindConstant(node.output(0), std::move(out));
  return true;
}

/// Element-wise ops: the result type is the first operand's, or Bool for
/// comparisons.
Folded foldElementwise(Translation &translation, const NodeProto &node,
                       const std::vector<const Constant *> &inputs) {
  const std::string &op = node.op_type();
  // The folds below read their operands by position: a node with another
  // count (a malformed file) would read past them.
  bool variadic = op == "Min" || op == "Max";
  bool unary = op == "Neg" || op == "Sqrt" || op == "Exp" || op == "Log" ||
               op == "Abs" || op == "Floor" || op == "Ceil" ||
               op == "Reciprocal";
  size_t arity = op == "Where" ? 3 : unary || variadic ? 1 : 2;
  if (variadic ? inputs.size() < arity : inputs.size() != arity)
    return failure(op + " needs " + (variadic ? "at least " : "") +
                   std::to_string(arity) + " input" + (arity > 1 ? "s" : "") +
                   ", not " + std::to_string(inputs.size()));
  bool batchAware =
      op == "Equal" || op == "Less" || op == "Greater" || op == "Where";
  if (batchAware &&
      std::any_of(inputs.begin(), inputs.end(),
                  [](const Constant *input) { return input->anyBatchEntry(); }))
    return foldWithBatchEntries(translation, node, inputs);
  ElemType type = inputs[0]->type;
  using Reals = const std::vector<double> &;
  using Ints = const std::vector<int64_t> &;
  std::function<double(Reals)> real;
  std::function<int64_t(Ints)> integer;
  IntegerTrap trap;
  if (op == "Add") {
    real = [](Reals v) { return v[0] + v[1]; };
    integer = [&trap](Ints v) {
      int64_t r;
      return trap.checked(__builtin_add_overflow(v[0], v[1], &r), r);
    };
  } else if (op == "Sub") {
    real = [](Reals v) { return v[0] - v[1]; };
    integer = [&trap](Ints v) {
      int64_t r;
      return trap.checked(__builtin_sub_overflow(v[0], v[1], &r), r);
    };
  } else if (op == "Mul") {
    real = [](Reals v) { return v[0] * v[1]; };
    integer = [&trap](Ints v) {
      int64_t r;
      return trap.checked(__builtin_mul_overflow(v[0], v[1], &r), r);
    };
  } else if (op == "Div") {
    real = [](Reals v) { return v[0] / v[1]; };
    integer = [&trap](Ints v) {
      if (v[1] == 0)
        return trap.fail("integer division by zero");
      // x / -1 is -x, computed as such: INT64_MIN / -1 traps.
      constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
      if (v[1] == -1)
        return trap.checked(v[0] == kMin, v[0] == kMin ? 0 : -v[0]);
      return v[0] / v[1];
    };
  } else if (op == "Pow") {
    real = [](Reals v) { return std::pow(v[0], v[1]); };
    integer = [&trap](Ints v) {
      return trap.fromReal(std::pow(double(v[0]), double(v[1])));
    };
  } else if (op == "Min" || op == "Max") {
    // Variadic in ONNX: one input or more.
    bool min = op == "Min";
    auto fold = [min](const auto &v) {
      auto result = v[0];
      for (size_t i = 1; i < v.size(); ++i)
        result = min ? std::min(result, v[i]) : std::max(result, v[i]);
      return result;
    };
    real = [fold](Reals v) { return fold(v); };
    integer = [fold](Ints v) { return fold(v); };
  } else if (op == "Equal" || op == "Less" || op == "Greater") {
    type = ElemType::Bool;
    int which = op == "Equal" ? 0 : op == "Less" ? 1 : 2;
    integer = [which](Ints v) -> int64_t {
      return which == 0 ? v[0] == v[1] : which == 1 ? v[0] < v[1] : v[0] > v[1];
    };
    if (isFloat(inputs[0]->type)) {
      real = [which](Reals v) -> double {
        return which == 0   ? v[0] == v[1]
               : which == 1 ? v[0] < v[1]
                            : v[0] > v[1];
      };
    }
  } else if (op == "Where") {
    type = inputs[1]->type;
    real = [](Reals v) { return v[0] != 0 ? v[1] : v[2]; };
    integer = [](Ints v) { return v[0] != 0 ? v[1] : v[2]; };
    rt::Expected<Constant> out = elementwise(inputs, type, real, integer, trap);
    if (!out.ok())
      return out.takeError();
    // The condition is integer-valued, so evaluate on numbers directly.
    translation.bindConstant(node.output(0), std::move(*out));
    return true;
  } else if (op == "Neg") {
    real = [](Reals v) { return -v[0]; };
    integer = [&trap](Ints v) {
      return trap.checked(v[0] == std::numeric_limits<int64_t>::min(), -v[0]);
    };
  } else if (op == "Sqrt" || op == "Exp" || op == "Log" || op == "Abs" ||
             op == "Floor" || op == "Ceil" || op == "Reciprocal") {
    double (*f)(double) =
        op == "Sqrt"    ? static_cast<double (*)(double)>(std::sqrt)
        : op == "Exp"   ? static_cast<double (*)(double)>(std::exp)
        : op == "Log"   ? static_cast<double (*)(double)>(std::log)
        : op == "Abs"   ? static_cast<double (*)(double)>(std::fabs)
        : op == "Floor" ? static_cast<double (*)(double)>(std::floor)
        : op == "Ceil"  ? static_cast<double (*)(double)>(std::ceil)
                        : nullptr;
    real = [f](Reals v) { return f ? f(v[0]) : 1.0 / v[0]; };
    integer = [f, &trap](Ints v) {
      return trap.fromReal(f ? f(double(v[0])) : 1.0 / double(v[0]));
    };
  } else {
    return false;
  }
  if (type == ElemType::Bool && isFloat(inputs[0]->type)) {
    // Compare as numbers, store as integers.
    std::function<double(Reals)> compare = real;
    rt::Expected<Constant> out =
        elementwise(inputs, ElemType::F64, compare, integer, trap);
    if (!out.ok())
      return out.takeError();
    Constant result;
    result.type = ElemType::Bool;
    result.shape = out->shape;
    for (double x : out->reals)
      result.ints.push_back(x != 0);
    translation.bindConstant(node.output(0), std::move(result));
    return true;
  }
  rt::Expected<Constant> out = elementwise(inputs, type, real, integer, trap);
  if (!out.ok())
    return out.takeError();
  roundToType(*out);
  translation.bindConstant(node.output(0), std::move(*out));
  return true;
}

const char *const kFoldableOps[] = {"Constant", "Shape",     "ConstantOfShape",
                                    "Identity", "Cast",      "Gather",
                                    "Concat",   "Unsqueeze", "Squeeze",
                                    "Reshape",  "Flatten",   "Slice",
                                    "Split",    "Transpose", "Expand",
                                    "Range",    "Add",       "Sub",
                                    "Mul",      "Div",       "Pow",
                                    "Min",      "Max",       "Equal",
                                    "Less",     "Greater",   "Where",
                                    "Neg",      "Sqrt",      "Exp",
                                    "Log",      "Abs",       "Floor",
                                    "Ceil",     "Reciprocal"};

} // namespace

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

bool isFoldableOp(const std::string &opType) {
  for (const char *op : kFoldableOps)
    if (opType == op)
      return true;
  return false;
}

rt::Expected<bool> foldNode(Translation &translation, const NodeProto &node) {
  const std::string &op = node.op_type();
  if (op == "Constant")
    return foldConstantNode(translation, node);
  if (op == "Shape")
    return foldShape(translation, node);
  if (!isFoldableOp(op))
    return false;
  std::vector<const Constant *> inputs = constantInputs(translation, node);
  // Optional inputs left out have empty names; every given one must be
  // constant for the node to fold.
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!inputs[i] && !node.input(static_cast<int>(i)).empty())
      return false;
  if (inputs.empty() || !inputs[0])
    return false;
  if (op == "Identity") {
    translation.alias(node.output(0), *translation.find(node.input(0)));
    return true;
  }
  if (op == "Cast")
    return foldCast(translation, node, *inputs[0]);
  if (op == "Gather")
    return inputs.size() == 2
               ? foldGather(translation, node, *inputs[0], *inputs[1])
               : failure("Gather needs two inputs");
  if (op == "Concat")
    return foldConcat(translation, node, inputs);
  if (op == "Unsqueeze" || op == "Squeeze" || op == "Reshape" ||
      op == "Flatten")
    return foldReshaping(translation, node, inputs);
  if (op == "Slice")
    return foldSlice(translation, node, inputs);
  if (op == "Split")
    return foldSplit(translation, node, inputs);
  if (op == "Transpose")
    return foldTranspose(translation, node, *inputs[0]);
  if (op == "ConstantOfShape")
    return foldConstantOfShape(translation, node, *inputs[0]);
  if (op == "Expand")
    return inputs.size() == 2
               ? foldExpand(translation, node, *inputs[0], *inputs[1])
               : failure("Expand needs two inputs");
  if (op == "Range")
    return inputs.size() == 3 ? foldRange(translation, node, inputs)
                              : failure("Range needs three inputs");
  return foldElementwise(translation, node, inputs);
}

} // namespace nnc::onnx
