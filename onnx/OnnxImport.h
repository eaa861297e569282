//===- OnnxImport.h - An ONNX model as .nn source and weights ---*- C++ -*-===//
//
// The ONNX importer translates a model exported from another framework into
// the model language: a readable .nn source that the user may edit (cut the
// head off, freeze the backbone) and the values of its initializers. The
// rest of nnc never sees ONNX: everything downstream compiles, trains and
// serializes the generated source as if the user had written it.
//
// The interface is free of ONNX and protobuf headers, so that the tools
// including it need neither.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_ONNX_ONNXIMPORT_H
#define NNC_ONNX_ONNXIMPORT_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <string>
#include <utility>
#include <vector>

namespace nnc::onnx {

/// A model translated into the model language.
struct ImportedModel {
  /// The .nn source: declarations, one `let` per ONNX node (with the node's
  /// name in a comment), and the graph's outputs.
  std::string source;
  /// The value of every `param` and `buffer` the source declares, by its
  /// name in the source.
  std::vector<std::pair<std::string, rt::Tensor>> weights;
  /// The ONNX opset of the default domain the model was exported with.
  int64_t opset = 0;
  /// How many ONNX nodes the source came from.
  size_t nodeCount = 0;
  /// One line per choice the user should know of (each rank-0 float
  /// initializer, which becomes a constant rather than a trainable param).
  std::vector<std::string> notes;
  /// The external data files the model's weights were read from.
  std::vector<std::string> externalFiles;
};

/// Choices about a translation that the model file cannot make.
struct ImportOptions {
  /// Take the first axis of every graph input as the batch, as a dynamic
  /// first axis (PyTorch's `dynamic_axes`) would be. A model exported at a
  /// fixed batch size N runs as it is but has no batch to train over; with
  /// this, its inputs get the batch instead: those with a fixed first
  /// extent must all have N there, a dynamic one is the batch anyway, and
  /// a scalar input stays one tensor for every batch. A Reshape whose
  /// constant target starts with N, which is how the exporter folds
  /// `x.view(x.size(0), -1)` at a fixed size, keeps the batch there, an
  /// Expand to a constant [N, ...] over an axis of 1 (a class token's
  /// `expand(x.size(0), -1, -1)`) expands over the batch, and the import
  /// notes the nodes it read that way.
  bool firstAxisIsBatch = false;
};

/// Reads, checks and translates the ONNX model at `path`. External data
/// files are read relative to the model's folder.
///
/// A file that cannot be read or parsed, that ONNX's checker rejects, or
/// whose graph has a cycle, fails with one line. Nodes that cannot be
/// translated are reported all together: the error holds one line per
/// node, each with the node's name, op type and opset.
rt::Expected<ImportedModel> importOnnxFile(const std::string &path,
                                           const ImportOptions &options = {});

/// The same from the bytes of a model held in memory (the fuzzer's entry).
/// `displayName` starts every message; external data is not available.
rt::Expected<ImportedModel> importOnnxBytes(const std::string &bytes,
                                            const std::string &displayName,
                                            const ImportOptions &options = {});

/// True when `path` names an ONNX model by its extension, which is how the
/// commands that take a model tell ONNX from the model language.
bool isOnnxPath(const std::string &path);

} // namespace nnc::onnx

#endif // NNC_ONNX_ONNXIMPORT_H
