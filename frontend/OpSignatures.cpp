//===- OpSignatures.cpp - The op table of the model language --------------===//

#include "frontend/OpSignatures.h"

#include "ir/ShapeRules.h"

#include <cstring>
#include <iterator>
#include <optional>

namespace nnc::frontend {

namespace {

//===----------------------------------------------------------------------===//
// Helpers for the rules
//===----------------------------------------------------------------------===//

int64_t intAttr(const OpCall &call, const char *name) {
  return std::get<int64_t>(call.attrs.at(name));
}
double floatAttr(const OpCall &call, const char *name) {
  return std::get<double>(call.attrs.at(name));
}
bool boolAttr(const OpCall &call, const char *name) {
  return std::get<bool>(call.attrs.at(name));
}
const std::vector<int64_t> &listAttr(const OpCall &call, const char *name) {
  return std::get<std::vector<int64_t>>(call.attrs.at(name));
}

OpResult failure(std::string message) { return {{}, std::move(message)}; }

OpResult fromShape(shape::ShapeResult shape, DType dtype) {
  if (!shape.ok())
    return failure(std::move(shape.error));
  return {{TensorType{dtype, std::move(shape.shape)}}, {}};
}

std::string ordinal(size_t i) {
  static const char *const names[] = {"first", "second", "third", "fourth",
                                      "fifth"};
  return i < std::size(names) ? names[i] : "operand " + std::to_string(i + 1);
}

/// Every operand must have the first operand's dtype.
std::string checkSameDType(const OpCall &call) {
  for (size_t i = 1; i < call.operands.size(); ++i)
    if (call.operands[i].dtype != call.operands[0].dtype)
      return std::string("operand dtypes differ: ") +
             toString(call.operands[0].dtype) + " and " +
             toString(call.operands[i].dtype);
  return {};
}

std::string checkFloat(const OpCall &call, size_t i) {
  if (isFloat(call.operands[i].dtype))
    return {};
  std::string which = call.operands.size() == 1
                          ? "the operand"
                          : "the " + ordinal(i) + " operand";
  return "expects a float (f32 or f64) tensor as " + which + ", got " +
         toString(call.operands[i].dtype);
}

std::string checkInteger(const OpCall &call, size_t i, const char *role) {
  if (!isFloat(call.operands[i].dtype))
    return {};
  return std::string("expects integer (i32 or i64) ") + role + ", got " +
         toString(call.operands[i].dtype);
}

std::string checkAllFloat(const OpCall &call) {
  if (std::string err = checkSameDType(call); !err.empty())
    return err;
  return checkFloat(call, 0);
}

shape::Window2d window(const OpCall &call, bool pooling) {
  shape::Window2d w;
  const std::vector<int64_t> &stride = listAttr(call, "stride");
  const std::vector<int64_t> &padding = listAttr(call, "padding");
  w.strideH = stride[0], w.strideW = stride[1];
  w.padH = padding[0], w.padW = padding[1];
  if (pooling) {
    const std::vector<int64_t> &kernel = listAttr(call, "kernel");
    w.kh = kernel[0], w.kw = kernel[1];
  } else {
    const std::vector<int64_t> &dilation = listAttr(call, "dilation");
    w.dilationH = dilation[0], w.dilationW = dilation[1];
  }
  return w;
}

//===----------------------------------------------------------------------===//
// Rules
//===----------------------------------------------------------------------===//

OpResult elementwiseBinary(OpCall &call) {
  if (std::string err = checkSameDType(call); !err.empty())
    return failure(err);
  return fromShape(
      shape::broadcast(call.operands[0].shape, call.operands[1].shape),
      call.operands[0].dtype);
}

OpResult whereRule(OpCall &call) {
  if (std::string err = checkSameDType(call); !err.empty())
    return failure(err);
  const std::vector<TensorType> &ops = call.operands;
  return fromShape(shape::broadcast3(ops[0].shape, ops[1].shape, ops[2].shape),
                   ops[1].dtype);
}

OpResult floatBinary(OpCall &call) {
  if (std::string err = checkAllFloat(call); !err.empty())
    return failure(err);
  return elementwiseBinary(call);
}

OpResult sameAsOperand(OpCall &call) { return {{call.operands[0]}, {}}; }

OpResult floatUnary(OpCall &call) {
  if (std::string err = checkFloat(call, 0); !err.empty())
    return failure(err);
  return sameAsOperand(call);
}

OpResult matmulRule(OpCall &call) {
  if (std::string err = checkAllFloat(call); !err.empty())
    return failure(err);
  return fromShape(
      shape::matmul(call.operands[0].shape, call.operands[1].shape),
      call.operands[0].dtype);
}

OpResult softmaxRule(OpCall &call) {
  if (std::string err = checkFloat(call, 0); !err.empty())
    return failure(err);
  return fromShape(
      shape::softmax(call.operands[0].shape, intAttr(call, "axis")),
      call.operands[0].dtype);
}

OpResult reduceRule(OpCall &call) {
  return fromShape(shape::reduce(call.operands[0].shape, listAttr(call, "axes"),
                                 boolAttr(call, "keepdims")),
                   call.operands[0].dtype);
}

/// A target shape written in the DSL: the IR's marker of a dynamic extent
/// (the smallest 64-bit integer), which the shape rules take as a spelling
/// of -1 when they re-infer a type, is no extent a user may write.
std::optional<OpResult> refuseDynamicMarker(const OpCall &call) {
  for (int64_t extent : listAttr(call, "shape"))
    if (extent == shape::kDynamic)
      return failure(
          "shape entry " + std::to_string(extent) +
          " is no extent (-1 stands for the inferred or batch extent)");
  return std::nullopt;
}

OpResult reshapeRule(OpCall &call) {
  if (std::optional<OpResult> refused = refuseDynamicMarker(call))
    return *refused;
  return fromShape(
      shape::reshape(call.operands[0].shape, listAttr(call, "shape")),
      call.operands[0].dtype);
}

OpResult transposeRule(OpCall &call) {
  return fromShape(
      shape::transpose(call.operands[0].shape, listAttr(call, "perm")),
      call.operands[0].dtype);
}

OpResult broadcastToRule(OpCall &call) {
  if (std::optional<OpResult> refused = refuseDynamicMarker(call))
    return *refused;
  return fromShape(
      shape::broadcastTo(call.operands[0].shape, listAttr(call, "shape")),
      call.operands[0].dtype);
}

OpResult concatRule(OpCall &call) {
  if (std::string err = checkSameDType(call); !err.empty())
    return failure(err);
  std::vector<shape::Shape> shapes;
  for (const TensorType &t : call.operands)
    shapes.push_back(t.shape);
  return fromShape(shape::concat(shapes, intAttr(call, "axis")),
                   call.operands[0].dtype);
}

OpResult sliceRule(OpCall &call) {
  const std::vector<int64_t> &axes = listAttr(call, "axes");
  // The default step is 1 for every listed axis; filling it in here puts
  // the full list on the node, so the dialect never sees an empty one.
  auto &steps = std::get<std::vector<int64_t>>(call.attrs.at("steps"));
  if (steps.empty())
    steps.assign(axes.size(), 1);
  return fromShape(shape::slice(call.operands[0].shape, axes,
                                listAttr(call, "starts"),
                                listAttr(call, "ends"), steps),
                   call.operands[0].dtype);
}

OpResult conv2dRule(OpCall &call) {
  if (std::string err = checkAllFloat(call); !err.empty())
    return failure(err);
  const shape::Shape *bias =
      call.operands.size() == 3 ? &call.operands[2].shape : nullptr;
  return fromShape(shape::conv2d(call.operands[0].shape, call.operands[1].shape,
                                 bias, window(call, /*pooling=*/false),
                                 intAttr(call, "groups")),
                   call.operands[0].dtype);
}

OpResult maxPoolRule(OpCall &call) {
  // The dialect's pools take float tensors only; without this check an
  // integer operand got the verifier's message in MLIR's wording.
  if (std::string err = checkFloat(call, 0); !err.empty())
    return failure(err);
  return fromShape(
      shape::pool2d(call.operands[0].shape, window(call, /*pooling=*/true)),
      call.operands[0].dtype);
}

OpResult avgPoolRule(OpCall &call) { return maxPoolRule(call); }

OpResult attentionRule(OpCall &call) {
  if (std::string err = checkAllFloat(call); !err.empty())
    return failure(err);
  if (std::string err = checkSameDType(call); !err.empty())
    return failure(err);
  if (floatAttr(call, "scale") < 0)
    return failure("scale must not be negative (0: 1 / sqrt(d))");
  const std::vector<TensorType> &ops = call.operands;
  const shape::Shape *mask = ops.size() > 3 ? &ops[3].shape : nullptr;
  return fromShape(
      shape::attention(ops[0].shape, ops[1].shape, ops[2].shape, mask),
      ops[0].dtype);
}

OpResult dropoutRule(OpCall &call) {
  double rate = floatAttr(call, "rate");
  if (!(rate >= 0 && rate < 1))
    return failure("rate must be in [0, 1), got " + std::to_string(rate));
  if (intAttr(call, "seed") < 0)
    return failure("seed must not be negative");
  return floatUnary(call);
}

OpResult gatherRule(OpCall &call) {
  if (std::string err = checkInteger(call, 1, "indices"); !err.empty())
    return failure(err);
  return fromShape(shape::gather(call.operands[0].shape, call.operands[1].shape,
                                 intAttr(call, "axis")),
                   call.operands[0].dtype);
}

OpResult embeddingRule(OpCall &call) {
  if (std::string err = checkInteger(call, 1, "indices"); !err.empty())
    return failure(err);
  return fromShape(
      shape::gather(call.operands[0].shape, call.operands[1].shape, 0),
      call.operands[0].dtype);
}

OpResult softmaxCrossEntropyRule(OpCall &call) {
  if (std::string err = checkFloat(call, 0); !err.empty())
    return failure(err);
  if (std::string err = checkInteger(call, 1, "labels"); !err.empty())
    return failure(err);
  return fromShape(shape::softmaxCrossEntropy(call.operands[0].shape,
                                              call.operands[1].shape),
                   call.operands[0].dtype);
}

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

// kOps: one row per DSL name, generated from the ops' nnDsl fields in
// ir/NNOps.td; the rules above are what its rows name.
#include "frontend/OpSignatureTable.inc"

} // namespace

const OpSignature *lookupOp(const std::string &name) {
  for (const OpSignature &sig : kOps)
    if (name == sig.name)
      return &sig;
  return nullptr;
}

const OpSignature *lookupInfixOp(char op) {
  switch (op) {
  case '+':
    return lookupOp("add");
  case '-':
    return lookupOp("sub");
  case '*':
    return lookupOp("mul");
  case '/':
    return lookupOp("div");
  case '@':
    return lookupOp("matmul");
  default:
    return nullptr;
  }
}

std::string listAttributes(const OpSignature &sig) {
  std::string out;
  for (size_t i = 0; i < sig.numAttrs; ++i) {
    if (i)
      out += ", ";
    out += sig.attrs[i].name;
  }
  return out;
}

} // namespace nnc::frontend
