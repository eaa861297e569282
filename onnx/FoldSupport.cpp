//===- FoldSupport.cpp - What the constant folds share --------------------===//

#include "onnx/FoldSupport.h"

namespace nnc::onnx::fold {

Folded failure(std::string message) {
  return rt::Error::failure(std::move(message));
}

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

size_t broadcastIndex(const Dims &shape, const std::vector<int64_t> &coords) {
  size_t index = 0;
  size_t offset = coords.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i)
    index = index * shape[i] + (shape[i] == 1 ? 0 : coords[i + offset]);
  return index;
}

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

} // namespace nnc::onnx::fold
