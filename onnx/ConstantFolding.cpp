//===- ConstantFolding.cpp - Evaluate ONNX nodes at import time -----------===//

#include "onnx/ConstantFolding.h"

#include "onnx/FoldSupport.h"

namespace nnc::onnx {

namespace {

using namespace fold;

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
