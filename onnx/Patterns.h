//===- Patterns.h - Multi-node ONNX patterns that become one op -*- C++ -*-===//
//
// Exporters decompose ops the ONNX opset lacks (or lacked): PyTorch writes
// the exact GELU as Div, Erf, Add, Mul, Mul, and before opset 17 layer
// normalisation as nine nodes. Each becomes the one op nnc has for it, so
// the program trains with that op's fused kernels and gradient rule.
// PyTorch's AvgPool2d(count_include_pad=True) comes as a Pad of zeros and
// an AveragePool, which become one avg_pool2d with padding.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_ONNX_PATTERNS_H
#define NNC_ONNX_PATTERNS_H

#include "onnx/Translation.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace nnc::onnx {

/// Who reads and who writes each value, which intermediate values a pattern may
/// swallow (read by the pattern alone, not a graph output), and every
/// one-element constant of the file (Constant nodes and initializers) by name.
struct GraphIndex {
  std::map<std::string, std::vector<const NodeProto *>> consumers;
  std::map<std::string, const NodeProto *> producers;
  std::set<std::string> graphOutputs;
  std::map<std::string, double> scalars;

  /// The single node reading `value`, or null when there are several or
  /// none or it is a graph output.
  const NodeProto *soleConsumer(const std::string &value) const;
};

GraphIndex indexGraph(const ::onnx::GraphProto &graph);

/// Tries every pattern that starts at `node`, the first of its nodes in
/// order. On a match the fused op is written and bound to the pattern's
/// result, the pattern's other nodes are added to `absorbed` (the driver
/// skips them), and the result is true.
bool translatePattern(Translation &translation, const GraphIndex &index,
                      const NodeProto &node,
                      std::set<const NodeProto *> &absorbed);

} // namespace nnc::onnx

#endif // NNC_ONNX_PATTERNS_H
