//===- OnnxGraph.cpp - Parse, check and order an ONNX model ---------------===//

#include "onnx/OnnxGraph.h"

#include "onnx/ExternalData.h"

#include <onnx/checker.h>

#include <algorithm>
#include <exception>
#include <map>
#include <set>

namespace nnc::onnx {
namespace {

using ::onnx::GraphProto;
using ::onnx::NodeProto;

/// The default domain's opset, or an error naming the supported range.
rt::Expected<int64_t> defaultOpset(const ::onnx::ModelProto &model,
                                   const std::string &displayName) {
  for (const auto &entry : model.opset_import()) {
    if (!entry.domain().empty() && entry.domain() != "ai.onnx")
      continue;
    int64_t version = entry.version();
    if (version < kMinOpset || version > kMaxOpset)
      return rt::Error::failure(
          displayName + ": opset " + std::to_string(version) +
          " is not supported (nnc imports opsets " + std::to_string(kMinOpset) +
          " to " + std::to_string(kMaxOpset) +
          "; export again with opset_version in that range)");
    return version;
  }
  return rt::Error::failure(displayName +
                            ": the model imports no opset of the default "
                            "ONNX domain");
}

/// Kahn's algorithm, stable in the file's order so that a sorted graph
/// keeps its order exactly: the positions of the nodes in the file, in an
/// order where producers come first; an error naming a node on a cycle
/// when there is one.
rt::Expected<std::vector<int>>
topologicalOrder(const GraphProto &graph, const std::string &displayName) {
  std::map<std::string, size_t> producer;
  for (int i = 0; i < graph.node_size(); ++i)
    for (const std::string &output : graph.node(i).output())
      if (!output.empty())
        producer.emplace(output, static_cast<size_t>(i));

  size_t count = static_cast<size_t>(graph.node_size());
  std::vector<size_t> pending(count, 0);
  std::vector<std::vector<size_t>> consumers(count);
  for (size_t i = 0; i < count; ++i) {
    std::set<size_t> producers;
    for (const std::string &input : graph.node(static_cast<int>(i)).input()) {
      auto it = producer.find(input);
      if (it != producer.end())
        producers.insert(it->second);
    }
    for (size_t p : producers) {
      consumers[p].push_back(i);
      ++pending[i];
    }
  }
  std::set<size_t> ready;
  for (size_t i = 0; i < count; ++i)
    if (pending[i] == 0)
      ready.insert(i);
  std::vector<int> order;
  order.reserve(count);
  while (!ready.empty()) {
    size_t next = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(static_cast<int>(next));
    for (size_t consumer : consumers[next])
      if (--pending[consumer] == 0)
        ready.insert(consumer);
  }
  if (order.size() == count)
    return order;
  // The first node left over may only be fed by a cycle. Every node left
  // over waits on a producer left over, so following those producers
  // comes back to a node already seen, which is on a cycle.
  size_t on = static_cast<size_t>(
      std::find_if(pending.begin(), pending.end(),
                   [](size_t waiting) { return waiting != 0; }) -
      pending.begin());
  std::vector<bool> seen(count, false);
  while (!seen[on]) {
    seen[on] = true;
    for (const std::string &input : graph.node(static_cast<int>(on)).input()) {
      auto it = producer.find(input);
      if (it != producer.end() && pending[it->second] != 0) {
        on = it->second;
        break;
      }
    }
  }
  const NodeProto &node = graph.node(static_cast<int>(on));
  return rt::Error::failure(
      displayName + ": the graph has a cycle through node " +
      nodeReference(node, static_cast<int>(on)) + " (" + node.op_type() + ")");
}

} // namespace

std::string nodeReference(const NodeProto &node, int position) {
  if (!node.name().empty())
    return "'" + node.name() + "'";
  for (const std::string &output : node.output())
    if (!output.empty())
      return "'" + output + "'";
  return "#" + std::to_string(position);
}

rt::Expected<OnnxGraph> loadOnnxGraph(const std::string &bytes,
                                      const std::string &displayName,
                                      const std::string &modelFolder) {
  OnnxGraph loaded;
  if (bytes.empty())
    return rt::Error::failure(displayName + ": empty file, not an ONNX model");
  if (!loaded.model.ParseFromString(bytes))
    return rt::Error::failure(displayName +
                              ": not an ONNX model (the protobuf does not "
                              "parse: truncated or corrupt)");
  if (!loaded.model.has_graph())
    return rt::Error::failure(displayName + ": the model has no graph");

  rt::Expected<int64_t> opset = defaultOpset(loaded.model, displayName);
  if (!opset.ok())
    return opset.takeError();
  loaded.opset = *opset;

  if (rt::Error error =
          readExternalData(*loaded.model.mutable_graph(), displayName,
                           modelFolder, loaded.externalFiles);
      !error.ok())
    return error;

  // The checker insists on topological order; a cycle gets its own
  // message, which is clearer than the checker's.
  rt::Expected<std::vector<int>> order =
      topologicalOrder(loaded.model.graph(), displayName);
  if (!order.ok())
    return order.takeError();
  loaded.filePositions = *order;
  bool sorted = true;
  for (size_t i = 0; i < order->size(); ++i)
    sorted = sorted && (*order)[i] == static_cast<int>(i);
  if (!sorted) {
    // Rewrite the graph in order, so the checker sees what we translate.
    GraphProto *graph = loaded.model.mutable_graph();
    std::vector<NodeProto> nodes;
    for (int position : *order)
      nodes.push_back(graph->node(position));
    graph->clear_node();
    for (NodeProto &node : nodes)
      *graph->add_node() = std::move(node);
  }
  for (const NodeProto &node : loaded.model.graph().node())
    loaded.order.push_back(&node);

  try {
    ::onnx::checker::check_model(loaded.model);
  } catch (const std::exception &error) {
    std::string message = error.what();
    // The checker's messages span lines ("==> Context: ..."); keep one.
    size_t newline = message.find('\n');
    if (newline != std::string::npos)
      message.resize(newline);
    return rt::Error::failure(displayName +
                              ": rejected by the ONNX checker: " + message);
  }
  return loaded;
}

} // namespace nnc::onnx
