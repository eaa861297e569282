//===- ShapeTranslators.cpp - ONNX shape and layout ops -------------------===//
//
// The ops that move data without computing on it: Reshape, Flatten,
// (Un)squeeze, Transpose, Concat, Slice, Split, Gather, Expand, Pad and the
// identities (Identity, inference Dropout, a Cast to the same type). What
// they share is shape inference and the rule that the batch stays the first
// dimension, which nnc's programs cannot move.
//
//===----------------------------------------------------------------------===//

#include "onnx/OpTranslators.h"
#include "onnx/TranslatorSupport.h"

#include "onnx/OnnxShapes.h"

#include <algorithm>
#include <limits>

namespace nnc::onnx::detail {
namespace {

/// The `shape=` attribute of a reshape: the batch becomes -1.
std::string reshapeTarget(const Dims &dims) {
  std::vector<int64_t> values(dims.begin(), dims.end());
  return intList(values);
}

/// The shape a reshape of `input` to `target` gives, in the program's
/// terms: the batch may stay a dimension of its own, and everything else
/// must be static. `batchEntries` marks target entries that are the batch.
rt::Expected<Dims> resolveReshape(const Dims &input,
                                  std::vector<int64_t> target,
                                  const std::vector<bool> &batchEntries,
                                  bool allowZero) {
  Dims out(target.size());
  int64_t inferred = -1;
  int64_t known = 1;
  int batches = 0;
  for (size_t i = 0; i < target.size(); ++i) {
    bool batch = i < batchEntries.size() && batchEntries[i];
    if (!batch && target[i] == 0 && !allowZero) {
      if (i >= input.size())
        return rt::Error::failure("a 0 in the shape past the input's rank");
      out[i] = input[i];
      batch = input[i] == kBatch;
      if (!batch)
        known *= input[i];
    } else if (batch) {
      out[i] = kBatch;
    } else if (target[i] == -1) {
      if (inferred >= 0)
        return rt::Error::failure("the shape has two -1 entries");
      inferred = static_cast<int64_t>(i);
    } else if (target[i] < 0) {
      return rt::Error::failure("negative extent in the shape");
    } else {
      out[i] = target[i];
      known *= target[i];
    }
    batches += batch;
  }
  bool inputBatched = hasBatch(input);
  int64_t inputCount = staticElementCount(input);
  if (inferred >= 0) {
    if (inputBatched && batches == 0) {
      // The -1 absorbs the batch: fine only when it is the batch alone.
      if (known != inputCount)
        return rt::Error::failure(
            "the reshape merges the batch dimension with others, which nnc "
            "cannot express");
      out[inferred] = kBatch;
      return out;
    }
    if (known == 0 || inputCount % known != 0)
      return rt::Error::failure("the shape does not divide the input");
    out[inferred] = inputCount / known;
  } else if (known != inputCount) {
    return rt::Error::failure("the shape " + formatDims(out) +
                              " has another "
                              "element count than the input " +
                              formatDims(input));
  }
  if (batches != (inputBatched ? 1 : 0))
    return rt::Error::failure(
        "the reshape moves the batch dimension, which nnc cannot express");
  return out;
}

/// The program's `slice` of `operand`: along each of `axes`, the elements
/// [starts, ends) every `steps` (every one when `steps` is empty).
std::string sliceExpression(const std::string &operand,
                            const std::vector<int64_t> &axes,
                            const std::vector<int64_t> &starts,
                            const std::vector<int64_t> &ends,
                            const std::vector<int64_t> &steps = {}) {
  std::string text = "slice(" + operand + ", axes=" + intList(axes) +
                     ", starts=" + intList(starts) + ", ends=" + intList(ends);
  if (!steps.empty())
    text += ", steps=" + intList(steps);
  return text + ")";
}

rt::Error emitReshape(Translation &translation, const NodeProto &node,
                      const Value &x, const Dims &shape) {
  Expected operand = translation.operand(x, false);
  if (!operand.ok())
    return operand.takeError();
  if (shape == x.shape) {
    translation.alias(node.output(0), *translation.find(node.input(0)));
    return rt::Error::success();
  }
  translation.let(
      node, 0, "reshape(" + *operand + ", shape=" + reshapeTarget(shape) + ")",
      x.type, shape);
  return rt::Error::success();
}

} // namespace

rt::Error translateReshape(Translation &translation, const NodeProto &node,
                           Attributes &attributes) {
  const Value &x = inputValue(translation, node, 0);
  const Value &target = inputValue(translation, node, 1);
  if (!target.isConstant())
    return fail("the target shape must be known at import time");
  std::vector<int64_t> entries;
  for (size_t i = 0; i < target.constant.size(); ++i)
    entries.push_back(target.constant.integer(i));
  std::vector<bool> batchEntries = target.constant.batchEntries;
  // At a fixed batch N the exporter folds `x.view(x.size(0), -1)` into the
  // literal [N, -1]: where the batch leads x, a leading N is the batch.
  if (translation.tracedBatch > 0 && !x.shape.empty() &&
      x.shape.front() == kBatch && !entries.empty() &&
      entries.front() == translation.tracedBatch &&
      !target.constant.anyBatchEntry()) {
    batchEntries.assign(entries.size(), false);
    batchEntries.front() = true;
    translation.nodesOfTracedBatch.push_back(&node);
  }
  rt::Expected<Dims> shape = resolveReshape(
      x.shape, entries, batchEntries, attributes.getInt("allowzero", 0) != 0);
  if (!shape.ok())
    return shape.takeError();
  return emitReshape(translation, node, x, *shape);
}

rt::Error translateFlatten(Translation &translation, const NodeProto &node,
                           Attributes &attributes) {
  const Value &x = inputValue(translation, node, 0);
  int64_t rank = static_cast<int64_t>(x.shape.size());
  std::optional<int64_t> axis =
      normalizeSplitAxis(attributes.getInt("axis", 1), rank);
  if (!axis)
    return fail("axis out of range");
  Dims left(x.shape.begin(), x.shape.begin() + *axis);
  Dims right(x.shape.begin() + *axis, x.shape.end());
  if (hasBatch(right))
    return fail("flattening the batch dimension into others is not supported");
  Dims shape = {hasBatch(left) ? kBatch : staticElementCount(left),
                staticElementCount(right)};
  if (hasBatch(left) && staticElementCount(left) != 1)
    return fail("the reshape merges the batch dimension with others, which "
                "nnc cannot express");
  return emitReshape(translation, node, x, shape);
}

rt::Error translateUnsqueezeOrSqueeze(Translation &translation,
                                      const NodeProto &node,
                                      Attributes &attributes) {
  const Value &x = inputValue(translation, node, 0);
  std::vector<int64_t> axes;
  if (hasInput(node, 1)) {
    rt::Expected<std::vector<int64_t>> list =
        constantInts(translation, node, 1, "axes");
    if (!list.ok())
      return list.takeError();
    axes = *list;
  } else {
    axes = attributes.getInts("axes");
  }
  rt::Expected<Dims> reshaped = node.op_type() == "Unsqueeze"
                                    ? unsqueezedShape(x.shape, axes)
                                    : squeezedShape(x.shape, axes);
  if (!reshaped.ok())
    return reshaped.takeError();
  Dims shape = *reshaped;
  if (hasBatch(shape) && shape.front() != kBatch)
    return fail("the result would move the batch dimension from the front");
  return emitReshape(translation, node, x, shape);
}

rt::Error translateTranspose(Translation &translation, const NodeProto &node,
                             Attributes &attributes) {
  const Value &x = inputValue(translation, node, 0);
  int64_t rank = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> perm = attributes.getInts("perm");
  if (perm.empty())
    for (int64_t i = rank; i-- > 0;)
      perm.push_back(i);
  if (static_cast<int64_t>(perm.size()) != rank)
    return fail("perm " + intList(perm) + " does not match rank " +
                std::to_string(rank));
  Dims shape;
  std::vector<bool> taken(rank, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank)
      return fail("perm " + intList(perm) + " is out of range");
    if (taken[p])
      return fail("perm " + intList(perm) + " is not a permutation");
    taken[p] = true;
    shape.push_back(x.shape[p]);
  }
  Expected operand = translation.operand(x, false);
  if (!operand.ok())
    return operand.takeError();
  translation.let(node, 0,
                  "transpose(" + *operand + ", perm=" + intList(perm) + ")",
                  x.type, shape);
  return rt::Error::success();
}

