//===- OpTranslators.cpp - ONNX ops that become program statements --------===//
//
// Each translator checks what nnc cannot express (an attribute value, a
// dtype, a dimension that moves the batch) and reports it as the node's
// error; the driver adds the node's name, op type and opset. Shapes are
// inferred here, because the generated statements need them (a Flatten's
// extent, a Slice's clamped bounds) and ONNX files rarely record them.
//
//===----------------------------------------------------------------------===//

#include "onnx/OpTranslators.h"

#include "onnx/ConstantFolding.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace nnc::onnx {
namespace {

using Expected = rt::Expected<std::string>;

rt::Error fail(std::string message) {
  return rt::Error::failure(std::move(message));
}

std::string intList(const std::vector<int64_t> &values) {
  std::string text = "[";
  for (size_t i = 0; i < values.size(); ++i)
    text += (i ? ", " : "") + std::to_string(values[i]);
  return text + "]";
}

/// The `shape=` attribute of a reshape: the batch becomes -1.
std::string reshapeTarget(const Dims &dims) {
  std::vector<int64_t> values(dims.begin(), dims.end());
  return intList(values);
}

const Value &inputValue(Translation &translation, const NodeProto &node,
                        int index) {
  return *translation.find(node.input(index));
}

bool hasInput(const NodeProto &node, int index) {
  return node.input_size() > index && !node.input(index).empty();
}

/// The integer list held by a constant input (axes, shape, starts...).
rt::Expected<std::vector<int64_t>> constantInts(Translation &translation,
                                                const NodeProto &node,
                                                int index, const char *what) {
  const Value &value = inputValue(translation, node, index);
  if (!value.isConstant())
    return rt::Error::failure(std::string(what) +
                              " must be known at import time; it is computed "
                              "from the data");
  std::vector<int64_t> list;
  for (size_t i = 0; i < value.constant.size(); ++i)
    list.push_back(value.constant.integer(i));
  return list;
}

bool outputUsed(const NodeProto &node, int index) {
  return node.output_size() > index && !node.output(index).empty();
}

rt::Error requireTensorType(const Value &value, const char *what) {
  if (value.type == ElemType::Bool)
    return fail(std::string(what) + " is boolean, which nnc supports only in "
                                    "constants");
  return rt::Error::success();
}

// --- Element-wise ----------------------------------------------------------

/// A one-element constant that does not widen the other operand's rank is
/// written as a number.
bool literalFits(const Value &value, const Value &other) {
  return value.isConstant() && value.constant.size() == 1 &&
         value.shape.size() <= other.shape.size();
}

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
  if (op != "Neg" && op != "Abs" && op != "Relu" && !isFloat(x.type))
    return fail("needs a float operand");
  Expected operand = translation.operand(x, false);
  if (!operand.ok())
    return operand.takeError();
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
    return fail("before opset 13, Softmax over axes " + std::to_string(*axis) +
                ".." + std::to_string(rank - 1) +
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

// --- Linear algebra --------------------------------------------------------

rt::Expected<Dims> matmulShape(const Dims &a, const Dims &b) {
  if (a.size() < 2 || b.size() < 2)
    return rt::Error::failure("MatMul of a vector (rank 1) is not supported");
  if (a.back() != b[b.size() - 2])
    return rt::Error::failure("cannot multiply " + formatDims(a) + " by " +
                              formatDims(b));
  std::optional<Dims> batch = broadcastShapes(Dims(a.begin(), a.end() - 2),
                                              Dims(b.begin(), b.end() - 2));
  if (!batch)
    return rt::Error::failure("batch dimensions " + formatDims(a) + " and " +
                              formatDims(b) + " do not broadcast");
  batch->push_back(a[a.size() - 2]);
  batch->push_back(b.back());
  return *batch;
}

rt::Error translateMatMul(Translation &translation, const NodeProto &node,
                          Attributes &) {
  const Value &a = inputValue(translation, node, 0);
  const Value &b = inputValue(translation, node, 1);
  if (!isFloat(a.type) || a.type != b.type)
    return fail("needs float operands of one type");
  rt::Expected<Dims> shape = matmulShape(a.shape, b.shape);
  if (!shape.ok())
    return shape.takeError();
  Expected left = translation.operand(a, false);
  if (!left.ok())
    return left.takeError();
  Expected right = translation.operand(b, false);
  if (!right.ok())
    return right.takeError();
  translation.let(node, 0, *left + " @ " + *right, a.type, *shape);
  return rt::Error::success();
}

rt::Error translateGemm(Translation &translation, const NodeProto &node,
                        Attributes &attributes) {
  const Value &a = inputValue(translation, node, 0);
  const Value &b = inputValue(translation, node, 1);
  if (!isFloat(a.type) || a.type != b.type || a.shape.size() != 2 ||
      b.shape.size() != 2)
    return fail("needs two float matrices of one type");
  double alpha = attributes.getFloat("alpha", 1.0);
  double beta = attributes.getFloat("beta", 1.0);
  std::optional<std::string> alphaText = numberLiteral(alpha);
  std::optional<std::string> betaText = numberLiteral(beta);
  if (!alphaText || !betaText)
    return fail("alpha and beta must be finite");
  bool transA = attributes.getInt("transA", 0) != 0;
  bool transB = attributes.getInt("transB", 0) != 0;
  Expected left = translation.operand(a, false);
  if (!left.ok())
    return left.takeError();
  Expected right = translation.operand(b, false);
  if (!right.ok())
    return right.takeError();
  // Weights keep the exporter's layout, so that the saved parameters are
  // the framework's tensors; the transpose is part of the program.
  Dims aShape = a.shape, bShape = b.shape;
  std::string expression = *left;
  if (transA) {
    expression = "transpose(" + expression + ")";
    std::swap(aShape[0], aShape[1]);
  }
  std::string rightExpression = transB ? "transpose(" + *right + ")" : *right;
  if (transB)
    std::swap(bShape[0], bShape[1]);
  rt::Expected<Dims> shape = matmulShape(aShape, bShape);
  if (!shape.ok())
    return shape.takeError();
  expression += " @ " + rightExpression;
  if (alpha != 1.0)
    expression = "(" + expression + ") * " + *alphaText;
  if (hasInput(node, 2) && beta != 0.0) {
    const Value &c = inputValue(translation, node, 2);
    if (c.type != a.type)
      return fail("C must have the type of A and B");
    if (!broadcastShapes(*shape, c.shape) ||
        *broadcastShapes(*shape, c.shape) != *shape)
      return fail("C of shape " + formatDims(c.shape) +
                  " does not broadcast to " + formatDims(*shape));
    Expected bias = translation.operand(c, c.constant.size() == 1);
    if (!bias.ok())
      return bias.takeError();
    expression += " + " + *bias;
    if (beta != 1.0)
      expression += " * " + *betaText;
  }
  translation.let(node, 0, expression, a.type, *shape);
  return rt::Error::success();
}

// --- Convolution and pooling -----------------------------------------------

/// Symmetric 2-D padding from ONNX's [top, left, bottom, right] and
/// auto_pad; nullopt with `error` set when nnc cannot express it.
std::optional<std::vector<int64_t>>
symmetricPadding(Attributes &attributes, const Dims &input,
                 const std::vector<int64_t> &kernel,
                 const std::vector<int64_t> &strides,
                 const std::vector<int64_t> &dilations, std::string &error) {
  std::string autoPad = attributes.getString("auto_pad", "NOTSET");
  std::vector<int64_t> pads = attributes.getInts("pads", {0, 0, 0, 0});
  if (autoPad == "VALID")
    pads = {0, 0, 0, 0};
  else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    pads.assign(4, 0);
    for (size_t i = 0; i < 2; ++i) {
      int64_t extent = input[2 + i];
      int64_t out = (extent + strides[i] - 1) / strides[i];
      int64_t effective = (kernel[i] - 1) * dilations[i] + 1;
      int64_t total =
          std::max<int64_t>(0, (out - 1) * strides[i] + effective - extent);
      pads[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pads[i + 2] = total - pads[i];
    }
  } else if (autoPad != "NOTSET") {
    error = "auto_pad '" + autoPad + "' is not supported";
    return std::nullopt;
  }
  if (pads.size() != 4 || pads[0] != pads[2] || pads[1] != pads[3]) {
    error = "asymmetric padding " + intList(pads) +
            " is not supported (nnc pads both sides of an axis equally)";
    return std::nullopt;
  }
  return std::vector<int64_t>{pads[0], pads[1]};
}

rt::Error requireImage(const Value &x) {
  if (x.shape.size() != 4 || !isFloat(x.type))
    return fail("only 2-D images (a float input of rank 4, [n, c, h, w]) are "
                "supported; got " +
                formatDims(x.shape));
  if (x.shape[2] == kBatch || x.shape[3] == kBatch || x.shape[1] == kBatch)
    return fail("the batch dimension must be the first");
  return rt::Error::success();
}

rt::Error translateConv(Translation &translation, const NodeProto &node,
                        Attributes &attributes) {
  const Value &x = inputValue(translation, node, 0);
  const Value &w = inputValue(translation, node, 1);
  if (rt::Error e = requireImage(x); !e.ok())
    return e;
  if (w.shape.size() != 4)
    return fail("only 2-D convolutions are supported");
  std::vector<int64_t> kernel = {w.shape[2], w.shape[3]};
  std::vector<int64_t> given = attributes.getInts("kernel_shape", kernel);
  if (given != kernel)
    return fail("kernel_shape " + intList(given) +
                " differs from the weight's");
  std::vector<int64_t> strides = attributes.getInts("strides", {1, 1});
  std::vector<int64_t> dilations = attributes.getInts("dilations", {1, 1});
  int64_t groups = attributes.getInt("group", 1);
  if (strides.size() != 2 || dilations.size() != 2)
    return fail("strides and dilations must have two entries");
  std::string error;
  std::optional<std::vector<int64_t>> padding =
      symmetricPadding(attributes, x.shape, kernel, strides, dilations, error);
  if (!padding)
    return fail(error);
  if (groups <= 0 || x.shape[1] != w.shape[1] * groups)
    return fail("input channels " + std::to_string(x.shape[1]) +
                " do not match the weight " + formatDims(w.shape) +
                " with group " + std::to_string(groups));
  Dims shape = {x.shape[0], w.shape[0], 0, 0};
  for (size_t i = 0; i < 2; ++i) {
    shape[2 + i] = (x.shape[2 + i] + 2 * (*padding)[i] -
                    dilations[i] * (kernel[i] - 1) - 1) /
                       strides[i] +
                   1;
    if (shape[2 + i] <= 0)
      return fail("the kernel is larger than the padded image");
  }
  std::string expression =
      "conv2d(" + translation.operand(x, false).value() + ", ";
  Expected weight = translation.operand(w, false);
  if (!weight.ok())
    return weight.takeError();
  expression += *weight;
  if (hasInput(node, 2)) {
    Expected bias =
        translation.operand(inputValue(translation, node, 2), false);
    if (!bias.ok())
      return bias.takeError();
    expression += ", " + *bias;
  }
  // Attributes at the language's defaults are left out, for reading.
  const std::vector<int64_t> ones = {1, 1}, zeros = {0, 0};
  if (strides != ones)
    expression += ", stride=" + intList(strides);
  if (*padding != zeros)
    expression += ", padding=" + intList(*padding);
  if (dilations != ones)
    expression += ", dilation=" + intList(dilations);
  if (groups != 1)
    expression += ", groups=" + std::to_string(groups);
  translation.let(node, 0, expression + ")", x.type, shape);
  return rt::Error::success();
}

/// max_pool2d or avg_pool2d for `node` reading `x`. `folded` is [h, w]:
/// zeros a Pad before an AveragePool put on both sides of each spatial axis,
/// which become part of the pool's padding and count in its averages.
rt::Error emitPool(Translation &translation, const NodeProto &node,
                   Attributes &attributes, const Value &x,
                   const std::vector<int64_t> &folded) {
  if (rt::Error e = requireImage(x); !e.ok())
    return e;
  bool isMax = node.op_type() == "MaxPool";
  if (isMax && outputUsed(node, 1))
    return fail("the Indices output is not supported");
  std::vector<int64_t> kernel = attributes.getInts("kernel_shape");
  if (kernel.size() != 2)
    return fail("only 2-D pooling is supported");
  std::vector<int64_t> strides = attributes.getInts("strides", {1, 1});
  std::vector<int64_t> dilations = attributes.getInts("dilations", {1, 1});
  if (dilations != std::vector<int64_t>{1, 1})
    return fail("dilated pooling is not supported");
  if (attributes.getInt("storage_order", 0) != 0)
    return fail("storage_order 1 is not supported");
  std::string error;
  std::optional<std::vector<int64_t>> padding =
      symmetricPadding(attributes, x.shape, kernel, strides, dilations, error);
  if (!padding)
    return fail(error);
  const std::vector<int64_t> zeros = {0, 0};
  bool countPadding = !isMax && attributes.getInt("count_include_pad", 0) != 0;
  if (folded != zeros) {
    // The Pad's zeros always count; the pool's own padding must count too
    // for the two to become one.
    if (!countPadding && *padding != zeros)
      return fail("the zeros of the Pad before it count in the averages, and "
                  "its own padding does not (count_include_pad=0)");
    (*padding)[0] += folded[0];
    (*padding)[1] += folded[1];
    countPadding = true;
  }
  if ((*padding)[0] > kernel[0] / 2 || (*padding)[1] > kernel[1] / 2)
    return fail("padding " + intList(*padding) +
                " is more than half the window " + intList(kernel) +
                ", which nnc does not support");
  bool ceil = attributes.getInt("ceil_mode", 0) != 0;
  Dims shape = {x.shape[0], x.shape[1], 0, 0};
  for (size_t i = 0; i < 2; ++i) {
    int64_t span = x.shape[2 + i] + 2 * (*padding)[i] - kernel[i];
    if (span < 0)
      return fail("the window is larger than the padded image");
    shape[2 + i] = span / strides[i] + 1;
    // ceil_mode changes the result only when a partial window is left.
    if (ceil && span % strides[i] != 0)
      return fail("ceil_mode=1 with a partial last window is not supported");
  }
  std::string expression = std::string(isMax ? "max_pool2d(" : "avg_pool2d(") +
                           translation.operand(x, false).value() +
                           ", kernel=" + intList(kernel);
  // The language's stride defaults to the kernel, ONNX's to 1.
  if (strides != kernel)
    expression += ", stride=" + intList(strides);
  if (*padding != zeros)
    expression += ", padding=" + intList(*padding);
  // Without padding the setting means nothing, and it is left out.
  if (!isMax && !countPadding && *padding != zeros)
    expression += ", count_include_pad=false";
  translation.let(node, 0, expression + ")", x.type, shape,
                  folded != zeros ? "AveragePool, with the Pad before it" : "");
  return rt::Error::success();
}

rt::Error translatePool(Translation &translation, const NodeProto &node,
                        Attributes &attributes) {
  return emitPool(translation, node, attributes,
                  inputValue(translation, node, 0), {0, 0});
}

rt::Error translateGlobalPool(Translation &translation, const NodeProto &node,
                              Attributes &) {
  const Value &x = inputValue(translation, node, 0);
  if (x.shape.size() < 3 || !isFloat(x.type))
    return fail("needs a float input of rank 3 or more");
  std::vector<int64_t> axes;
  Dims shape = x.shape;
  for (size_t i = 2; i < x.shape.size(); ++i) {
    axes.push_back(static_cast<int64_t>(i));
    shape[i] = 1;
  }
  std::string name =
      node.op_type() == "GlobalAveragePool" ? "reduce_mean" : "reduce_max";
  translation.let(node, 0,
                  name + "(" + translation.operand(x, false).value() +
                      ", axes=" + intList(axes) + ", keepdims=true)",
                  x.type, shape);
  return rt::Error::success();
}

// --- Normalisation ---------------------------------------------------------

rt::Error translateBatchNorm(Translation &translation, const NodeProto &node,
                             Attributes &attributes) {
  const Value &x = inputValue(translation, node, 0);
  if (x.shape.size() < 2 || !isFloat(x.type))
    return fail("needs a float input of rank 2 or more");
  if (attributes.getInt("training_mode", 0) != 0 || outputUsed(node, 1) ||
      outputUsed(node, 2))
    return fail("only inference-mode batch normalization (one output) is "
                "supported; export the model in eval mode");
  // attributes.getInt("spatial") is opset 7 and older.
  double epsilon = attributes.getFloat("epsilon", 1e-5);
  // ONNX's momentum weighs the old running value, PyTorch's and nnc's the
  // new batch statistic.
  double momentum = 1.0 - attributes.getFloat("momentum", 0.9);
  std::string expression =
      "batch_norm(" + translation.operand(x, false).value();
  for (int i = 1; i <= 4; ++i) {
    const Value &v = inputValue(translation, node, i);
    if (v.shape != Dims{x.shape[1]})
      return fail("statistics and affine parameters must be [" +
                  std::to_string(x.shape[1]) + "]; got " + formatDims(v.shape));
    Expected operand = translation.operand(v, false);
    if (!operand.ok())
      return operand.takeError();
    expression += ", " + *operand;
  }
  std::optional<std::string> epsText = numberLiteral(epsilon);
  std::optional<std::string> momentumText = numberLiteral(momentum);
  if (!epsText || epsilon < 0 || !momentumText || momentum < 0 || momentum > 1)
    return fail("epsilon must be finite and non-negative, and momentum in "
                "[0, 1]");
  translation.let(node, 0,
                  expression + ", eps=" + *epsText +
                      ", momentum=" + *momentumText + ")",
                  x.type, x.shape);
  return rt::Error::success();
}

rt::Error translateLayerNorm(Translation &translation, const NodeProto &node,
                             Attributes &attributes) {
  const Value &x = inputValue(translation, node, 0);
  if (!isFloat(x.type))
    return fail("needs a float input");
  int64_t rank = static_cast<int64_t>(x.shape.size());
  std::optional<int64_t> axis =
      normalizeAxis(attributes.getInt("axis", -1), rank);
  if (!axis)
    return fail("axis out of range");
  attributes.ignore("stash_type");
  if (outputUsed(node, 1) || outputUsed(node, 2))
    return fail("the Mean and InvStdDev outputs are not supported");
  Dims normalized(x.shape.begin() + *axis, x.shape.end());
  if (hasBatch(normalized))
    return fail("cannot normalise over the batch dimension");
  const Value &scale = inputValue(translation, node, 1);
  if (scale.shape != normalized)
    return fail("Scale must have the normalised shape " +
                formatDims(normalized));
  Expected gamma = translation.operand(scale, false);
  if (!gamma.ok())
    return gamma.takeError();
  std::string beta;
  if (hasInput(node, 2)) {
    const Value &bias = inputValue(translation, node, 2);
    if (bias.shape != normalized)
      return fail("B must have the normalised shape " + formatDims(normalized));
    Expected operand = translation.operand(bias, false);
    if (!operand.ok())
      return operand.takeError();
    beta = *operand;
  } else {
    Constant zeros;
    zeros.type = x.type;
    zeros.shape = normalized;
    zeros.reals.assign(static_cast<size_t>(staticElementCount(normalized)), 0);
    std::string name = node.output(0) + "#beta";
    translation.bindConstant(name, std::move(zeros));
    beta = translation.operand(*translation.find(name), false).value();
  }
  double epsilon = attributes.getFloat("epsilon", 1e-5);
  std::optional<std::string> eps = numberLiteral(epsilon);
  if (!eps || epsilon < 0)
    return fail("epsilon must be finite and non-negative");
  translation.let(node, 0,
                  "layer_norm(" + translation.operand(x, false).value() + ", " +
                      *gamma + ", " + beta + ", eps=" + *eps + ")",
                  x.type, x.shape);
  return rt::Error::success();
}

// --- Shapes and data movement ----------------------------------------------

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

rt::Error translateReshape(Translation &translation, const NodeProto &node,
                           Attributes &attributes) {
  const Value &x = inputValue(translation, node, 0);
  const Value &target = inputValue(translation, node, 1);
  if (!target.isConstant())
    return fail("the target shape must be known at import time");
  std::vector<int64_t> entries;
  for (size_t i = 0; i < target.constant.size(); ++i)
    entries.push_back(target.constant.integer(i));
  rt::Expected<Dims> shape =
      resolveReshape(x.shape, entries, target.constant.batchEntries,
                     attributes.getInt("allowzero", 0) != 0);
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
  for (int64_t p : perm) {
    if (p < 0 || p >= rank)
      return fail("perm " + intList(perm) + " is out of range");
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
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(static_cast<int64_t>(i));
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return fail("starts, ends, axes and steps differ in length");
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
  translation.let(node, 0,
                  "slice(" + *operand + ", axes=" + intList(outAxes) +
                      ", starts=" + intList(outStarts) + ", ends=" +
                      intList(outEnds) + ", steps=" + intList(outSteps) + ")",
                  x.type, shape);
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
  if (indices.isConstant() && indices.shape.empty()) {
    int64_t extent = data.shape[*axis];
    int64_t index = indices.constant.integer(0);
    if (index < -extent || index >= extent)
      return fail("index " + std::to_string(index) + " is out of range");
    index = index < 0 ? index + extent : index;
    Dims shape = data.shape;
    shape.erase(shape.begin() + *axis);
    std::string picked = "slice(" + *source + ", axes=[" +
                         std::to_string(*axis) + "], starts=[" +
                         std::to_string(index) + "], ends=[" +
                         std::to_string(index + 1) + "])";
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

rt::Error translatePassThrough(Translation &translation, const NodeProto &node,
                               Attributes &attributes) {
  const Value &x = inputValue(translation, node, 0);
  if (node.op_type() == "Dropout") {
    // Inference: the identity. A training_mode input that is true, or a
    // used mask, would need the dropping itself.
    attributes.ignore("seed");
    attributes.ignore("ratio");
    if (outputUsed(node, 1))
      return fail("the mask output is not supported");
    if (hasInput(node, 2)) {
      const Value &training = inputValue(translation, node, 2);
      if (!training.isConstant() || training.constant.number(0) != 0)
        return fail("only inference-mode Dropout is supported");
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

struct OpEntry {
  const char *opType;
  OpTranslator translator;
};

const OpEntry kOps[] = {
    {"Add", translateBinary},
    {"Sub", translateBinary},
    {"Mul", translateBinary},
    {"Div", translateBinary},
    {"Pow", translateBinary},
    {"Sqrt", translateUnary},
    {"Exp", translateUnary},
    {"Log", translateUnary},
    {"Neg", translateUnary},
    {"Abs", translateUnary},
    {"Relu", translateUnary},
    {"LeakyRelu", translateUnary},
    {"Sigmoid", translateUnary},
    {"Tanh", translateUnary},
    {"Softplus", translateUnary},
    {"Erf", translateErf},
    {"Softmax", translateSoftmax},
    {"LogSoftmax", translateSoftmax},
    {"MatMul", translateMatMul},
    {"Gemm", translateGemm},
    {"Conv", translateConv},
    {"MaxPool", translatePool},
    {"AveragePool", translatePool},
    {"GlobalAveragePool", translateGlobalPool},
    {"GlobalMaxPool", translateGlobalPool},
    {"BatchNormalization", translateBatchNorm},
    {"LayerNormalization", translateLayerNorm},
    {"Flatten", translateFlatten},
    {"Reshape", translateReshape},
    {"Unsqueeze", translateUnsqueezeOrSqueeze},
    {"Squeeze", translateUnsqueezeOrSqueeze},
    {"Transpose", translateTranspose},
    {"Concat", translateConcat},
    {"Slice", translateSlice},
    {"Gather", translateGather},
    {"Expand", translateExpand},
    {"Pad", translatePad},
    {"ReduceMean", translateReduce},
    {"ReduceSum", translateReduce},
    {"ReduceMax", translateReduce},
    {"Where", translateWhere},
    {"Identity", translatePassThrough},
    {"Dropout", translatePassThrough},
    {"Cast", translatePassThrough},
};

} // namespace

rt::Expected<std::vector<int64_t>> zeroPadAmounts(Translation &translation,
                                                  const NodeProto &node,
                                                  Attributes &attributes) {
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

rt::Error translatePaddedAveragePool(Translation &translation,
                                     const NodeProto &pool,
                                     Attributes &attributes, const Value &x,
                                     const std::vector<int64_t> &padding) {
  assert(pool.op_type() == "AveragePool" && padding.size() == 2 &&
         "a Pad folds into an AveragePool, over h and w");
  return emitPool(translation, pool, attributes, x, padding);
}

OpTranslator findOpTranslator(const std::string &opType) {
  for (const OpEntry &entry : kOps)
    if (opType == entry.opType)
      return entry.translator;
  return nullptr;
}

} // namespace nnc::onnx
