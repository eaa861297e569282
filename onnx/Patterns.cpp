//===- Patterns.cpp - Multi-node ONNX patterns that become one op ---------===//

#include "onnx/Patterns.h"

#include "onnx/OnnxShapes.h"
#include "onnx/OpTranslators.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace nnc::onnx {

const NodeProto *GraphIndex::soleConsumer(const std::string &value) const {
  if (graphOutputs.count(value))
    return nullptr;
  auto it = consumers.find(value);
  if (it == consumers.end() || it->second.size() != 1)
    return nullptr;
  return it->second.front();
}

GraphIndex indexGraph(const ::onnx::GraphProto &graph) {
  GraphIndex index;
  for (const NodeProto &node : graph.node()) {
    for (const std::string &input : node.input())
      if (!input.empty())
        index.consumers[input].push_back(&node);
    for (const std::string &output : node.output())
      if (!output.empty())
        index.producers[output] = &node;
    if (node.op_type() != "Constant")
      continue;
    for (const ::onnx::AttributeProto &attribute : node.attribute()) {
      if (attribute.name() != "value" || !attribute.has_t())
        continue;
      rt::Expected<Constant> value = constantFromTensor(attribute.t());
      if (value.ok() && value->size() == 1)
        index.scalars[node.output(0)] = value->number(0);
    }
  }
  for (const ::onnx::TensorProto &tensor : graph.initializer()) {
    rt::Expected<Constant> value = constantFromTensor(tensor);
    if (value.ok() && value->size() == 1)
      index.scalars[tensor.name()] = value->number(0);
  }
  for (const ::onnx::ValueInfoProto &output : graph.output())
    index.graphOutputs.insert(output.name());
  return index;
}

