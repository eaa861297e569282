//===- OnnxGraph.h - A parsed, checked ONNX model in node order -*- C++ -*-===//
//
// Everything the translation may rely on about the file itself: it parsed,
// its external data is in memory, ONNX's checker accepted it, its opset is
// one nnc supports, and its nodes are in an order where every value is
// defined before it is used (sorted here when the file's order is not, a
// cycle being an error).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_ONNX_ONNXGRAPH_H
#define NNC_ONNX_ONNXGRAPH_H

#include "runtime/Status.h"

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::onnx {

/// The opsets of the default domain the importer's op table covers.
inline constexpr int64_t kMinOpset = 11;
inline constexpr int64_t kMaxOpset = 17;

struct OnnxGraph {
  ::onnx::ModelProto model;
  /// The default domain's opset.
  int64_t opset = 0;
  /// The graph's nodes, producers before consumers.
  std::vector<const ::onnx::NodeProto *> order;
  /// The position in the file's list of nodes of each node of `order`
  /// (`graph()` holds them in `order`'s order).
  std::vector<int> filePositions;
  /// The external data files read into the model, as paths from the
  /// model's folder ("folder/weights.bin").
  std::vector<std::string> externalFiles;

  const ::onnx::GraphProto &graph() const { return model.graph(); }
};

/// How messages name `node`, the node at `position` (from 0) in the
/// file's list of nodes: its name, else its first named output, in
/// quotes; `#POSITION` for a node that has neither.
std::string nodeReference(const ::onnx::NodeProto &node, int position);

/// Parses `bytes`, reads external data relative to `modelFolder` (none
/// allowed when it is empty), runs ONNX's checker and orders the nodes.
/// Every error is one line starting with `displayName`.
rt::Expected<OnnxGraph> loadOnnxGraph(const std::string &bytes,
                                      const std::string &displayName,
                                      const std::string &modelFolder);

} // namespace nnc::onnx

#endif // NNC_ONNX_ONNXGRAPH_H