rt::Error translateConcat(Translation &translation, const NodeProto &node,
                          Attributes &attributes) {
  const Value &first = inputValue(translation, node, 0);
  int64_t rank = static_cast<int64_t>(first.shape.size());
  std::optional<int64_t> axis =
      normalizeAxis(attributes.getInt("axis", 0), rank);
  if (!axis)
    return fail("axis out of range");
  Dims shape = first.shape;
  shape[*axis] = 0;
  std::string expression = "concat(";
  for (int i = 0; i < node.input_size(); ++i) {
    const Value &v = inputValue(translation, node, i);
    if (v.shape.size() != first.shape.size() || v.type != first.type)
      return fail("operands differ in rank or type");
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis && v.shape[d] != first.shape[d])
        return fail("operands " + formatDims(first.shape) + " and " +
                    formatDims(v.shape) + " differ off the axis " +
                    std::to_string(*axis));
    if (v.shape[*axis] == kBatch)
      return fail("concatenating along the batch dimension is not supported");
    shape[*axis] += v.shape[*axis];
    Expected operand = translation.operand(v, false);
    if (!operand.ok())
      return operand.takeError();
    expression += (i ? ", " : "") + *operand;
  }
  translation.let(node, 0, expression + ", axis=" + std::to_string(*axis) + ")",
                  first.type, shape);
  return rt::Error::success();
}

