//===- OnnxImport.cpp - Translate an ONNX graph into a .nn program --------===//
//
// The driver: declares the graph's inputs and weights, then walks the
// nodes in order, each one folded (known at import time), fused with its
// neighbours (a pattern), or translated into statements. A node that
// fails does not stop the walk: every problem of the file is reported at
// once, and nodes that read a failed node's results are skipped quietly.
//
//===----------------------------------------------------------------------===//

#include "onnx/OnnxImport.h"

#include "onnx/ConstantFolding.h"
#include "onnx/GradientFlow.h"
#include "onnx/OnnxGraph.h"
#include "onnx/OpTranslators.h"
#include "onnx/Patterns.h"
#include "onnx/Translation.h"

#include "runtime/Counted.h"
#include "runtime/FileIO.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <set>

namespace nnc::onnx {
namespace {

using ::onnx::GraphProto;
using ::onnx::TensorProto;
using ::onnx::ValueInfoProto;

bool isDefaultDomain(const NodeProto &node) {
  return node.domain().empty() || node.domain() == "ai.onnx";
}

/// "node 'NAME' (OP, opset N)", with the opset the model imports for the
/// node's own domain; "node #3 (...)" for the fourth node of the file when
/// it has neither a name nor an output.
std::string nodeLabel(const NodeProto &node, const OnnxGraph &onnx) {
  auto at = std::find(onnx.order.begin(), onnx.order.end(), &node);
  assert(at != onnx.order.end() && "a node of another graph");
  std::string name =
      nodeReference(node, onnx.filePositions[at - onnx.order.begin()]);
  if (isDefaultDomain(node))
    return printable("node " + name + " (" + node.op_type() + ", opset " +
                     std::to_string(onnx.opset) + ")");
  std::string opset;
  for (const auto &entry : onnx.model.opset_import())
    if (entry.domain() == node.domain())
      opset = ", opset " + std::to_string(entry.version());
  return printable("node " + name + " (" + node.domain() + "." +
                   node.op_type() + opset + ")");
}

/// Why nnc cannot import `node` whatever its inputs: an op of another
/// domain, or one it neither translates nor folds; empty if it can.
std::string unsupportedOp(const NodeProto &node) {
  if (!isDefaultDomain(node))
    return "ops of domain '" + node.domain() + "' are not supported";
  if (!findOpTranslator(node.op_type()) && !isFoldableOp(node.op_type()))
    return "op not supported (docs/onnx.md lists the supported ops)";
  return "";
}

/// Initializers that batch normalization reads as running statistics:
/// state, not trainable parameters.
std::set<std::string> batchNormStatistics(const GraphProto &graph) {
  std::set<std::string> names;
  for (const NodeProto &node : graph.node())
    if (node.op_type() == "BatchNormalization" && node.input_size() >= 5) {
      names.insert(node.input(3));
      names.insert(node.input(4));
    }
  return names;
}

class Importer {
public:
  Importer(const OnnxGraph &onnx, std::string displayName,
           const ImportOptions &options)
      : onnx(onnx), displayName(std::move(displayName)), options(options),
        translation(onnx.opset), index(indexGraph(onnx.graph())) {}

  rt::Expected<ImportedModel> run(const std::string &modelName);

private:
  void problem(const std::string &message) {
    problems.push_back(printable(displayName + ": " + message));
  }
  void declareInputs();
  void declareInitializers();
  void untieMergedInitializers(const std::set<std::string> &statistics);
  void translateNode(const NodeProto &node);
  /// Reports a result of `node` that has the batch anywhere but first.
  void checkBatchFirst(const NodeProto &node);
  /// The notes for the nodes whose leading traced batch was read as the
  /// batch (Translation::nodesOfTracedBatch).
  void noteNodesOfTracedBatch();
  /// Notes each trainable weight that several nodes of one op read at one
  /// input, which then train as one parameter.
  void noteSharedWeights();
  void declareOutputs();

