//===- Translation.h - One ONNX graph's translation state -------*- C++ -*-===//
//
// What the importer knows about every ONNX value while it walks the nodes
// in order, and the .nn text it has written so far.
//
// A value is either known at import time (a `Constant`: a Constant node,
// an integer initializer, a shape, anything computed from those alone) or
// a tensor of the generated program (a graph input, a float initializer
// declared as `param`, a `let`). Shape arithmetic, which PyTorch exports as
// Shape -> Gather -> Unsqueeze -> Concat chains, is folded on constants whose
// entries may stand for the symbolic batch size.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_ONNX_TRANSLATION_H
#define NNC_ONNX_TRANSLATION_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace nnc::onnx {

using ::onnx::NodeProto;

/// Element types the importer tracks; Bool exists only in constants.
enum class ElemType { F32, F64, I32, I64, Bool };

/// The .nn spelling of `type` ("f32"); Bool has none.
const char *dslTypeName(ElemType type);
bool isFloat(ElemType type);

/// Extents of a shape; kBatch stands for the symbolic batch dimension.
using Dims = std::vector<int64_t>;
inline constexpr int64_t kBatch = -1;

/// "[B, 8, 16]".
std::string formatDims(const Dims &dims);
/// Product of the static extents; the batch symbol counts as 1.
int64_t staticElementCount(const Dims &dims);
/// Whether the static extents of `dims` (non-negative) multiply to at most
/// `limit`, computed without overflow; the batch symbol and extents of 0
/// count as 1, so that the strides of an empty shape are bounded too.
bool fitsElementLimit(const Dims &dims, int64_t limit);
/// Why a constant holding Shape's batch entry cannot be read as numbers:
/// the entry stands for the batch size, which nnc knows only as the batch
/// axis of a shape (Reshape, Expand), and reads as 0.
inline constexpr const char *kBatchAsNumber =
    "it is computed from the batch size, which nnc can use only as the "
    "batch axis of a shape, not as an index or a count";

/// The most elements a tensor of the language holds.
inline constexpr int64_t kMaxTensorElements = int64_t(1) << 40;
bool hasBatch(const Dims &dims);

/// A tensor whose elements are known at import time.
struct Constant {
  ElemType type = ElemType::F32;
  Dims shape;
  /// Elements, row-major: in `reals` for float types, in `ints` otherwise.
  std::vector<double> reals;
  std::vector<int64_t> ints;
  /// Integer constants only: the entries that stand for the batch size
  /// (they come from a Shape of a batched tensor); empty when none do.
  std::vector<bool> batchEntries;

  size_t size() const;
  bool isBatchEntry(size_t i) const {
    return i < batchEntries.size() && batchEntries[i];
  }
  bool anyBatchEntry() const;
  /// Element `i` as a number.
  double number(size_t i) const;
  /// Element `i` of an integer constant; reals are truncated toward zero,
  /// saturate at the limits of int64, and read as 0 when NaN.
  int64_t integer(size_t i) const;
};

/// What the importer knows about one ONNX value.
struct Value {
  enum class Kind { Constant, Tensor };
  Kind kind = Kind::Tensor;
  ElemType type = ElemType::F32;
  /// Tensor: its shape in the program. Constant: `constant.shape`.
  Dims shape;
  /// Tensor: its name in the program.
  std::string name;
  Constant constant;

  bool isConstant() const { return kind == Kind::Constant; }
};

/// A node's attributes, remembering which the translation read: one that
/// was never read is an attribute nnc does not support.
class Attributes {
public:
  explicit Attributes(const NodeProto &node);

  bool has(const std::string &name) const;
  int64_t getInt(const std::string &name, int64_t fallback);
  double getFloat(const std::string &name, double fallback);
  std::vector<int64_t> getInts(const std::string &name,
                               std::vector<int64_t> fallback = {});
  std::string getString(const std::string &name, std::string fallback);
  const ::onnx::TensorProto *getTensor(const std::string &name);
  /// Marks `name` as handled without reading it (an attribute whose every
  /// value means the same to nnc).
  void ignore(const std::string &name) { used.insert(name); }

  /// Names of attributes present but never read.
  std::vector<std::string> unread() const;

private:
  const ::onnx::AttributeProto *find(const std::string &name);
  const NodeProto &node;
  std::set<std::string> used;
};