rt::Error translateSlice(Translation &translation, const NodeProto &node,
                         Attributes &attributes) {
  const Value &x = inputValue(translation, node, 0);
  int64_t rank = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> starts, ends, axes, steps;
  if (node.input_size() >= 3) {
    const char *names[] = {"", "starts", "ends", "axes", "steps"};
    std::vector<int64_t> *lists[] = {nullptr, &starts, &ends, &axes, &steps};
    for (int i = 1; i < node.input_size() && i <= 4; ++i) {
      if (!hasInput(node, i))
        continue;
      rt::Expected<std::vector<int64_t>> list =
          constantInts(translation, node, i, names[i]);
      if (!list.ok())
        return list.takeError();
      *lists[i] = *list;
    }
  } else {
    starts = attributes.getInts("starts");
    ends = attributes.getInts("ends");
    axes = attributes.getInts("axes");
  }
  if (rt::Error error = completeSliceLists(starts, ends, axes, steps);
      !error.ok())
    return fail(error.message());
  Dims shape = x.shape;
  std::vector<int64_t> outAxes, outStarts, outEnds, outSteps;
  for (size_t k = 0; k < axes.size(); ++k) {
    std::optional<int64_t> axis = normalizeAxis(axes[k], rank);
    if (!axis)
      return fail("axis out of range");
    if (steps[k] <= 0)
      return fail("only positive steps are supported");
    int64_t extent = x.shape[*axis];
    if (extent == kBatch) {
      if (starts[k] == 0 && steps[k] == 1 &&
          ends[k] >= std::numeric_limits<int32_t>::max())
        continue; // the whole batch
      return fail("slicing the batch dimension is not supported");
    }
    int64_t begin = starts[k] < 0 ? starts[k] + extent : starts[k];
    int64_t end = ends[k] < 0 ? ends[k] + extent : ends[k];
    begin = std::clamp<int64_t>(begin, 0, extent);
    end = std::clamp<int64_t>(end, 0, extent);
    if (end <= begin)
      return fail("the slice of axis " + std::to_string(*axis) + " is empty");
    shape[*axis] = (end - begin + steps[k] - 1) / steps[k];
    if (begin == 0 && end == extent && steps[k] == 1)
      continue;
    outAxes.push_back(*axis);
    outStarts.push_back(begin);
    outEnds.push_back(end);
    outSteps.push_back(steps[k]);
  }
  Expected operand = translation.operand(x, false);
  if (!operand.ok())
    return operand.takeError();
  if (outAxes.empty()) {
    translation.alias(node.output(0), x);
    return rt::Error::success();
  }
  translation.let(
      node, 0, sliceExpression(*operand, outAxes, outStarts, outEnds, outSteps),
      x.type, shape);
  return rt::Error::success();
}

