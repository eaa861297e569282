//===- ElementwiseTranslators.cpp - ONNX arithmetic and activations -------===//
//
// The ops that compute each element from the elements at the same place
// (Add, Relu, Where...) or along one axis without moving data (Softmax,
// Reduce*): each becomes one call of the language's maths, and their checks
// are about dtypes and broadcasting rather than layout, so they sit apart
// from the shape and layer translators.
//
//===----------------------------------------------------------------------===//

#include "onnx/TranslatorSupport.h"

#include "onnx/OnnxShapes.h"

namespace nnc::onnx::detail {
namespace {

rt::Error requireTensorType(const Value &value, const char *what) {
  if (value.type == ElemType::Bool)
    return fail(std::string(what) + " is boolean, which nnc supports only in "
                                    "constants");
  return rt::Error::success();
}

/// A one-element constant that does not widen the other operand's rank is
/// written as a number.
bool literalFits(const Value &value, const Value &other) {
  return value.isConstant() && value.constant.size() == 1 &&
         value.shape.size() <= other.shape.size();
}

} // namespace

rt::Error translateBinary(Translation &translation, const NodeProto &node,
                          Attributes &) {
  const Value &a = inputValue(translation, node, 0);
  const Value &b = inputValue(translation, node, 1);
  if (rt::Error e = requireTensorType(a, "an operand"); !e.ok())
    return e;
  if (rt::Error e = requireTensorType(b, "an operand"); !e.ok())
    return e;
  if (a.type != b.type)
    return fail(std::string("operands of types ") + dslTypeName(a.type) +
                " and " + dslTypeName(b.type) + " differ");
  std::optional<Dims> shape = broadcastShapes(a.shape, b.shape);
  if (!shape)
    return fail("operands " + formatDims(a.shape) + " and " +
                formatDims(b.shape) + " do not broadcast");
  Expected left = translation.operand(a, literalFits(a, b));
  if (!left.ok())
    return left.takeError();
  Expected right = translation.operand(b, literalFits(b, a));
  if (!right.ok())
    return right.takeError();
  const std::string &op = node.op_type();
  std::string expression = op == "Pow" ? "pow(" + *left + ", " + *right + ")"
                                       : *left +
                                             (op == "Add"   ? " + "
                                              : op == "Sub" ? " - "
                                              : op == "Mul" ? " * "
                                                            : " / ") +
                                             *right;
  translation.let(node, 0, expression, a.type, *shape);
  return rt::Error::success();
}

rt::Error translateUnary(Translation &translation, const NodeProto &node,
                         Attributes &attributes) {
  const Value &x = inputValue(translation, node, 0);
  const std::string &op = node.op_type();
  // The language's relu, like its other activations, is defined on floats
  // only; neg and abs take integers too.
  if (op != "Neg" && op != "Abs" && !isFloat(x.type))
    return fail(std::string("needs a float operand; got ") +
                dslTypeName(x.type));
  Expected operand = translation.operand(x, false);
  if (!operand.ok())
    return operand.takeError();
  // The language has no reciprocal; its division differentiates as one.
  if (op == "Reciprocal") {
    translation.let(node, 0, "1 / " + *operand, x.type, x.shape);
    return rt::Error::success();
  }
  std::string name = op == "Sqrt"       ? "sqrt"
                     : op == "Exp"      ? "exp"
                     : op == "Log"      ? "log"
                     : op == "Neg"      ? "neg"
                     : op == "Abs"      ? "abs"
                     : op == "Relu"     ? "relu"
                     : op == "Sigmoid"  ? "sigmoid"
                     : op == "Tanh"     ? "tanh"
                     : op == "Softplus" ? "softplus"
                                        : "leaky_relu";
  std::string arguments = *operand;
  if (op == "LeakyRelu") {
    std::optional<std::string> alpha =
        numberLiteral(attributes.getFloat("alpha", 0.01));
    if (!alpha)
      return fail("alpha must be finite");
    arguments += ", alpha=" + *alpha;
  }
  translation.let(node, 0, name + "(" + arguments + ")", x.type, x.shape);
  return rt::Error::success();
}

rt::Error translateErf(Translation &, const NodeProto &, Attributes &) {
  return fail("Erf is supported only as part of the exact GELU "
              "x * 0.5 * (1 + erf(x / sqrt(2))), its product in any order, "
              "which becomes gelu");
}

rt::Error translateSoftmax(Translation &translation, const NodeProto &node,
                           Attributes &attributes) {
  const Value &x = inputValue(translation, node, 0);
  int64_t rank = static_cast<int64_t>(x.shape.size());
  bool flattening = translation.opset < 13;
  std::optional<int64_t> axis =
      normalizeAxis(attributes.getInt("axis", flattening ? 1 : -1), rank);
  if (!axis)
    return fail("axis out of range");
  // Before opset 13 the op normalises over every axis from `axis` on;
  // over the last axis alone both definitions agree.
  if (flattening && *axis != rank - 1)
    return fail("before opset 13, " + node.op_type() + " over axes " +
                std::to_string(*axis) + ".." + std::to_string(rank - 1) +
                " is not supported; only over the last axis");
  Expected operand = translation.operand(x, false);
  if (!operand.ok())
    return operand.takeError();
  std::string name = node.op_type() == "Softmax" ? "softmax" : "log_softmax";
  translation.let(
      node, 0, name + "(" + *operand + ", axis=" + std::to_string(*axis) + ")",
      x.type, x.shape);
  return rt::Error::success();
}

rt::Error translateReduce(Translation &translation, const NodeProto &node,
                          Attributes &attributes) {
  const Value &x = inputValue(translation, node, 0);
  int64_t rank = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> axes;
  bool axesAsInput = node.op_type() == "ReduceSum" && translation.opset >= 13;
  if (axesAsInput && hasInput(node, 1)) {
    rt::Expected<std::vector<int64_t>> list =
        constantInts(translation, node, 1, "axes");
    if (!list.ok())
      return list.takeError();
    axes = *list;
  } else if (!axesAsInput) {
    axes = attributes.getInts("axes");
  }
  bool keep = attributes.getInt("keepdims", 1) != 0;
  if (axes.empty() && attributes.getInt("noop_with_empty_axes", 0) != 0) {
    translation.alias(node.output(0), x);
    return rt::Error::success();
  }
  std::vector<bool> reduced(rank, axes.empty());
  for (int64_t axis : axes) {
    std::optional<int64_t> a = normalizeAxis(axis, rank);
    if (!a)
      return fail("axis out of range");
    reduced[*a] = true;
  }
  std::vector<int64_t> normalized;
  Dims shape;
  for (int64_t i = 0; i < rank; ++i) {
    if (!reduced[i]) {
      shape.push_back(x.shape[i]);
      continue;
    }
    normalized.push_back(i);
    if (keep)
      shape.push_back(1);
  }
  std::string name = node.op_type() == "ReduceMean"  ? "reduce_mean"
                     : node.op_type() == "ReduceSum" ? "reduce_sum"
                                                     : "reduce_max";
  Expected operand = translation.operand(x, false);
  if (!operand.ok())
    return operand.takeError();
  translation.let(node, 0,
                  name + "(" + *operand + ", axes=" + intList(normalized) +
                      ", keepdims=" + (keep ? "true" : "false") + ")",
                  x.type, shape);
  return rt::Error::success();
}

rt::Error translateWhere(Translation &translation, const NodeProto &node,
                         Attributes &) {
  const Value &condition = inputValue(translation, node, 0);
  const Value &a = inputValue(translation, node, 1);
  const Value &b = inputValue(translation, node, 2);
  if (!condition.isConstant())
    return fail("a condition computed from the data is not supported");
  if (a.type != b.type)
    return fail("the branches differ in type");
  // The program's `where` takes its condition in the branches' type.
  Constant mask = condition.constant;
  mask.type = a.type;
  mask.reals.assign(mask.ints.begin(), mask.ints.end());
  if (!isFloat(a.type))
    mask.reals.clear();
  else
    mask.ints.clear();
  std::string maskName = node.output(0) + "#mask";
  translation.bindConstant(maskName, std::move(mask));
  std::optional<Dims> shape = broadcastShapes(condition.shape, a.shape);
  shape = shape ? broadcastShapes(*shape, b.shape) : shape;
  if (!shape)
    return fail("operands do not broadcast");
  Expected cond = translation.operand(*translation.find(maskName), false);
  Expected left = translation.operand(a, literalFits(a, b));
  Expected right = translation.operand(b, literalFits(b, a));
  for (Expected *e : {&cond, &left, &right})
    if (!e->ok())
      return e->takeError();
  translation.let(node, 0,
                  "where(" + *cond + ", " + *left + ", " + *right + ")", a.type,
                  *shape);
  return rt::Error::success();
}

} // namespace nnc::onnx::detail