  const OnnxGraph &onnx;
  std::string displayName;
  ImportOptions options;
  Translation translation;
  GraphIndex index;
  std::vector<std::string> problems;
  std::vector<std::string> notes;
  std::vector<std::string> inputLines;
  std::vector<std::string> outputLines;
  std::set<const NodeProto *> absorbed;
  /// Values a failed node would have produced.
  std::set<std::string> poisoned;
  /// Initializers nnc cannot read, with the reason, reported at their
  /// first reader.
  std::map<std::string, std::string> unreadable;
  /// The initializers declared as trainable parameters.
  std::set<std::string> trainableWeights;
};

void Importer::declareInputs() {
  std::set<std::string> initializers;
  for (const TensorProto &tensor : onnx.graph().initializer())
    initializers.insert(tensor.name());
  std::string batchSymbol;
  // The first input whose first axis is a fixed extent, described.
  std::string staticInput;
  for (const ValueInfoProto &input : onnx.graph().input()) {
    // Files older than IR version 4 list initializers as inputs too.
    if (initializers.count(input.name()))
      continue;
    std::string where = "input '" + printable(input.name()) + "'";
    if (!input.type().has_tensor_type()) {
      problem(where + " is not a tensor");
      poisoned.insert(input.name());
      continue;
    }
    const auto &tensorType = input.type().tensor_type();
    std::optional<ElemType> type = elemTypeOf(tensorType.elem_type());
    if (!type || *type == ElemType::Bool) {
      problem(where + " has an element type nnc does not support");
      poisoned.insert(input.name());
      continue;
    }
    Dims shape;
    bool ok = tensorType.has_shape();
    if (!ok)
      problem(where + " has no shape; export it with a static shape");
    for (int i = 0; ok && i < tensorType.shape().dim_size(); ++i) {
      const auto &dim = tensorType.shape().dim(i);
      if (i == 0 && options.firstAxisIsBatch && dim.has_dim_value() &&
          dim.dim_value() > 0) {
        // Exported at a fixed batch: the extent becomes the batch, the
        // same for every input.
        int64_t &traced = translation.tracedBatch;
        if (traced != 0 && dim.dim_value() != traced) {
          problem(where + ": its first axis has extent " +
                  std::to_string(dim.dim_value()) +
                  " where another input's has " + std::to_string(traced) +
                  "; as the batch, every input's first axis has one extent");
          ok = false;
          continue;
        }
        traced = dim.dim_value();
        shape.push_back(kBatch);
        continue;
      }
      if (dim.has_dim_value() && dim.dim_value() > 0) {
        shape.push_back(dim.dim_value());
        continue;
      }
      if (dim.has_dim_value()) {
        // A static extent, not a dynamic one: nnc tensors have none of 0.
        problem(where + ": axis " + std::to_string(i) + " has extent " +
                std::to_string(dim.dim_value()) +
                "; nnc supports positive extents only");
        ok = false;
        continue;
      }
      if (i == 0) {
        // A dynamic first axis is the batch: every input shares it.
        std::string symbol = dim.has_dim_param() ? dim.dim_param() : "?";
        if (!batchSymbol.empty() && symbol != batchSymbol && symbol != "?")
          problem(where + ": its dynamic first axis '" + symbol +
                  "' differs from '" + batchSymbol +
                  "'; nnc has one batch dimension");
        if (batchSymbol.empty())
          batchSymbol = symbol;
        shape.push_back(kBatch);
        continue;
      }
      problem(where + ": axis " + std::to_string(i) +
              " is dynamic; nnc supports a dynamic first (batch) axis only: "
              "export with a fixed size there");
      ok = false;
    }
    if (ok && !fitsElementLimit(shape, kMaxTensorElements)) {
      problem(where + ": shape " + formatDims(shape) +
              " has more than 2^40 "
              "elements, more than an nnc tensor holds");
      ok = false;
    }
    if (!ok) {
      poisoned.insert(input.name());
      continue;
    }
    if (staticInput.empty() && !shape.empty() && shape.front() != kBatch)
      staticInput = where + " is " + formatDims(shape);
    std::string name = translation.freshName(input.name());
    std::string comment =
        name == input.name() ? "" : "  # " + printable(input.name());
    inputLines.push_back("input " + name + ": " + dslTypeName(*type) +
                         formatDims(shape) + comment);
    translation.bindTensor(input.name(), *type, shape, name);
  }
  // A model traced at a fixed batch runs, but has no batch to train over.
  if (!options.firstAxisIsBatch && batchSymbol.empty() && !staticInput.empty())
    notes.push_back(staticInput +
                    " and no input has a dynamic first axis: the program runs "
                    "at that size but cannot be trained; `nnc import "
                    "--dynamic-batch` makes the inputs' first axis the batch");
}

void Importer::declareInitializers() {
  std::set<std::string> statistics = batchNormStatistics(onnx.graph());
  std::set<std::string> withGradient =
      valuesWithGradient(onnx.graph(), onnx.order);
  for (const TensorProto &tensor : onnx.graph().initializer()) {
    std::optional<ElemType> type = elemTypeOf(tensor.data_type());
    // Integer initializers are shapes and indices, and rank-0 float ones
    // are scalars such as an epsilon: constants. So is a float one no
    // gradient reaches (a buffer compared with `== 0` into a mask): it
    // cannot train, and as a param weight decay would still change it.
    // Every other float initializer is a weight, trainable unless it is a
    // statistic.
    bool trainable = withGradient.count(tensor.name()) != 0;
    bool weight = type && isFloat(*type) && tensor.dims_size() > 0 &&
                  (trainable || statistics.count(tensor.name()) != 0);
    // ONNX cannot tell a learnable scalar (a temperature, a gate) from a
    // folded one; the user is told which scalars will not train.
    if (type && isFloat(*type) && tensor.dims_size() == 0 && trainable)
      notes.push_back(
          displayName + ": initializer '" + printable(tensor.name()) +
          "' has rank 0, so it becomes a constant, not a trainable param "
          "(an initializer of shape [1] would be one)");
    if (!weight) {
      rt::Expected<Constant> constant = constantFromTensor(tensor);
      if (!constant.ok()) {
        // Unusable only if something reads it; say so then.
        poisoned.insert(tensor.name());
        unreadable[tensor.name()] = constant.message();
        continue;
      }
      translation.bindConstant(tensor.name(), std::move(*constant));
      continue;
    }
    if (rt::Error error = translation.declareWeight(
            tensor, statistics.count(tensor.name()) != 0);
        !error.ok()) {
      problem(error.message());
      poisoned.insert(tensor.name());
    } else if (!statistics.count(tensor.name())) {
      trainableWeights.insert(tensor.name());
    }
  }
  untieMergedInitializers(statistics);
}

void Importer::untieMergedInitializers(
    const std::set<std::string> &statistics) {
  // PyTorch's exporter keeps one initializer of each set with equal values
  // and makes the others Identity nodes of it: batch norms fresh from
  // their constructor (weights of ones, biases of zeros) share one with
  // their running statistics. Read as aliases, a running mean would be a
  // trained parameter never updated as a statistic, a weight a buffer
  // never trained, or two batch norms would update one statistic. No
  // model shares a running statistic, so an Identity of a weight where
  // either side is one becomes a weight of its own, a copy, a buffer when
  // batch norm reads it as a statistic. Parameters tied to parameters
  // stay tied: ONNX cannot tell that merging from a model's own sharing.
  std::map<std::string, const TensorProto *> roots;
  for (const TensorProto &tensor : onnx.graph().initializer())
    roots[tensor.name()] = &tensor;
  size_t untied = 0;
  for (const NodeProto *node : onnx.order) {
    if (node->op_type() != "Identity" || node->input_size() != 1 ||
        node->output_size() != 1 || !isDefaultDomain(*node))
      continue;
    auto root = roots.find(node->input(0));
    const Value *value = translation.find(node->input(0));
    if (root == roots.end() || !value || value->isConstant() ||
        poisoned.count(node->input(0)))
      continue;
    bool statistic = statistics.count(node->output(0)) != 0;
    if (!statistic && !statistics.count(root->second->name()))
      continue;
    TensorProto copy = *root->second;
    copy.set_name(node->output(0));
    if (rt::Error error = translation.declareWeight(copy, statistic);
        !error.ok())
      continue;
    roots[node->output(0)] = root->second;
    absorbed.insert(node);
    ++untied;
  }
  if (untied > 0)
    notes.push_back(displayName + ": " + rt::counted(untied, "weight") +
                    " that the exporter had merged with a running "
                    "statistic of equal values (Identity nodes) became "
                    "weights of their own, as in the model that was "
                    "exported");
}

void Importer::translateNode(const NodeProto &node) {
  if (absorbed.count(&node))
    return;
  auto poison = [&] {
    for (const std::string &output : node.output())
      poisoned.insert(output);
  };
  for (const std::string &input : node.input()) {
    if (input.empty())
      continue;
    if (poisoned.count(input)) {
      auto reason = unreadable.find(input);
      if (reason != unreadable.end()) {
        problem(nodeLabel(node, onnx) + ": " + reason->second);
        unreadable.erase(reason);
      }
      // An op nnc cannot import is named even after its inputs failed:
      // PyTorch's LSTM export fails first at the ConstantOfShape making
      // its initial state, and the LSTM is what the user must replace.
      if (std::string why = unsupportedOp(node); !why.empty())
        problem(nodeLabel(node, onnx) + ": " + why);
      poison();
      return;
    }
    if (!translation.find(input)) {
      problem(nodeLabel(node, onnx) + ": input '" + printable(input) +
              "' is never defined");
      poison();
      return;
    }
  }
  if (!isDefaultDomain(node)) {
    problem(nodeLabel(node, onnx) + ": " + unsupportedOp(node));
    poison();
    return;
  }
  if (translatePattern(translation, index, node, absorbed))
    return;
  rt::Expected<bool> folded = foldNode(translation, node);
  if (!folded.ok()) {
    problem(nodeLabel(node, onnx) + ": " + folded.message());
    poison();
    return;
  }
  if (*folded)
    return;
  OpTranslator translator = findOpTranslator(node.op_type());
  if (!translator) {
    std::string why = unsupportedOp(node);
    problem(nodeLabel(node, onnx) + ": " +
            (why.empty() ? "nnc imports this op only on constant inputs, "
                           "which it folds; here an input is computed from "
                           "the data or the batch size"
                         : why));
    poison();
    return;
  }
  Attributes attributes(node);
  if (rt::Error error = translator(translation, node, attributes);
      !error.ok()) {
    problem(nodeLabel(node, onnx) + ": " + error.message());
    poison();
    return;
  }
  for (const std::string &name : attributes.unread()) {
    problem(nodeLabel(node, onnx) + ": attribute '" + name +
            "' is not supported");
    poison();
  }
  checkBatchFirst(node);
}

void Importer::checkBatchFirst(const NodeProto &node) {
  // The program has one batch axis, the first of a tensor that has one; a
  // result the frontend would accept but the nn dialect refuses (a
  // Transpose moving the batch, [B, 1, 4] - [B, 1] giving [B, B, 4]) is
  // reported at the node that made it.
  for (const std::string &output : node.output()) {
    const Value *value = translation.find(output);
    if (output.empty() || poisoned.count(output) || !value ||
        value->isConstant())
      continue;
    const Dims &shape = value->shape;
    if (std::count(shape.begin(), shape.end(), kBatch) > 1) {
      problem(nodeLabel(node, onnx) + ": the result " + formatDims(shape) +
              " has the batch dimension on more than one axis; nnc has one "
              "batch axis, the first");
      poisoned.insert(output);
    } else if (hasBatch(shape) && shape.front() != kBatch) {
      problem(nodeLabel(node, onnx) + ": the result " + formatDims(shape) +
              " moves the batch dimension from the front, which nnc cannot "
              "express");
      poisoned.insert(output);
    }
  }
}

void Importer::declareOutputs() {
  // A value the graph lists twice as an output is one output of the
  // program, which names each output once.
  std::set<std::string> declared;
  for (const ValueInfoProto &output : onnx.graph().output()) {
    if (!declared.insert(output.name()).second || poisoned.count(output.name()))
      continue;
    const Value *value = translation.find(output.name());
    if (!value) {
      problem("graph output '" + printable(output.name()) +
              "' is never defined");
      continue;
    }
    rt::Expected<std::string> operand = translation.operand(*value, false);
    if (!operand.ok()) {
      problem("graph output '" + printable(output.name()) +
              "': " + operand.message());
      continue;
    }
    std::string name = sanitizeName(output.name());
    if (name == *operand)
      outputLines.push_back("output " + name);
    else
      outputLines.push_back("output " + translation.freshName(output.name()) +
                            " = " + *operand);
  }
}

void Importer::noteNodesOfTracedBatch() {
  // A transformer has a few such nodes in every block: past a handful, one
  // note that counts them instead of a note each.
  constexpr size_t kNamedOneByOne = 3;
  const std::vector<const NodeProto *> &nodes = translation.nodesOfTracedBatch;
  const std::string batch = std::to_string(translation.tracedBatch);
  const char *risk = "if the model computed it from another axis, the program "
                     "is wrong at other batch sizes";
  if (nodes.size() <= kNamedOneByOne) {
    for (const NodeProto *node : nodes)
      notes.push_back(nodeLabel(*node, onnx) + ": the leading " + batch +
                      " of its constant shape is taken as the batch "
                      "(--dynamic-batch); " +
                      risk);
    return;
  }
  std::string first;
  for (size_t i = 0; i < kNamedOneByOne; ++i)
    first += (i ? "; " : "") + nodeLabel(*nodes[i], onnx);
  notes.push_back(std::to_string(nodes.size()) +
                  " Reshape and Expand nodes take the leading " + batch +
                  " of their constant shape as the batch (--dynamic-batch), " +
                  first + " and " +
                  std::to_string(nodes.size() - kNamedOneByOne) + " more; " +
                  risk);
}

void Importer::noteSharedWeights() {
  // PyTorch's exporter keeps one initializer of each set with equal values
  // (the others become Identity nodes of it, or vanish): the scales of
  // fresh layer norms, all ones, become one parameter that trains for all
  // of them. ONNX cannot tell that from a model's own sharing (ALBERT's
  // layers), so it is a note, counted by op and input: a tied embedding,
  // read by a Gather and a MatMul, gets none.
  std::map<std::string, std::string> identityInput;
  for (const NodeProto *node : onnx.order)
    if (node->op_type() == "Identity" && node->input_size() == 1 &&
        node->output_size() == 1 && !absorbed.count(node))
      identityInput[node->output(0)] = node->input(0);
  std::map<std::pair<std::string, std::string>, std::map<int, int>> readers;
  for (const NodeProto *node : onnx.order) {
    if (node->op_type() == "Identity" || absorbed.count(node))
      continue;
    for (int i = 0; i < node->input_size(); ++i) {
      std::string name = node->input(i);
      for (size_t hops = 0; identityInput.count(name) && hops < 64; ++hops)
        name = identityInput[name];
      if (trainableWeights.count(name))
        ++readers[{name, node->op_type()}][i];
    }
  }
  for (const auto &[weightAndOp, byInput] : readers)
    for (const auto &[input, count] : byInput)
      if (count > 1)
        notes.push_back(
            displayName + ": initializer '" + printable(weightAndOp.first) +
            "' is input " + std::to_string(input) + " of " +
            std::to_string(count) + " " + weightAndOp.second +
            " nodes, which train it as one parameter; if the model had one "
            "each, the exporter merged equal values (docs/onnx.md)");
}

rt::Expected<ImportedModel> Importer::run(const std::string &modelName) {
  declareInputs();
  declareInitializers();
  for (const NodeProto *node : onnx.order)
    translateNode(*node);
  noteNodesOfTracedBatch();
  noteSharedWeights();
  for (const NodeProto *node : translation.nodesWithFixedStatistics)
    notes.push_back(nodeLabel(*node, onnx) +
                    ": momentum 1 keeps the running statistics as exported "
                    "(batch_norm momentum=0); PyTorch exports its "
                    "momentum=None, a cumulative average, that way, which "
                    "nnc does not have");
  declareOutputs();
  if (onnx.graph().output_size() == 0)
    problem("the graph has no outputs");
  if (!problems.empty()) {
    std::string message;
    for (const std::string &line : problems)
      message += (message.empty() ? "" : "\n") + line;
    return rt::Error::failure(message);
  }
  ImportedModel model;
  model.source = translation.source(modelName, inputLines, outputLines);
  model.weights = translation.takeWeights();
  model.opset = onnx.opset;
  model.nodeCount = onnx.order.size();
  model.externalFiles = onnx.externalFiles;
  model.notes = std::move(notes);
  return model;
}

/// The model's name in the program: the file's stem, which says more
/// than exporters' graph names ("torch_jit", "main_graph").
std::string modelNameFor(const std::string &displayName) {
  std::string stem = displayName;
  size_t slash = stem.find_last_of('/');
  if (slash != std::string::npos)
    stem = stem.substr(slash + 1);
  size_t dot = stem.find('.');
  if (dot != std::string::npos && dot > 0)
    stem.resize(dot);
  return sanitizeName(stem);
}

rt::Expected<ImportedModel> importLoaded(const std::string &bytes,
                                         const std::string &displayName,
                                         const std::string &folder,
                                         const ImportOptions &options) {
  rt::Expected<OnnxGraph> graph = loadOnnxGraph(bytes, displayName, folder);
  if (!graph.ok())
    return rt::Error::failure(printable(graph.message()));
  Importer importer(*graph, displayName, options);
  return importer.run(modelNameFor(displayName));
}

} // namespace

bool isOnnxPath(const std::string &path) {
  const std::string extension = ".onnx";
  return path.size() > extension.size() &&
         path.compare(path.size() - extension.size(), extension.size(),
                      extension) == 0;
}

rt::Expected<ImportedModel> importOnnxFile(const std::string &path,
                                           const ImportOptions &options) {
  rt::Expected<rt::InputFile> file = rt::InputFile::open(path);
  if (!file.ok())
    return file.takeError();
  // Protobuf refuses messages over 2 GiB; larger weights live in external
  // data files.
  rt::Expected<std::string> bytes = file->readAll(uint64_t(2) << 30);
  if (!bytes.ok())
    return bytes.takeError();
  return importLoaded(*bytes, path, rt::parentDirectory(path), options);
}

rt::Expected<ImportedModel> importOnnxBytes(const std::string &bytes,
                                            const std::string &displayName,
                                            const ImportOptions &options) {
  return importLoaded(bytes, displayName, "", options);
}

} // namespace nnc::onnx
