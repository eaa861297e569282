//===- GradientFlow.h - Which ONNX values a gradient can reach --*- C++ -*-===//
//
// ONNX does not say which initializers are a model's parameters and which
// are its buffers. One that no gradient can reach from the graph's outputs
// (a causal mask read only through `== 0`, a tensor read only for its
// shape) can never train, and training it as a parameter would still
// change it through weight decay or momentum: such an initializer is a
// constant of the program.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_ONNX_GRADIENTFLOW_H
#define NNC_ONNX_GRADIENTFLOW_H

#include <onnx/onnx_pb.h>

#include <set>
#include <string>
#include <vector>

namespace nnc::onnx {

/// Whether a gradient of `node`'s outputs flows into its input `index`:
/// false for the inputs of comparisons, logic, Shape, ArgMax, a Cast to a
/// non-float type and the like, and for the index, shape and axes inputs
/// of data movement (Gather's indices, Where's condition, Slice's
/// bounds). True for any other input, ops nnc does not know included.
bool carriesGradient(const ::onnx::NodeProto &node, int index);

/// The values of the graph that a gradient of its outputs can reach, the
/// outputs included; `order` is the graph's nodes, producers first.
std::set<std::string>
valuesWithGradient(const ::onnx::GraphProto &graph,
                   const std::vector<const ::onnx::NodeProto *> &order);

} // namespace nnc::onnx

#endif // NNC_ONNX_GRADIENTFLOW_H