rt::Error translateSplit(Translation &translation, const NodeProto &node,
                         Attributes &attributes) {
  const Value &x = inputValue(translation, node, 0);
  int64_t rank = static_cast<int64_t>(x.shape.size());
  rt::Expected<int64_t> axis = splitAxis(attributes, rank);
  if (!axis.ok())
    return axis.takeError();
  if (x.shape[*axis] == kBatch)
    return fail("splitting along the batch dimension is not supported");
  // An attribute before opset 13, an optional input since.
  std::optional<std::vector<int64_t>> split;
  if (hasInput(node, 1)) {
    rt::Expected<std::vector<int64_t>> list =
        constantInts(translation, node, 1, "split");
    if (!list.ok())
      return list.takeError();
    split = *list;
  } else if (attributes.has("split")) {
    split = attributes.getInts("split");
  }
  rt::Expected<std::vector<int64_t>> extents =
      splitExtents(x.shape, *axis, split, node.output_size());
  if (!extents.ok())
    return extents.takeError();
  Expected operand = translation.operand(x, false);
  if (!operand.ok())
    return operand.takeError();
  int64_t end = 0;
  for (int i = 0; i < node.output_size(); ++i) {
    int64_t begin = end;
    end += (*extents)[i];
    if (!outputUsed(node, i))
      continue;
    if (end - begin == x.shape[*axis]) {
      translation.alias(node.output(i), x);
      continue;
    }
    Dims shape = x.shape;
    shape[*axis] = end - begin;
    translation.let(node, i, sliceExpression(*operand, {*axis}, {begin}, {end}),
                    x.type, shape);
  }
  return rt::Error::success();
}

rt::Error translateGather(Translation &translation, const NodeProto &node,
                          Attributes &attributes) {
  const Value &data = inputValue(translation, node, 0);
  const Value &indices = inputValue(translation, node, 1);
  int64_t rank = static_cast<int64_t>(data.shape.size());
  std::optional<int64_t> axis =
      normalizeAxis(attributes.getInt("axis", 0), rank);
  if (!axis)
    return fail("axis out of range");
  if (data.shape[*axis] == kBatch)
    return fail("gathering along the batch dimension is not supported");
  if (isFloat(indices.type) || indices.type == ElemType::Bool)
    return fail("indices must be integers");
  Expected source = translation.operand(data, false);
  if (!source.ok())
    return source.takeError();
  // A constant scalar index picks one slice and drops the axis (x[:, 0]).
  if (indices.isConstant() && indices.constant.anyBatchEntry())
    return fail(std::string("indices: ") + kBatchAsNumber);
  if (indices.isConstant() && indices.shape.empty()) {
    int64_t extent = data.shape[*axis];
    int64_t index = indices.constant.integer(0);
    if (index < -extent || index >= extent)
      return fail("index " + std::to_string(index) + " is out of range");
    index = index < 0 ? index + extent : index;
    Dims shape = data.shape;
    shape.erase(shape.begin() + *axis);
    std::string picked =
        sliceExpression(*source, {*axis}, {index}, {index + 1});
    translation.let(
        node, 0, "reshape(" + picked + ", shape=" + reshapeTarget(shape) + ")",
        data.type, shape);
    return rt::Error::success();
  }
  const Value *picks = &indices;
  if (indices.isConstant()) {
    // ONNX counts a negative index from the end (x[:, [0, -1]]); the
    // program's gather does not, so constant ones are made positive here.
    int64_t extent = data.shape[*axis];
    Constant positive = indices.constant;
    bool changed = false;
    for (int64_t &index : positive.ints) {
      if (index < -extent || index >= extent)
        return fail("index " + std::to_string(index) + " is out of range");
      if (index < 0) {
        index += extent;
        changed = true;
      }
    }
    if (changed) {
      std::string name = node.output(0) + "#indices";
      translation.bindConstant(name, std::move(positive));
      picks = translation.find(name);
    }
  }
  Expected positions = translation.operand(*picks, false);
  if (!positions.ok())
    return positions.takeError();
  Dims shape(data.shape.begin(), data.shape.begin() + *axis);
  shape.insert(shape.end(), indices.shape.begin(), indices.shape.end());
  shape.insert(shape.end(), data.shape.begin() + *axis + 1, data.shape.end());
  translation.let(node, 0,
                  "gather(" + *source + ", " + *positions +
                      ", axis=" + std::to_string(*axis) + ")",
                  data.type, shape);
  return rt::Error::success();
}

