//===- AST.h - Syntax tree of the nnc model language ------------*- C++ -*-===//
//
// What the parser builds and semantic analysis reads: the program as
// written, before names are resolved, layers expanded or `repeat` unrolled.
// It knows nothing of MLIR, of shapes or of the op table.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_FRONTEND_AST_H
#define NNC_FRONTEND_AST_H

#include "frontend/Program.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nnc::frontend::ast {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

/// One argument of a call: `value` or `keyword=value`.
struct CallArg {
  std::string keyword; ///< Empty for a positional argument.
  SourceLoc keywordLoc;
  ExprPtr value;
};

/// An expression. One struct for every kind keeps the tree free of RTTI;
/// each kind documents the fields it uses.
struct Expr {
  enum class Kind {
    Int,    ///< intValue
    Float,  ///< floatValue
    Bool,   ///< boolValue
    String, ///< name holds the contents
    Name,   ///< name
    Call,   ///< name is the callee, args
    Neg,    ///< operands[0]
    Binary, ///< op is one of + - * / @, operands[0] and operands[1]
    List,   ///< operands are the elements
  };
  Kind kind = Kind::Int;
  SourceLoc loc; ///< The token that names the expression (an operator's
                 ///< position for Binary and Neg).
  int64_t intValue = 0;
  double floatValue = 0;
  bool boolValue = false;
  char op = 0;
  std::string name;
  std::vector<ExprPtr> operands;
  std::vector<CallArg> args;
  /// Height of this subtree (a leaf is 1). The parser bounds it, so every
  /// recursive walk over an expression is bounded too.
  unsigned height = 1;
};

/// A dimension of a declared tensor type: an integer or a name (the batch
/// symbol of an input, or an integer layer parameter).
struct Dim {
  bool isName = false;
  int64_t value = 0;
  std::string name;
  SourceLoc loc;
};

struct TypeExpr {
  DType dtype = DType::F32;
  SourceLoc loc;
  std::vector<Dim> dims;
};

/// `glorot`, `uniform(-0.1, 0.1, seed=3)`, ...
struct InitializerExpr {
  std::string name;
  SourceLoc loc;
  std::vector<CallArg> args;
};

/// A statement of the top level, a layer body or a `repeat` body.
struct Stmt {
  enum class Kind {
    Model,  ///< name
    Input,  ///< name, type
    Param,  ///< name, type, init (optional)
    Buffer, ///< name, type, init (optional)
    Let,    ///< name, value
    Repeat, ///< count or countName, body
    Output, ///< name, value (null for `output NAME`)
    Loss,   ///< value
    Return, ///< value
  };
  Kind kind = Kind::Let;
  SourceLoc loc; ///< The keyword.
  std::string name;
  SourceLoc nameLoc;
  TypeExpr type;
  std::unique_ptr<InitializerExpr> init;
  ExprPtr value;
  int64_t count = 0;
  std::string countName; ///< `repeat n { }` with an integer layer parameter.
  SourceLoc countLoc;
  std::vector<Stmt> body;
};

/// A layer's formal parameter: `x`, `n: int`, `w: tensor`, `s: float`.
struct LayerParam {
  enum class Kind { Any, Tensor, Int, Float };
  std::string name;
  SourceLoc loc;
  Kind kind = Kind::Any;
};

struct LayerDecl {
  std::string name;
  SourceLoc loc; ///< The name.
  std::vector<LayerParam> params;
  std::vector<Stmt> body;
};

/// `freeze a.*, b` patterns and `key = value` settings of `train { }`.
struct TrainItem {
  bool isFreeze = false;
  std::string key; ///< For a setting.
  SourceLoc loc;
  ExprPtr value;                     ///< For a setting.
  std::vector<std::string> patterns; ///< For freeze.
  std::vector<SourceLoc> patternLocs;
};

struct TrainBlock {
  SourceLoc loc;
  std::vector<TrainItem> items;
};

/// A whole source file. Layers are hoisted: a layer can be called before
/// its declaration.
struct Module {
  std::vector<Stmt> statements;
  std::vector<LayerDecl> layers;
  std::vector<TrainBlock> trainBlocks;
};

} // namespace nnc::frontend::ast

#endif // NNC_FRONTEND_AST_H