namespace {

bool isOp(const NodeProto *node, const char *opType) {
  return node && node->op_type() == opType && node->domain().empty();
}

/// The scalar the value `name` holds, if it is a one-element constant.
std::optional<double> scalarOf(const GraphIndex &index,
                               const std::string &name) {
  auto it = index.scalars.find(name);
  if (it == index.scalars.end())
    return std::nullopt;
  return it->second;
}

bool near(std::optional<double> value, double expected) {
  return value && std::fabs(*value - expected) <= 1e-4 * std::fabs(expected);
}

/// The input of a two-input `node` other than `known`, or empty.
std::string otherInput(const NodeProto &node, const std::string &known) {
  if (node.input_size() != 2)
    return "";
  if (node.input(0) == known)
    return node.input(1);
  if (node.input(1) == known)
    return node.input(0);
  return "";
}

/// The node writing `value` when it is `opType` and not yet translated.
const NodeProto *untranslatedProducer(const Translation &translation,
                                      const GraphIndex &index,
                                      const std::string &value,
                                      const char *opType) {
  auto it = index.producers.find(value);
  if (it == index.producers.end() || !isOp(it->second, opType) ||
      translation.find(value))
    return nullptr;
  return it->second;
}

/// The factors of the product `mul` computes, through the Muls that only
/// it reads and that are not yet translated (added to `nodes`): a product
/// of three factors written in any order and grouping.
void collectFactors(const Translation &translation, const GraphIndex &index,
                    const NodeProto &mul, std::vector<std::string> &factors,
                    std::vector<const NodeProto *> &nodes) {
  nodes.push_back(&mul);
  for (const std::string &input : mul.input()) {
    const NodeProto *inner =
        untranslatedProducer(translation, index, input, "Mul");
    if (inner && inner->input_size() == 2 &&
        index.soleConsumer(input) == &mul && nodes.size() < 3)
      collectFactors(translation, index, *inner, factors, nodes);
    else
      factors.push_back(input);
  }
}

/// x * 0.5 * (1 + erf(x / sqrt(2))), the product in any order: PyTorch's
/// exact GELU ((1 + erf) * x * 0.5) and HuggingFace's (x * 0.5 * (1 + erf))
/// among them, with x * sqrt(0.5) for x / sqrt(2). `root` is the last Mul;
/// `first`, the node being translated, must be one of the pattern's.
bool matchGeluAt(Translation &translation, const GraphIndex &index,
                 const NodeProto &first, const NodeProto &root,
                 std::set<const NodeProto *> &absorbed) {
  if (!isOp(&root, "Mul") || root.input_size() != 2 ||
      translation.find(root.output(0)))
    return false;
  std::vector<std::string> factors;
  std::vector<const NodeProto *> nodes;
  collectFactors(translation, index, root, factors, nodes);
  if (factors.size() != 3)
    return false;
  // Which factor is 0.5 and which 1 + erf(...); the last is x.
  const NodeProto *plusOne = nullptr;
  std::string x;
  int halves = 0;
  for (const std::string &factor : factors) {
    const NodeProto *add =
        untranslatedProducer(translation, index, factor, "Add");
    if (near(scalarOf(index, factor), 0.5))
      ++halves;
    else if (add && !plusOne && index.soleConsumer(factor))
      plusOne = add;
    else if (x.empty())
      x = factor;
    else
      return false;
  }
  if (halves != 1 || !plusOne || x.empty() || plusOne->input_size() != 2)
    return false;
  const NodeProto *erf = nullptr;
  for (const std::string &input : plusOne->input())
    if (near(scalarOf(index, otherInput(*plusOne, input)), 1.0))
      erf = untranslatedProducer(translation, index, input, "Erf");
  if (!erf || index.soleConsumer(erf->output(0)) != plusOne)
    return false;
  const std::string &scaled = erf->input(0);
  const NodeProto *scale =
      untranslatedProducer(translation, index, scaled, "Div");
  bool divides = scale && scale->input_size() == 2 && scale->input(0) == x &&
                 near(scalarOf(index, scale->input(1)), std::sqrt(2.0));
  if (!divides) {
    scale = untranslatedProducer(translation, index, scaled, "Mul");
    if (!scale || !near(scalarOf(index, otherInput(*scale, x)), std::sqrt(0.5)))
      return false;
  }
  if (index.soleConsumer(scaled) != erf)
    return false;
  nodes.insert(nodes.end(), {scale, erf, plusOne});
  if (std::find(nodes.begin(), nodes.end(), &first) == nodes.end())
    return false;
  const Value *input = translation.find(x);
  if (!input || input->isConstant() || !isFloat(input->type))
    return false;
  translation.let(root, 0, "gelu(" + input->name + ")", input->type,
                  input->shape,
                  "the last of " + std::to_string(nodes.size()) +
                      " nodes of an exact GELU");
  absorbed.insert(nodes.begin(), nodes.end());
  return true;
}

/// An exact GELU of which `node` is the first node: its last Mul is at
/// most four readers further.
bool matchGelu(Translation &translation, const GraphIndex &index,
               const NodeProto &node, std::set<const NodeProto *> &absorbed) {
  const NodeProto *root = &node;
  for (int step = 0; root && step < 5; ++step) {
    if (matchGeluAt(translation, index, node, *root, absorbed))
      return true;
    root = root->output_size() ? index.soleConsumer(root->output(0)) : nullptr;
  }
  return false;
}

/// The axes a ReduceMean reduces, normalised; empty when they are not the
/// trailing axes with keepdims, which is what layer normalisation needs.
std::vector<int64_t> trailingMeanAxes(const NodeProto &mean, int64_t rank) {
  std::vector<int64_t> axes;
  bool keep = true;
  for (const ::onnx::AttributeProto &attribute : mean.attribute()) {
    if (attribute.name() == "axes")
      axes.assign(attribute.ints().begin(), attribute.ints().end());
    else if (attribute.name() == "keepdims")
      keep = attribute.i() != 0;
    else
      return {};
  }
  if (!keep || axes.empty() || mean.input_size() != 1)
    return {};
  std::vector<bool> reduced(rank, false);
  for (int64_t axis : axes) {
    std::optional<int64_t> a = normalizeAxis(axis, rank);
    if (!a)
      return {};
    reduced[*a] = true;
  }
  std::vector<int64_t> normalized;
  for (int64_t i = 0; i < rank; ++i)
    if (reduced[i])
      normalized.push_back(i);
  for (size_t k = 0; k < normalized.size(); ++k)
    if (normalized[k] != rank - static_cast<int64_t>(normalized.size() - k))
      return {};
  return normalized;
}

/// mean, x - mean, (x - mean)^2, its mean + eps, sqrt, divide, then an
/// optional scale and shift: layer normalisation before opset 17.
bool matchLayerNorm(Translation &translation, const GraphIndex &index,
                    const NodeProto &mean,
                    std::set<const NodeProto *> &absorbed) {
  if (!isOp(&mean, "ReduceMean"))
    return false;
  const Value *x = translation.find(mean.input(0));
  if (!x || x->isConstant() || !isFloat(x->type))
    return false;
  int64_t rank = static_cast<int64_t>(x->shape.size());
  std::vector<int64_t> axes = trailingMeanAxes(mean, rank);
  if (axes.empty())
    return false;
  Dims normalized(x->shape.begin() + axes.front(), x->shape.end());
  if (hasBatch(normalized))
    return false;

  const NodeProto *centre = index.soleConsumer(mean.output(0));
  if (!isOp(centre, "Sub") || centre->input(0) != mean.input(0) ||
      centre->input(1) != mean.output(0))
    return false;
  const std::string &centred = centre->output(0);
  auto readers = index.consumers.find(centred);
  if (index.graphOutputs.count(centred) || readers == index.consumers.end() ||
      readers->second.size() != 2)
    return false;
  const NodeProto *square = nullptr, *divide = nullptr;
  for (const NodeProto *reader : readers->second) {
    if (isOp(reader, "Pow") && reader->input(0) == centred)
      square = reader;
    else if (isOp(reader, "Div") && reader->input(0) == centred)
      divide = reader;
  }
  if (!square || !divide || !near(scalarOf(index, square->input(1)), 2.0))
    return false;
  const NodeProto *variance = index.soleConsumer(square->output(0));
  if (!isOp(variance, "ReduceMean") ||
      trailingMeanAxes(*variance, rank) != axes)
    return false;
  const NodeProto *plusEps = index.soleConsumer(variance->output(0));
  if (!isOp(plusEps, "Add"))
    return false;
  std::optional<double> eps =
      scalarOf(index, otherInput(*plusEps, variance->output(0)));
  if (!eps || *eps < 0 || !numberLiteral(*eps))
    return false;
  const NodeProto *root = index.soleConsumer(plusEps->output(0));
  if (!isOp(root, "Sqrt") || index.soleConsumer(root->output(0)) != divide ||
      divide->input(1) != root->output(0))
    return false;

  const NodeProto *last = divide;
  std::vector<const NodeProto *> matched = {centre,  square, variance,
                                            plusEps, root,   divide};
  // The affine part, when its operands have the normalised shape.
  auto affine = [&](const char *opType) -> const Value * {
    const NodeProto *next = index.soleConsumer(last->output(0));
    if (!isOp(next, opType))
      return nullptr;
    const Value *operand = translation.find(otherInput(*next, last->output(0)));
    if (!operand || operand->shape != normalized || operand->type != x->type)
      return nullptr;
    last = next;
    matched.push_back(next);
    return operand;
  };
  const Value *gamma = affine("Mul");
  const Value *beta = gamma ? affine("Add") : nullptr;

  auto filled = [&](const Value *given, double fill,
                    const char *suffix) -> rt::Expected<std::string> {
    if (given)
      return translation.operand(*given, false);
    Constant constant;
    constant.type = x->type;
    constant.shape = normalized;
    constant.reals.assign(static_cast<size_t>(staticElementCount(normalized)),
                          fill);
    std::string name = last->output(0) + suffix;
    translation.bindConstant(name, std::move(constant));
    return translation.operand(*translation.find(name), false);
  };
  // ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, then Mul and Add.
  size_t nodes = 7 + (gamma != nullptr) + (beta != nullptr);
  // A scale or shift that cannot be data (a constant holding NaN) is left
  // to its own node, which reports it; the shift is not declared then.
  rt::Expected<std::string> gammaText = filled(gamma, 1.0, "#gamma");
  if (!gammaText.ok())
    return false;
  rt::Expected<std::string> betaText = filled(beta, 0.0, "#beta");
  if (!betaText.ok())
    return false;
  absorbed.insert(matched.begin(), matched.end());
  translation.let(*last, 0,
                  "layer_norm(" + x->name + ", " + *gammaText + ", " +
                      *betaText + ", eps=" + *numberLiteral(*eps) + ")",
                  x->type, x->shape,
                  "the last of " + std::to_string(nodes) +
                      " nodes of a layer normalization");
  return true;
}

/// Pad (zeros on h and w, the same on both sides) -> AveragePool: PyTorch's
/// AvgPool2d with count_include_pad=True, whose padding it exports as a
/// node of its own in front of a pool that pads nothing.
bool matchPaddedAveragePool(Translation &translation, const GraphIndex &index,
                            const NodeProto &pad,
                            std::set<const NodeProto *> &absorbed) {
  if (!isOp(&pad, "Pad") || pad.input_size() < 2)
    return false;
  const NodeProto *pool = index.soleConsumer(pad.output(0));
  if (!isOp(pool, "AveragePool") || pool->input(0) != pad.output(0))
    return false;
  const Value *x = translation.find(pad.input(0));
  if (!x || x->isConstant() || x->shape.size() != 4)
    return false;
  Attributes padAttributes(pad);
  rt::Expected<std::vector<int64_t>> pads =
      zeroPadAmounts(translation, pad, padAttributes);
  if (!pads.ok() || !padAttributes.unread().empty() || pads->size() != 8)
    return false;
  // [n, c, h, w] begins, then ends.
  const std::vector<int64_t> &p = *pads;
  if (p[0] != 0 || p[1] != 0 || p[4] != 0 || p[5] != 0 || p[2] != p[6] ||
      p[3] != p[7] || p[2] < 0 || p[3] < 0)
    return false;
  Attributes poolAttributes(*pool);
  // A pool the fold cannot take leaves the Pad to its translator, which
  // names it.
  if (!translatePaddedAveragePool(translation, *pool, poolAttributes, *x,
                                  {p[2], p[3]})
           .ok() ||
      !poolAttributes.unread().empty())
    return false;
  absorbed.insert(pool);
  return true;
}

} // namespace

bool translatePattern(Translation &translation, const GraphIndex &index,
                      const NodeProto &node,
                      std::set<const NodeProto *> &absorbed) {
  return matchGelu(translation, index, node, absorbed) ||
         matchLayerNorm(translation, index, node, absorbed) ||
         matchPaddedAveragePool(translation, index, node, absorbed);
}

} // namespace nnc::onnx