/// A failure of one node: the driver prefixes the node's name, op type
/// and opset.
using NodeError = rt::Error;
inline NodeError unsupported(std::string reason) {
  return rt::Error::failure(std::move(reason));
}

class Translation {
public:
  explicit Translation(int64_t opset) : opset(opset) {}

  /// The fixed first extent the graph's inputs were exported with, which
  /// the program reads as the batch (ImportOptions::firstAxisIsBatch); 0
  /// when the inputs' batch axis is dynamic or there is none.
  int64_t tracedBatch = 0;
  /// The Reshape and Expand nodes whose leading tracedBatch was read as
  /// the batch, for the import's note: the N might have been another
  /// extent.
  std::vector<const ::onnx::NodeProto *> nodesOfTracedBatch;
  /// The BatchNormalization nodes with momentum 1, whose running statistics
  /// training never moves, for the import's note: PyTorch exports its
  /// momentum=None (a cumulative average) that way.
  std::vector<const ::onnx::NodeProto *> nodesWithFixedStatistics;

  const int64_t opset;

  /// The value named `onnxName`; null when it is unknown (an input the
  /// node leaves out is the empty name, which is never known).
  const Value *find(const std::string &onnxName) const;
  void bindConstant(const std::string &onnxName, Constant constant);
  void bindTensor(const std::string &onnxName, ElemType type, Dims shape,
                  std::string dslName);
  /// `onnxName` is another name for `value` (Identity, Dropout).
  void alias(const std::string &onnxName, const Value &value);

  /// A fresh program name derived from the ONNX name `hint`.
  std::string freshName(const std::string &hint);

  /// Declarations and statements of the program, in order of writing.
  void declare(const std::string &line) { declarations.push_back(line); }
  /// Writes `let NAME = EXPR  # NODE (OP)` for `node`'s output `output`
  /// and binds that output to the new name.
  /// `what` replaces the op type in the comment (a fused pattern's name).
  void let(const NodeProto &node, size_t output, const std::string &expression,
           ElemType type, Dims shape, const std::string &what = "");

  /// How `value` appears as an operand: its name, a number literal for a
  /// one-element constant when `literalAllowed`, or a `buffer` declared
  /// for it on first use.
  rt::Expected<std::string> operand(const Value &value, bool literalAllowed);

  /// Declares the float initializer `onnxName` (a trainable `param`, or
  /// a `buffer` when `asBuffer`) and binds it.
  rt::Error declareWeight(const ::onnx::TensorProto &tensor, bool asBuffer);

  /// Marks initializers used as batch-norm statistics, which become
  /// `buffer`s rather than trainable parameters.
  std::set<std::string> bufferInitializers;

  /// The finished program's text.
  std::string source(const std::string &modelName,
                     const std::vector<std::string> &inputLines,
                     const std::vector<std::string> &outputLines) const;

  std::vector<std::pair<std::string, rt::Tensor>> takeWeights() {
    return std::move(weights);
  }

private:
  std::map<std::string, Value> values;
  std::set<std::string> usedNames;
  std::vector<std::string> declarations;
  std::vector<std::string> statements;
  std::vector<std::pair<std::string, rt::Tensor>> weights;
  /// Constants already declared as buffers, by the ONNX value's name.
  std::map<const Value *, std::string> declaredConstants;
};

/// The shortest literal that reads back as `value` in f64 (an attribute
/// such as eps), in parentheses when negative; nullopt for an infinity or
/// NaN, which the language cannot write.
std::optional<std::string> numberLiteral(double value);

/// `text` with every byte outside printable ASCII as `?`: ONNX names are
/// arbitrary bytes, and they go into comments of the program (which must
/// stay one line of valid text) and into one-line messages.
std::string printable(const std::string &text);

/// The program identifier for the ONNX name `name`: characters outside
/// [A-Za-z0-9_] become `_`, a leading digit gets a `v_` prefix, and a
/// keyword gets a `_` suffix.
std::string sanitizeName(const std::string &name);

/// Reads an ONNX tensor (an initializer or a Constant's value) as a
/// constant. Fails on a dtype the importer does not handle.
rt::Expected<Constant> constantFromTensor(const ::onnx::TensorProto &tensor);

/// The element type of an ONNX dtype code, if the importer handles it.
std::optional<ElemType> elemTypeOf(int32_t onnxDataType);

} // namespace nnc::onnx

#endif // NNC_ONNX_TRANSLATION_H
