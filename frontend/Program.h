//===- Program.h - A checked, fully elaborated DSL program ------*- C++ -*-===//
//
// What semantic analysis hands to IR generation: every layer call expanded,
// every `repeat` unrolled, every name resolved, every node typed. It knows
// nothing of MLIR; MLIRGen.cpp is the one bridge between the two.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_FRONTEND_PROGRAM_H
#define NNC_FRONTEND_PROGRAM_H

#include "ir/ShapeRules.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace nnc::frontend {

/// A position in a source file; line and column count from 1.
struct SourceLoc {
  uint32_t line = 0;
  uint32_t col = 0;
};

/// Where a node came from: its own position first, then the position of each
/// layer call it was expanded through, innermost call first.
struct NodeLoc {
  SourceLoc loc;
  std::vector<SourceLoc> callers;
  /// The layer instance the node was made in ("block_3", "outer_0.inner_1",
  /// the prefix of its params' names); empty at the top level. Twenty
  /// calls of one layer share its lines; this tells them apart.
  std::string instance;
};

enum class DType { F32, F64, I32, I64 };

/// The DSL spelling: "f32", "f64", "i32", "i64".
const char *toString(DType dtype);
inline bool isFloat(DType dtype) {
  return dtype == DType::F32 || dtype == DType::F64;
}

struct TensorType {
  DType dtype = DType::F32;
  shape::Shape shape; ///< shape::kDynamic marks the batch dimension.
};

/// A keyword attribute's value after defaults and checks were applied.
using AttrValue = std::variant<int64_t, double, bool, std::string,
                               std::vector<int64_t>, std::vector<double>>;

/// How a parameter gets its first value.
struct Initializer {
  std::string kind = "zeros"; ///< zeros|ones|constant|uniform|normal|glorot|he
  std::map<std::string, double> args; ///< e.g. value, low, high, mean, std
  int64_t seed = 0;
  /// kind "imported": the values themselves, row-major in the argument's
  /// dtype, as a model imported from another format (ONNX) brings them.
  std::shared_ptr<const std::string> values;
  /// Whether the source names the initializer (`= he`) rather than leaving
  /// the default zeros.
  bool written = false;
};

/// A value a graph reads: an input fed by the user, a trainable parameter,
/// or a buffer (non-trainable state such as batch-norm running statistics).
struct Argument {
  enum class Role { Input, Param, Buffer };
  Role role = Role::Input;
  std::string name; ///< Fully qualified: "block_3.w1" for a layer's param.
  TensorType type;
  Initializer init; ///< Meaningful for Param and Buffer.
  bool frozen = false;
  NodeLoc loc;
};

/// A value id: either an argument (index into Program::arguments) or a
/// result of a node.
struct ValueRef {
  enum class Kind { Argument, NodeResult };
  Kind kind = Kind::Argument;
  uint32_t index = 0;  ///< Argument index or node index.
  uint32_t result = 0; ///< Result number for NodeResult.
};

/// One op application. `op` is the nn dialect op's mnemonic ("matmul",
/// "conv2d", "constant", ...); attribute names equal the dialect's.
struct Node {
  std::string op;
  std::vector<ValueRef> operands;
  std::map<std::string, AttrValue> attrs;
  std::vector<TensorType> results;
  /// For "constant": the values in row-major order (size = element count),
  /// in `constantFloats` for a float result and in `constantInts` for an
  /// integer one, which keeps them exact (a double holds no i64 past 2^53).
  std::vector<double> constantFloats;
  std::vector<int64_t> constantInts;
  NodeLoc loc;
};

/// A named graph result.
struct Output {
  std::string name;
  ValueRef value;
  NodeLoc loc;
};

/// The `train { ... }` section; absent keys keep their defaults.
struct TrainingConfig {
  bool present = false;
  std::string optimizer = "sgd";
  std::map<std::string, double> hyper; ///< lr, momentum, beta1, ...
  /// The hyperparameters the section wrote; `hyper` adds the defaults.
  std::map<std::string, double> hyperGiven;
  std::map<std::string, AttrValue> settings; ///< epochs, batch, ...
  std::vector<std::string> frozenPatterns; ///< As written, globs allowed.
  NodeLoc loc;
};

/// A whole checked model. Nodes are in a valid topological order.
struct Program {
  std::string modelName;
  std::string fileName;
  std::string batchSymbol; ///< Empty when no input has a symbolic dim.
  std::vector<Argument> arguments;
  std::vector<Node> nodes;
  std::vector<Output> outputs;
  bool hasLoss = false;
  Output loss;
  TrainingConfig training;

  const TensorType &typeOf(ValueRef v) const {
    return v.kind == ValueRef::Kind::Argument ? arguments[v.index].type
                                              : nodes[v.index].results[v.result];
  }
};

} // namespace nnc::frontend

#endif // NNC_FRONTEND_PROGRAM_H
