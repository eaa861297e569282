//===- GradientFlow.cpp - Which ONNX values a gradient can reach ----------===//

#include "onnx/GradientFlow.h"

namespace nnc::onnx {
namespace {

using ::onnx::GraphProto;
using ::onnx::NodeProto;
using ::onnx::TensorProto;

/// Ops none of whose inputs takes a gradient: their results are booleans
/// or integers, or do not depend on the values of their inputs.
const char *const kWithoutGradient =
    " Equal Less LessOrEqual Greater GreaterOrEqual Not And Or Xor IsNaN"
    " IsInf Shape Size ArgMax ArgMin NonZero ConstantOfShape Range EyeLike"
    " RandomNormalLike RandomUniformLike Bernoulli Multinomial ";

/// Ops whose first input alone takes a gradient: the others are indices,
/// shapes, axes, bounds or counts.
const char *const kFirstInputOnly =
    " Gather GatherElements GatherND Slice Reshape Expand Tile Unsqueeze"
    " Squeeze Split TopK Dropout ReduceSum ReduceMean ReduceMax ReduceMin"
    " ReduceProd ReduceL1 ReduceL2 ReduceLogSumExp ReduceSumSquare Resize"
    " Upsample CumSum Trilu Compress ";

bool listed(const char *list, const std::string &op) {
  return std::string(list).find(" " + op + " ") != std::string::npos;
}

bool castsToFloat(const NodeProto &node) {
  for (const auto &attribute : node.attribute())
    if (attribute.name() == "to")
      return attribute.i() == TensorProto::FLOAT ||
             attribute.i() == TensorProto::DOUBLE ||
             attribute.i() == TensorProto::FLOAT16 ||
             attribute.i() == TensorProto::BFLOAT16;
  // A Cast without `to` is refused later; until then, assume it is one
  // that keeps its gradient.
  return true;
}

} // namespace

bool carriesGradient(const NodeProto &node, int index) {
  // Ops of other domains may do anything with any input.
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    return true;
  const std::string &op = node.op_type();
  if (op == "Cast")
    return castsToFloat(node);
  if (listed(kWithoutGradient, op))
    return false;
  if (listed(kFirstInputOnly, op))
    return index == 0;
  // Where's condition, the indices of a scatter, OneHot's indices and
  // depth and Pad's pads take none.
  if (op == "Where")
    return index != 0;
  if (op == "Pad" || op == "Scatter" || op == "ScatterElements" ||
      op == "ScatterND")
    return index != 1;
  if (op == "OneHot")
    return index == 2;
  return true;
}

std::set<std::string>
valuesWithGradient(const GraphProto &graph,
                   const std::vector<const NodeProto *> &order) {
  std::set<std::string> reached;
  for (const auto &output : graph.output())
    reached.insert(output.name());
  // Consumers come after producers, so walking backwards sees every use of
  // a value before the node that makes it.
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const NodeProto &node = **it;
    bool used = false;
    for (const std::string &output : node.output())
      used = used || (!output.empty() && reached.count(output) != 0);
    if (!used)
      continue;
    for (int i = 0; i < node.input_size(); ++i)
      if (!node.input(i).empty() && carriesGradient(node, i))
        reached.insert(node.input(i));
  }
  return reached;
}

} // namespace nnc::onnx