rt::Error translateExpand(Translation &translation, const NodeProto &node,
                          Attributes &) {
  const Value &x = inputValue(translation, node, 0);
  const Value &target = inputValue(translation, node, 1);
  if (!target.isConstant())
    return fail("the target shape must be known at import time");
  Dims wanted;
  for (size_t i = 0; i < target.constant.size(); ++i)
    wanted.push_back(
        target.constant.isBatchEntry(i) ? kBatch : target.constant.integer(i));
  // At a fixed batch N the exporter folds `cls.expand(x.size(0), -1, -1)`
  // into the literal [N, 1, D]: a leading N over x's batch, an axis of 1
  // or a new axis is the batch.
  bool leadsAnAxisOfOne = wanted.size() > x.shape.size()
                              ? !hasBatch(x.shape)
                              : !x.shape.empty() && (x.shape.front() == 1 ||
                                                     x.shape.front() == kBatch);
  if (translation.tracedBatch > 0 && !wanted.empty() &&
      wanted.size() >= x.shape.size() && leadsAnAxisOfOne &&
      !target.constant.anyBatchEntry() &&
      wanted.front() == translation.tracedBatch) {
    wanted.front() = kBatch;
    translation.nodesOfTracedBatch.push_back(&node);
  }
  std::optional<Dims> shape = broadcastShapes(x.shape, wanted);
  if (!shape)
    return fail("cannot expand " + formatDims(x.shape) + " to " +
                formatDims(wanted));
  Expected operand = translation.operand(x, false);
  if (!operand.ok())
    return operand.takeError();
  if (*shape == x.shape) {
    translation.alias(node.output(0), x);
    return rt::Error::success();
  }
  translation.let(node, 0,
                  "broadcast_to(" + *operand +
                      ", shape=" + reshapeTarget(*shape) + ")",
                  x.type, *shape);
  return rt::Error::success();
}

rt::Error translatePad(Translation &translation, const NodeProto &node,
                       Attributes &attributes) {
  const Value &x = inputValue(translation, node, 0);
  if (!hasInput(node, 1))
    return fail("pads must be given");
  rt::Expected<std::vector<int64_t>> pads =
      constantInts(translation, node, 1, "pads");
  if (!pads.ok())
    return pads.takeError();
  // Adding nothing is the identity, whatever the mode and the value:
  // PyTorch exports such a Pad before every AvgPool2d without padding.
  if (std::all_of(pads->begin(), pads->end(),
                  [](int64_t amount) { return amount == 0; })) {
    attributes.ignore("mode");
    translation.alias(node.output(0), x);
    return rt::Error::success();
  }
  // Otherwise the pattern of AvgPool2d with count_include_pad, which folds
  // the zeros into the pool, would have taken it.
  rt::Expected<std::vector<int64_t>> zeros =
      zeroPadAmounts(translation, node, attributes);
  if (!zeros.ok())
    return zeros.takeError();
  return fail("padding " + intList(*pads) +
              " is supported only in front of an AveragePool that alone "
              "reads it, with zeros on the spatial axes, the same on both "
              "sides and within half the window");
}

rt::Error translatePassThrough(Translation &translation, const NodeProto &node,
                               Attributes &attributes) {
  const Value &x = inputValue(translation, node, 0);
  if (node.op_type() == "Dropout") {
    // Inference: the identity. A training_mode input that is true, or a
    // used mask, would need the dropping itself.
    attributes.ignore("seed");
    attributes.ignore("ratio");
    const char *howTo = "; export the model in eval mode and add "
                        "dropout(x, rate=P) to the program (docs/onnx.md)";
    if (outputUsed(node, 1))
      return fail(std::string("the mask output is not supported") + howTo);
    if (hasInput(node, 2)) {
      const Value &training = inputValue(translation, node, 2);
      if (!training.isConstant() || training.constant.number(0) != 0)
        return fail(std::string("only inference-mode Dropout is supported") +
                    howTo);
    }
  } else if (node.op_type() == "Cast") {
    std::optional<ElemType> to =
        elemTypeOf(static_cast<int32_t>(attributes.getInt("to", 0)));
    if (!to || *to != x.type)
      return fail("casting between types inside the program is not supported");
  }
  translation.alias(node.output(0), x);
  return rt::Error::success();
}

} // namespace nnc::onnx::detail

namespace nnc::onnx {

rt::Expected<std::vector<int64_t>> zeroPadAmounts(Translation &translation,
                                                  const NodeProto &node,
                                                  Attributes &attributes) {
  using namespace detail;
  std::string mode = attributes.getString("mode", "constant");
  if (mode != "constant")
    return fail("padding mode '" + mode +
                "' is not supported; only constant zeros");
  if (hasInput(node, 2)) {
    const Value &fill = inputValue(translation, node, 2);
    if (!fill.isConstant() || fill.constant.size() != 1 ||
        fill.constant.number(0) != 0)
      return fail("padding with a value other than 0 is not supported");
  }
  if (!hasInput(node, 1))
    return fail("pads must be given");
  return constantInts(translation, node, 1, "pads");
}

} // namespace nnc::onnx
