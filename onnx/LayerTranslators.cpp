//===- LayerTranslators.cpp - ONNX matrix products, convolutions, norms ---===//
//
// The ops that are a network's layers: MatMul and Gemm, Conv, the pools and
// the normalisations. Each becomes one call with weights as operands; their
// checks are about image layout, padding and parameter shapes, which the
// other families do not share.
//
//===----------------------------------------------------------------------===//

#include "onnx/OpTranslators.h"
#include "onnx/TranslatorSupport.h"

#include "onnx/OnnxShapes.h"

#include <algorithm>
#include <cassert>

namespace nnc::onnx::detail {

// --- Linear algebra --------------------------------------------------------

namespace {

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

} // namespace

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

namespace {

/// Fails unless the window attribute `name` has two entries, each at least
/// `least` (1 for kernels, strides and dilations, 0 for pads): a stride of 0
/// divides by zero below. Entries are bounded too, so that the output extent
/// arithmetic cannot overflow.
rt::Error checkWindowAttribute(const char *name,
                               const std::vector<int64_t> &values,
                               size_t entries, int64_t least) {
  if (values.size() != entries)
    return fail(std::string(name) + " " + intList(values) + " must have " +
                std::to_string(entries) + " entries");
  const int64_t most = int64_t(1) << 31;
  for (int64_t value : values) {
    if (value < least)
      return fail(std::string(name) + " " + intList(values) +
                  (least > 0 ? " must be positive" : " must not be negative"));
    if (value >= most)
      return fail(std::string(name) + " " + intList(values) +
                  " is out of range (at most " + std::to_string(most - 1) +
                  ")");
  }
  return rt::Error::success();
}

/// Symmetric 2-D padding from ONNX's [top, left, bottom, right] and
/// auto_pad; nullopt with `error` set when nnc cannot express it. `kernel`,
/// `strides` and `dilations` have passed checkWindowAttribute.
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
  } else if (rt::Error bad = checkWindowAttribute("pads", pads, 4, 0);
             !bad.ok()) {
    error = bad.message();
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

} // namespace

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
  if (rt::Error e = checkWindowAttribute("strides", strides, 2, 1); !e.ok())
    return e;
  if (rt::Error e = checkWindowAttribute("dilations", dilations, 2, 1); !e.ok())
    return e;
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
  Expected image = translation.operand(x, false);
  if (!image.ok())
    return image.takeError();
  std::string expression = "conv2d(" + *image + ", ";
  Expected weight = translation.operand(w, false);
  if (!weight.ok())
    return weight.takeError();
  expression += *weight;
  if (hasInput(node, 2)) {
    const Value &biasValue = inputValue(translation, node, 2);
    // Checked here, at the node, as the weight is, rather than by the
    // program's type check in the imported source.
    if (biasValue.shape != Dims{w.shape[0]})
      return fail("bias must be " + formatDims({w.shape[0]}) + "; got " +
                  formatDims(biasValue.shape));
    if (biasValue.type != x.type)
      return fail("the bias must have the type of the input");
    Expected bias = translation.operand(biasValue, false);
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

namespace {

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
  if (rt::Error e = checkWindowAttribute("kernel_shape", kernel, 2, 1); !e.ok())
    return e;
  std::vector<int64_t> strides = attributes.getInts("strides", {1, 1});
  if (rt::Error e = checkWindowAttribute("strides", strides, 2, 1); !e.ok())
    return e;
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
  Expected image = translation.operand(x, false);
  if (!image.ok())
    return image.takeError();
  std::string expression = std::string(isMax ? "max_pool2d(" : "avg_pool2d(") +
                           *image + ", kernel=" + intList(kernel);
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

} // namespace

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
  Expected image = translation.operand(x, false);
  if (!image.ok())
    return image.takeError();
  translation.let(node, 0,
                  name + "(" + *image + ", axes=" + intList(axes) +
                      ", keepdims=true)",
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
  Expected input = translation.operand(x, false);
  if (!input.ok())
    return input.takeError();
  std::string expression = "batch_norm(" + *input;
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
  if (momentum == 0)
    translation.nodesWithFixedStatistics.push_back(&node);
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
    Expected operand = translation.operand(*translation.find(name), false);
    if (!operand.ok())
      return operand.takeError();
    beta = *operand;
  }
  double epsilon = attributes.getFloat("epsilon", 1e-5);
  std::optional<std::string> eps = numberLiteral(epsilon);
  if (!eps || epsilon < 0)
    return fail("epsilon must be finite and non-negative");
  Expected input = translation.operand(x, false);
  if (!input.ok())
    return input.takeError();
  translation.let(node, 0,
                  "layer_norm(" + *input + ", " + *gamma + ", " + beta +
                      ", eps=" + *eps + ")",
                  x.type, x.shape);
  return rt::Error::success();
}

} // namespace nnc::onnx::detail

namespace nnc::onnx {

rt::Error translatePaddedAveragePool(Translation &translation,
                                     const NodeProto &pool,
                                     Attributes &attributes, const Value &x,
                                     const std::vector<int64_t> &padding) {
  using namespace detail;
  assert(pool.op_type() == "AveragePool" && padding.size() == 2 &&
         "a Pad folds into an AveragePool, over h and w");
  return emitPool(translation, pool, attributes, x, padding);
}

} // namespace nnc::onnx
