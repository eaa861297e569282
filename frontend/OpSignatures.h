//===- OpSignatures.h - The op table of the model language ------*- C++ -*-===//
//
// For each op callable from the DSL: the nn dialect mnemonic, how many
// tensor operands it takes, its keyword attributes with their types and
// defaults, and the rule that checks operand dtypes and computes result
// types. Shapes always come from ir/ShapeRules.h; this file only picks the
// right rule and feeds it the attributes.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_FRONTEND_OPSIGNATURES_H
#define NNC_FRONTEND_OPSIGNATURES_H

#include "frontend/Program.h"

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace nnc::frontend {

/// How an attribute is written and stored.
enum class AttrKind {
  Int,     ///< int64_t
  Float,   ///< double; an integer is accepted
  Bool,    ///< bool
  IntList, ///< std::vector<int64_t>; one integer means a list of one
  IntPair, ///< std::vector<int64_t> of 2; one integer N means [N, N]
};

/// One keyword attribute. Defaults: a number for Int, Float and Bool
/// (non-zero is true), both entries for IntPair, the empty list for
/// IntList; or a copy of another attribute (`stride` defaults to `kernel`).
struct AttrSpec {
  const char *name;
  AttrKind kind;
  bool required = false;
  double defaultNumber = 0;
  const char *defaultFrom = nullptr;
  /// An Int or Float given in the call must be above 0 (an eps).
  bool positive = false;
};

/// The operands and complete attributes (defaults applied) of one call.
struct OpCall {
  std::vector<TensorType> operands;
  std::map<std::string, AttrValue> attrs;
};

/// Result types, or an error message without the op's name (the caller
/// prefixes "NAME: ").
struct OpResult {
  std::vector<TensorType> results;
  std::string error;
};

/// Checks dtypes and computes result types; may normalise attributes in
/// place (slice fills in its default steps).
using OpRuleFn = OpResult (*)(OpCall &call);

struct OpSignature {
  const char *name;     ///< As called in the DSL.
  const char *mnemonic; ///< The nn dialect op ("embedding" is "gather").
  unsigned minOperands;
  unsigned maxOperands; ///< kVariadic for concat.
  const AttrSpec *attrs;
  size_t numAttrs;
  OpRuleFn rule;
  /// Attributes the node gets that the DSL call cannot set (embedding's
  /// axis=0); Int only.
  const char *fixedIntAttr = nullptr;
  int64_t fixedIntValue = 0;
};

constexpr unsigned kVariadic = ~0u;

/// Looks up an op by its DSL name; null when there is none.
const OpSignature *lookupOp(const std::string &name);

/// The mnemonic of the op behind an infix operator: + - * / @.
const OpSignature *lookupInfixOp(char op);

/// Names of the attributes of `sig`, comma-separated, for messages.
std::string listAttributes(const OpSignature &sig);

} // namespace nnc::frontend

#endif // NNC_FRONTEND_OPSIGNATURES_H
