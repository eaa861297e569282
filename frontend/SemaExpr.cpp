//===- SemaExpr.cpp - Expressions, op calls and constants -----------------===//

#include "frontend/Sema.h"

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

namespace nnc::frontend {

using ast::Expr;

namespace {

std::string formatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

/// A float as the source would write it: `2.0`, not `2`, which reads as
/// an integer.
std::string formatFloat(double v) {
  std::string text = formatNumber(v);
  if (text.find_first_of(".einf") == std::string::npos)
    text += ".0";
  return text;
}

} // namespace

std::string Sema::describe(const Value &value) {
  switch (value.kind) {
  case Value::Kind::Poison:
    return "an invalid value";
  case Value::Kind::Tensor:
    return "a tensor";
  case Value::Kind::Int:
    return "the integer " + std::to_string(value.intValue);
  case Value::Kind::Float:
    return "the number " + formatFloat(value.floatValue);
  case Value::Kind::Bool:
    return "a boolean";
  case Value::Kind::String:
    return "a string";
  case Value::Kind::List:
    return "a list";
  }
  return "a value";
}

namespace {
bool isNumber(const Sema::Value &value) {
  return value.kind == Sema::Value::Kind::Int ||
         value.kind == Sema::Value::Kind::Float;
}
double numberOf(const Sema::Value &value) {
  return value.kind == Sema::Value::Kind::Int
             ? static_cast<double>(value.intValue)
             : value.floatValue;
}
} // namespace

std::optional<ValueRef> Sema::addNode(std::string op,
                                      std::vector<ValueRef> operands,
                                      std::map<std::string, AttrValue> attrs,
                                      std::vector<TensorType> results,
                                      SourceLoc loc, const Frame &frame) {
  // A node costs its operands and list attributes too: a concat of 5000
  // operands in a repeat costs 5000 units an iteration, not one.
  uint64_t units = 1 + operands.size();
  for (const auto &[name, attr] : attrs) {
    if (const auto *ints = std::get_if<std::vector<int64_t>>(&attr))
      units += ints->size();
    else if (const auto *floats = std::get_if<std::vector<double>>(&attr))
      units += floats->size();
  }
  if (!charge(frame, loc, units))
    return std::nullopt;
  Node node;
  node.op = std::move(op);
  node.operands = std::move(operands);
  node.attrs = std::move(attrs);
  node.results = std::move(results);
  node.loc = nodeLoc(frame, loc);
  program.nodes.push_back(std::move(node));
  return ValueRef{ValueRef::Kind::NodeResult,
                  static_cast<uint32_t>(program.nodes.size() - 1), 0};
}

std::optional<ValueRef> Sema::materialize(const Value &value, DType dtype,
                                          SourceLoc loc, Frame &frame) {
  double v = numberOf(value);
  if (!isFloat(dtype)) {
    if (value.kind != Value::Kind::Int) {
      error(frame, loc,
            "the number " + formatFloat(v) + " cannot be used with an " +
                toString(dtype) + " tensor (only integers can)");
      return std::nullopt;
    }
    if (dtype == DType::I32 &&
        (value.intValue < INT32_MIN || value.intValue > INT32_MAX)) {
      error(frame, loc,
            "the integer " + std::to_string(value.intValue) +
                " does not fit in i32");
      return std::nullopt;
    }
  } else if (dtype == DType::F32 && std::fabs(v) > FLT_MAX) {
    error(frame, loc, "the number " + formatNumber(v) + " does not fit in f32");
    return std::nullopt;
  }
  std::optional<ValueRef> ref =
      addNode("constant", {}, {}, {TensorType{dtype, {}}}, loc, frame);
  if (!ref)
    return ref;
  if (isFloat(dtype))
    program.nodes.back().constantFloats = {v};
  else
    program.nodes.back().constantInts = {value.intValue};
  return ref;
}

std::optional<ValueRef> Sema::asTensor(const Value &value, DType numberDType,
                                       SourceLoc loc, const char *what,
                                       Frame &frame) {
  if (value.kind == Value::Kind::Tensor)
    return value.ref;
  if (isNumber(value))
    return materialize(value, numberDType, loc, frame);
  if (value.kind != Value::Kind::Poison)
    error(frame, loc,
          std::string(what) + " must be a tensor, got " + describe(value));
  return std::nullopt;
}

Sema::Value Sema::eval(const Expr &expr, Frame &frame) {
  if (evalDepth >= limits.maxEvaluationDepth) {
    error(frame, expr.loc,
          "expressions nest too deeply through layer calls (the limit is " +
              std::to_string(limits.maxEvaluationDepth) +
              " at once, counting every enclosing call's expression)");
    return {};
  }
  struct Nested {
    unsigned &depth;
    explicit Nested(unsigned &depth) : depth(depth) { ++depth; }
    ~Nested() { --depth; }
  } nested(evalDepth);
  Value value;
  switch (expr.kind) {
  case Expr::Kind::Int:
    value.kind = Value::Kind::Int;
    value.intValue = expr.intValue;
    return value;
  case Expr::Kind::Float:
    value.kind = Value::Kind::Float;
    value.floatValue = expr.floatValue;
    return value;
  case Expr::Kind::Bool:
    value.kind = Value::Kind::Bool;
    value.boolValue = expr.boolValue;
    return value;
  case Expr::Kind::String:
    value.kind = Value::Kind::String;
    value.stringValue = expr.name;
    return value;
  case Expr::Kind::Name:
    return evalName(expr, frame);
  case Expr::Kind::Call:
    return evalCall(expr, frame);
  case Expr::Kind::Neg:
    return evalNeg(expr, frame);
  case Expr::Kind::Binary:
    return evalBinary(expr, frame);
  case Expr::Kind::List:
    value.kind = Value::Kind::List;
    for (const ast::ExprPtr &element : expr.operands) {
      Value v = eval(*element, frame);
      if (v.kind == Value::Kind::Poison)
        return {};
      value.list.push_back(std::move(v));
    }
    return value;
  }
  return value;
}

Sema::Value Sema::evalName(const Expr &expr, Frame &frame) {
  auto it = frame.names.find(expr.name);
  if (it != frame.names.end()) {
    if (it->second.kind == Value::Kind::Poison)
      reportOwnUse(expr.name, expr.loc, frame);
    return it->second;
  }
  if (layers.count(expr.name))
    error(frame, expr.loc,
          "'" + expr.name + "' is a layer; call it with arguments");
  else if (lookupOp(expr.name))
    error(frame, expr.loc,
          "'" + expr.name + "' is an op; call it with arguments");
  else
    error(frame, expr.loc, "unknown name '" + expr.name + "'");
  return {};
}

Sema::Value Sema::evalNeg(const Expr &expr, Frame &frame) {
  Value operand = eval(*expr.operands[0], frame);
  switch (operand.kind) {
  case Value::Kind::Poison:
    return operand;
  case Value::Kind::Int:
    if (operand.intValue == INT64_MIN) {
      error(frame, expr.loc, "integer overflow in a constant expression");
      return {};
    }
    operand.intValue = -operand.intValue;
    return operand;
  case Value::Kind::Float:
    operand.floatValue = -operand.floatValue;
    return operand;
  case Value::Kind::Tensor: {
    std::vector<Value> operands{operand};
    return applyOp(*lookupOp("neg"), std::move(operands),
                   {expr.operands[0]->loc}, {}, expr.loc, frame);
  }
  default:
    error(frame, expr.loc, "cannot negate " + describe(operand));
    return {};
  }
}

Sema::Value Sema::evalBinary(const Expr &expr, Frame &frame) {
  Value lhs = eval(*expr.operands[0], frame);
  Value rhs = eval(*expr.operands[1], frame);
  if (lhs.kind == Value::Kind::Poison || rhs.kind == Value::Kind::Poison)
    return {};
  const OpSignature &sig = *lookupInfixOp(expr.op);
  std::string opText(1, expr.op);

  if (isNumber(lhs) && isNumber(rhs)) {
    // Compile-time arithmetic, so that `n * 2` can size a parameter.
    Value result;
    if (expr.op == '@') {
      error(frame, expr.loc, "matmul: operands must be tensors, got numbers");
      return {};
    }
    if (lhs.kind == Value::Kind::Int && rhs.kind == Value::Kind::Int &&
        expr.op != '/') {
      int64_t out = 0;
      bool overflow =
          expr.op == '+'
              ? __builtin_add_overflow(lhs.intValue, rhs.intValue, &out)
          : expr.op == '-'
              ? __builtin_sub_overflow(lhs.intValue, rhs.intValue, &out)
              : __builtin_mul_overflow(lhs.intValue, rhs.intValue, &out);
      if (overflow) {
        error(frame, expr.loc, "integer overflow in a constant expression");
        return {};
      }
      result.kind = Value::Kind::Int;
      result.intValue = out;
      return result;
    }
    double a = numberOf(lhs), b = numberOf(rhs);
    if (expr.op == '/' && b == 0) {
      error(frame, expr.loc, "division by zero in a constant expression");
      return {};
    }
    double out = expr.op == '+'   ? a + b
                 : expr.op == '-' ? a - b
                 : expr.op == '*' ? a * b
                                  : a / b;
    if (!std::isfinite(out)) {
      error(frame, expr.loc, "a constant expression overflows");
      return {};
    }
    result.kind = Value::Kind::Float;
    result.floatValue = out;
    return result;
  }

  for (const Value *side : {&lhs, &rhs}) {
    if (side->kind != Value::Kind::Tensor && !isNumber(*side)) {
      error(frame, expr.loc,
            "'" + opText + "' needs tensors or numbers, got " +
                describe(*side));
      return {};
    }
  }
  std::vector<Value> operands{std::move(lhs), std::move(rhs)};
  return applyOp(sig, std::move(operands),
                 {expr.operands[0]->loc, expr.operands[1]->loc}, {}, expr.loc,
                 frame);
}

Sema::Value Sema::evalCall(const Expr &expr, Frame &frame) {
  auto layerIt = layers.find(expr.name);
  if (layerIt != layers.end())
    return callLayer(*layerIt->second, expr, frame);

  const OpSignature *sig = lookupOp(expr.name);
  if (!sig) {
    error(frame, expr.loc, "unknown op or layer '" + expr.name + "'");
    return {};
  }
  std::vector<Value> operands;
  std::vector<SourceLoc> operandLocs;
  std::vector<std::pair<const ast::CallArg *, Value>> keywordArgs;
  bool ok = true;
  for (const ast::CallArg &arg : expr.args) {
    Value value = eval(*arg.value, frame);
    if (value.kind == Value::Kind::Poison)
      ok = false;
    if (arg.keyword.empty()) {
      operandLocs.push_back(arg.value->loc);
      operands.push_back(std::move(value));
    } else {
      keywordArgs.emplace_back(&arg, std::move(value));
    }
  }
  if (!ok)
    return {};
  // A list or flag passed positionally is almost always a missing
  // `name=`; say so before counting operands.
  for (size_t i = 0; i < operands.size(); ++i) {
    if (operands[i].kind != Value::Kind::Tensor && !isNumber(operands[i])) {
      error(frame, operandLocs[i],
            std::string(sig->name) + ": operand " + std::to_string(i + 1) +
                " must be a tensor, got " + describe(operands[i]) +
                " (attributes are passed by name, as in axis=1)");
      return {};
    }
  }

  size_t n = operands.size();
  if (n < sig->minOperands || n > sig->maxOperands) {
    std::string expected = sig->maxOperands == kVariadic
                               ? "at least " + std::to_string(sig->minOperands)
                           : sig->minOperands == sig->maxOperands
                               ? std::to_string(sig->minOperands)
                               : std::to_string(sig->minOperands) + " or " +
                                     std::to_string(sig->maxOperands);
    bool plural = expected != "1" && expected != "at least 1";
    error(frame, expr.loc,
          std::string(sig->name) + ": expected " + expected + " operand" +
              (plural ? "s" : "") + ", got " + std::to_string(n));
    return {};
  }
  std::map<std::string, AttrValue> attrs;
  if (!convertAttrs(*sig, expr, keywordArgs, attrs, frame))
    return {};
  return applyOp(*sig, std::move(operands), std::move(operandLocs),
                 std::move(attrs), expr.loc, frame);
}

bool Sema::convertAttrs(
    const OpSignature &sig, const Expr &call,
    const std::vector<std::pair<const ast::CallArg *, Value>> &keywordArgs,
    std::map<std::string, AttrValue> &attrs, Frame &frame) {
  bool ok = true;
  std::string name = sig.name;
  // Attributes given but of the wrong kind: reported once, not again as
  // missing.
  std::set<std::string> refused;
  for (const auto &[arg, value] : keywordArgs) {
    const AttrSpec *spec = nullptr;
    for (size_t i = 0; i < sig.numAttrs; ++i)
      if (arg->keyword == sig.attrs[i].name)
        spec = &sig.attrs[i];
    if (!spec) {
      error(frame, arg->keywordLoc,
            sig.numAttrs == 0
                ? name + ": takes no attributes, got '" + arg->keyword + "'"
                : name + ": unknown attribute '" + arg->keyword +
                      "'; valid attributes: " + listAttributes(sig));
      ok = false;
      continue;
    }
    if (attrs.count(spec->name)) {
      error(frame, arg->keywordLoc,
            name + ": attribute '" + arg->keyword + "' is given twice");
      ok = false;
      continue;
    }
    auto allInts = [&](const Value &v) {
      for (const Value &e : v.list)
        if (e.kind != Value::Kind::Int)
          return false;
      return true;
    };
    auto ints = [&](const Value &v) {
      std::vector<int64_t> out;
      for (const Value &e : v.list)
        out.push_back(e.intValue);
      return out;
    };
    const char *want = nullptr;
    switch (spec->kind) {
    case AttrKind::Int:
      if (value.kind == Value::Kind::Int)
        attrs[spec->name] = value.intValue;
      else
        want = "an integer";
      break;
    case AttrKind::Float:
      if (isNumber(value))
        attrs[spec->name] = numberOf(value);
      else
        want = "a number";
      break;
    case AttrKind::Bool:
      if (value.kind == Value::Kind::Bool)
        attrs[spec->name] = value.boolValue;
      else
        want = "true or false";
      break;
    case AttrKind::IntList:
      if (value.kind == Value::Kind::Int)
        attrs[spec->name] = std::vector<int64_t>{value.intValue};
      else if (value.kind == Value::Kind::List && allInts(value))
        attrs[spec->name] = ints(value);
      else
        want = "a list of integers";
      break;
    case AttrKind::IntPair:
      if (value.kind == Value::Kind::Int)
        attrs[spec->name] =
            std::vector<int64_t>{value.intValue, value.intValue};
      else if (value.kind == Value::Kind::List && value.list.size() == 2 &&
               allInts(value))
        attrs[spec->name] = ints(value);
      else
        want = "an integer or a list of 2 integers";
      break;
    }
    if (!want && spec->positive && isNumber(value) && numberOf(value) <= 0) {
      std::ostringstream given;
      given << numberOf(value);
      error(frame, arg->value->loc,
            name + ": attribute '" + spec->name + "' must be above 0, got " +
                given.str());
      ok = false;
      continue;
    }
    if (want) {
      // A list names its first element of the wrong kind.
      std::string got = describe(value);
      if (value.kind == Value::Kind::List)
        for (size_t i = 0; i < value.list.size(); ++i)
          if (value.list[i].kind != Value::Kind::Int) {
            got = "a list whose element " + std::to_string(i + 1) + " is " +
                  describe(value.list[i]);
            break;
          }
      error(frame, arg->value->loc,
            name + ": attribute '" + spec->name + "' must be " + want +
                ", got " + got);
      refused.insert(spec->name);
      ok = false;
    }
  }
  for (size_t i = 0; i < sig.numAttrs; ++i) {
    const AttrSpec &spec = sig.attrs[i];
    if (attrs.count(spec.name) || refused.count(spec.name))
      continue;
    if (spec.required) {
      error(frame, call.loc, name + ": missing attribute '" + spec.name + "'");
      ok = false;
      continue;
    }
    if (spec.defaultFrom) {
      auto from = attrs.find(spec.defaultFrom);
      if (from != attrs.end())
        attrs[spec.name] = from->second;
      continue;
    }
    switch (spec.kind) {
    case AttrKind::Int:
      attrs[spec.name] = static_cast<int64_t>(spec.defaultNumber);
      break;
    case AttrKind::Float:
      attrs[spec.name] = spec.defaultNumber;
      break;
    case AttrKind::Bool:
      attrs[spec.name] = spec.defaultNumber != 0;
      break;
    case AttrKind::IntList:
      attrs[spec.name] = std::vector<int64_t>{};
      break;
    case AttrKind::IntPair: {
      auto n = static_cast<int64_t>(spec.defaultNumber);
      attrs[spec.name] = std::vector<int64_t>{n, n};
      break;
    }
    }
  }
  return ok;
}

void Sema::noteFixedShapeInputs(const OpSignature &sig, const OpCall &call,
                                const std::vector<ValueRef> &operands) {
  // Operands that disagree because one has the batch dimension and another
  // has none: the unbatched one usually comes from an input declared at a
  // fixed size (a model imported from ONNX at the batch it was traced at),
  // which is one tensor for every batch. Only when batching the unbatched
  // operands would have made the op valid is that the mistake; then name
  // the unbatched inputs they come from that could have given their
  // leading axis: those of at least their rank (broadcasting adds leading
  // axes, so a lower-rank input gave none).
  auto batched = [](const shape::Shape &s) {
    return !s.empty() && s.front() == shape::kDynamic;
  };
  OpCall rebatched = call;
  bool someBatched = false;
  size_t rank = 0;
  std::vector<ValueRef> pending;
  for (size_t i = 0; i < operands.size(); ++i) {
    shape::Shape &s = rebatched.operands[i].shape;
    someBatched |= batched(s);
    if (s.empty() || batched(s))
      continue;
    s.front() = shape::kDynamic;
    pending.push_back(operands[i]);
    rank = rank == 0 ? s.size() : std::min(rank, s.size());
  }
  if (!someBatched || pending.empty() || !sig.rule(rebatched).error.empty())
    return;
  std::set<uint32_t> seenNodes, inputs;
  while (!pending.empty()) {
    ValueRef ref = pending.back();
    pending.pop_back();
    if (batched(program.typeOf(ref).shape))
      continue;
    if (ref.kind == ValueRef::Kind::Argument) {
      const Argument &arg = program.arguments[ref.index];
      if (arg.role == Argument::Role::Input && arg.type.shape.size() >= rank)
        inputs.insert(ref.index);
    } else if (seenNodes.insert(ref.index).second) {
      for (const ValueRef &operand : program.nodes[ref.index].operands)
        pending.push_back(operand);
    }
  }
  for (uint32_t index : inputs) {
    const Argument &arg = program.arguments[index];
    diags.note(arg.loc.loc,
               "input '" + arg.name + "' is " +
                   shape::toString(arg.type.shape) +
                   ", without the batch dimension: one tensor for every "
                   "batch; to batch it, make its first axis B (`nnc import "
                   "--dynamic-batch` does so for a model from ONNX)");
  }
}

Sema::Value Sema::applyOp(const OpSignature &sig, std::vector<Value> operands,
                          std::vector<SourceLoc> operandLocs,
                          std::map<std::string, AttrValue> attrs, SourceLoc loc,
                          Frame &frame) {
  std::string name = sig.name;
  // Numbers take the dtype of the first tensor operand, so `x * 2` works
  // for f64 and integer tensors too; alone they are f32.
  DType numberDType = DType::F32;
  for (const Value &v : operands) {
    if (v.kind == Value::Kind::Tensor) {
      numberDType = program.typeOf(v.ref).dtype;
      break;
    }
  }
  OpCall call;
  std::vector<ValueRef> refs;
  for (size_t i = 0; i < operands.size(); ++i) {
    std::optional<ValueRef> ref =
        asTensor(operands[i], numberDType, operandLocs[i], "operand", frame);
    if (!ref)
      return {};
    refs.push_back(*ref);
    call.operands.push_back(program.typeOf(*ref));
  }
  call.attrs = std::move(attrs);
  OpResult result = sig.rule(call);
  if (!result.error.empty()) {
    // Shape rules may or may not name the op; name it exactly once.
    std::string message = result.error;
    if (message.rfind(name + ":", 0) != 0 &&
        message.rfind(name + " ", 0) != 0 &&
        message.rfind(std::string(sig.mnemonic) + ":", 0) != 0 &&
        message.rfind(std::string(sig.mnemonic) + " ", 0) != 0)
      message = name + ": " + message;
    if (error(frame, loc, std::move(message)))
      noteFixedShapeInputs(sig, call, refs);
    return {};
  }
  // The program has one batch axis, the first of a tensor that has one;
  // the dialect's verifier would refuse another in its own wording.
  for (const TensorType &type : result.results)
    for (size_t i = 1; i < type.shape.size(); ++i)
      if (type.shape[i] == shape::kDynamic) {
        error(frame, loc,
              name + ": the batch dimension would be axis " +
                  std::to_string(i) + " of the result " +
                  shape::toString(type.shape) +
                  "; it must stay the first axis (the batch is one leading "
                  "dimension)");
        return {};
      }
  if (sig.fixedIntAttr)
    call.attrs[sig.fixedIntAttr] = sig.fixedIntValue;
  std::optional<ValueRef> ref =
      addNode(sig.mnemonic, std::move(refs), std::move(call.attrs),
              std::move(result.results), loc, frame);
  if (!ref)
    return {};
  Value value;
  value.kind = Value::Kind::Tensor;
  value.ref = *ref;
  return value;
}

} // namespace nnc::frontend
