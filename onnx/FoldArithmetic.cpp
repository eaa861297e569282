//===- FoldArithmetic.cpp - Folding nodes that compute constants ----------===//
//
// Cast and the element-wise ops over broadcast constant operands,
// evaluated in double or int64 and rounded to the result's type; integer
// overflow and division by zero refuse the node.
//
//===----------------------------------------------------------------------===//

#include "onnx/FoldSupport.h"

#include "onnx/OnnxShapes.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nnc::onnx::fold {

namespace {

/// The first integer result an element-wise fold could not give: ONNX
/// leaves overflow and division by zero undefined, and in C++ they are
/// undefined too (INT64_MIN / -1 traps), so the node is refused.
struct IntegerTrap {
  std::string problem;

  int64_t fail(const char *why) {
    if (problem.empty())
      problem = why;
    return 0;
  }
  int64_t checked(bool overflowed, int64_t result) {
    return overflowed ? fail("the integer result overflows 64 bits") : result;
  }
  /// `value` (an integer op computed in double) as an integer.
  int64_t fromReal(double value) {
    if (!(value >= -0x1p63 && value < 0x1p63))
      return fail(std::isnan(value) || std::isinf(value)
                      ? "the integer result is not a number (a division "
                        "by zero)"
                      : "the integer result overflows 64 bits");
    return static_cast<int64_t>(value);
  }
};

/// Evaluates an element-wise op over broadcast constant operands.
rt::Expected<Constant>
elementwise(const std::vector<const Constant *> &operands, ElemType resultType,
            const std::function<double(const std::vector<double> &)> &real,
            const std::function<int64_t(const std::vector<int64_t> &)> &integer,
            IntegerTrap &trap) {
  Dims shape;
  for (const Constant *operand : operands) {
    if (operand->anyBatchEntry())
      return rt::Error::failure(
          "arithmetic on the batch size, which nnc cannot express");
    std::optional<Dims> next = broadcastShapes(shape, operand->shape);
    if (!next)
      return rt::Error::failure("operands " + formatDims(shape) + " and " +
                                formatDims(operand->shape) +
                                " do not broadcast");
    shape = *next;
  }
  if (rt::Error error = checkFoldedShape(shape); !error.ok())
    return error;
  Constant out;
  out.type = resultType;
  out.shape = shape;
  int64_t count = elementCount(shape);
  std::vector<int64_t> strides = stridesOf(shape);
  std::vector<int64_t> coords(shape.size());
  std::vector<double> reals(operands.size());
  std::vector<int64_t> ints(operands.size());
  bool floatInputs = isFloat(operands.front()->type);
  for (int64_t flat = 0; flat < count; ++flat) {
    for (size_t d = 0; d < shape.size(); ++d)
      coords[d] = (flat / strides[d]) % shape[d];
    for (size_t k = 0; k < operands.size(); ++k) {
      size_t at = broadcastIndex(operands[k]->shape, coords);
      reals[k] = operands[k]->number(at);
      ints[k] = operands[k]->integer(at);
    }
    if (isFloat(resultType))
      out.reals.push_back(real(reals));
    else if (floatInputs && real)
      out.ints.push_back(trap.fromReal(real(reals)));
    else
      out.ints.push_back(integer(ints));
  }
  if (!trap.problem.empty())
    return rt::Error::failure(trap.problem);
  return out;
}

/// `batch <op> value` (or `value <op> batch` when `batchFirst` is false)
/// where the batch size is only known to be at least 1: the comparison's
/// outcome when that settles it.
std::optional<bool> compareWithBatch(const std::string &op, int64_t value,
                                     bool batchFirst) {
  if (op == "Equal")
    return value < 1 ? std::optional<bool>(false) : std::nullopt;
  bool batchLess = (op == "Less") == batchFirst; // batch < value?
  if (batchLess)
    return value <= 1 ? std::optional<bool>(false) : std::nullopt;
  return value < 1 ? std::optional<bool>(true) : std::nullopt; // batch > value
}

/// Equal, Less, Greater and Where over integer operands some of whose
/// entries stand for the batch size: what PyTorch exports for
/// `cls.expand(x.size(0), -1, -1)` compares the shape [B, -1, -1] with -1
/// and selects [B, 1, 1] from it. A comparison the batch size (at least 1)
/// settles folds; Where carries a selected batch entry through. Anything
/// else fails, as arithmetic on the batch size.
Folded foldWithBatchEntries(Translation &translation, const NodeProto &node,
                            const std::vector<const Constant *> &inputs) {
  const std::string &op = node.op_type();
  bool where = op == "Where";
  auto unknown = [] {
    return failure("arithmetic on the batch size, which nnc cannot express");
  };
  Dims shape;
  for (const Constant *operand : inputs) {
    if (isFloat(operand->type))
      return unknown();
    std::optional<Dims> next = broadcastShapes(shape, operand->shape);
    if (!next)
      return failure("operands " + formatDims(shape) + " and " +
                     formatDims(operand->shape) + " do not broadcast");
    shape = *next;
  }
  if (rt::Error error = checkFoldedShape(shape); !error.ok())
    return error;
  Constant out;
  out.type = where ? inputs[1]->type : ElemType::Bool;
  out.shape = shape;
  std::vector<int64_t> strides = stridesOf(shape);
  std::vector<int64_t> coords(shape.size());
  for (int64_t flat = 0, count = elementCount(shape); flat < count; ++flat) {
    for (size_t d = 0; d < shape.size(); ++d)
      coords[d] = (flat / strides[d]) % shape[d];
    size_t at[3];
    for (size_t k = 0; k < inputs.size(); ++k)
      at[k] = broadcastIndex(inputs[k]->shape, coords);
    bool batch[3] = {};
    for (size_t k = 0; k < inputs.size(); ++k)
      batch[k] = inputs[k]->isBatchEntry(at[k]);
    if (where) {
      if (batch[0])
        return unknown();
      size_t pick = inputs[0]->integer(at[0]) != 0 ? 1 : 2;
      out.ints.push_back(inputs[pick]->integer(at[pick]));
      out.batchEntries.push_back(batch[pick]);
      continue;
    }
    int64_t a = inputs[0]->integer(at[0]), b = inputs[1]->integer(at[1]);
    std::optional<bool> result;
    if (batch[0] && batch[1])
      result = std::nullopt;
    else if (batch[0])
      result = compareWithBatch(op, b, /*batchFirst=*/true);
    else if (batch[1])
      result = compareWithBatch(op, a, /*batchFirst=*/false);
    else
      result = op == "Equal" ? a == b : op == "Less" ? a < b : a > b;
    if (!result)
      return unknown();
    out.ints.push_back(*result);
    out.batchEntries.push_back(false);
  }
  translation.bindConstant(node.output(0), std::move(out));
  return true;
}

} // namespace

Folded foldCast(Translation &translation, const NodeProto &node,
                const Constant &data) {
  Attributes attributes(node);
  std::optional<ElemType> to =
      elemTypeOf(static_cast<int32_t>(attributes.getInt("to", 0)));
  if (!to)
    return failure("cast to an unsupported dtype");
  Constant out;
  out.type = *to;
  out.shape = data.shape;
  out.batchEntries = data.batchEntries;
  for (size_t i = 0; i < data.size(); ++i) {
    if (isFloat(*to))
      out.reals.push_back(data.number(i));
    else if (*to == ElemType::Bool)
      out.ints.push_back(data.number(i) != 0);
    else
      out.ints.push_back(data.integer(i));
  }
  roundToType(out);
  translation.bindConstant(node.output(0), std::move(out));
  return true;
}
Folded foldElementwise(Translation &translation, const NodeProto &node,
                       const std::vector<const Constant *> &inputs) {
  const std::string &op = node.op_type();
  // The folds below read their operands by position: a node with another
  // count (a malformed file) would read past them.
  bool variadic = op == "Min" || op == "Max";
  bool unary = op == "Neg" || op == "Sqrt" || op == "Exp" || op == "Log" ||
               op == "Abs" || op == "Floor" || op == "Ceil" ||
               op == "Reciprocal";
  size_t arity = op == "Where" ? 3 : unary || variadic ? 1 : 2;
  if (variadic ? inputs.size() < arity : inputs.size() != arity)
    return failure(op + " needs " + (variadic ? "at least " : "") +
                   std::to_string(arity) + " input" + (arity > 1 ? "s" : "") +
                   ", not " + std::to_string(inputs.size()));
  bool batchAware =
      op == "Equal" || op == "Less" || op == "Greater" || op == "Where";
  if (batchAware &&
      std::any_of(inputs.begin(), inputs.end(),
                  [](const Constant *input) { return input->anyBatchEntry(); }))
    return foldWithBatchEntries(translation, node, inputs);
  ElemType type = inputs[0]->type;
  using Reals = const std::vector<double> &;
  using Ints = const std::vector<int64_t> &;
  std::function<double(Reals)> real;
  std::function<int64_t(Ints)> integer;
  IntegerTrap trap;
  if (op == "Add") {
    real = [](Reals v) { return v[0] + v[1]; };
    integer = [&trap](Ints v) {
      int64_t r;
      return trap.checked(__builtin_add_overflow(v[0], v[1], &r), r);
    };
  } else if (op == "Sub") {
    real = [](Reals v) { return v[0] - v[1]; };
    integer = [&trap](Ints v) {
      int64_t r;
      return trap.checked(__builtin_sub_overflow(v[0], v[1], &r), r);
    };
  } else if (op == "Mul") {
    real = [](Reals v) { return v[0] * v[1]; };
    integer = [&trap](Ints v) {
      int64_t r;
      return trap.checked(__builtin_mul_overflow(v[0], v[1], &r), r);
    };
  } else if (op == "Div") {
    real = [](Reals v) { return v[0] / v[1]; };
    integer = [&trap](Ints v) {
      if (v[1] == 0)
        return trap.fail("integer division by zero");
      // x / -1 is -x, computed as such: INT64_MIN / -1 traps.
      constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
      if (v[1] == -1)
        return trap.checked(v[0] == kMin, v[0] == kMin ? 0 : -v[0]);
      return v[0] / v[1];
    };
  } else if (op == "Pow") {
    real = [](Reals v) { return std::pow(v[0], v[1]); };
    integer = [&trap](Ints v) {
      return trap.fromReal(std::pow(double(v[0]), double(v[1])));
    };
  } else if (op == "Min" || op == "Max") {
    // Variadic in ONNX: one input or more.
    bool min = op == "Min";
    auto fold = [min](const auto &v) {
      auto result = v[0];
      for (size_t i = 1; i < v.size(); ++i)
        result = min ? std::min(result, v[i]) : std::max(result, v[i]);
      return result;
    };
    real = [fold](Reals v) { return fold(v); };
    integer = [fold](Ints v) { return fold(v); };
  } else if (op == "Equal" || op == "Less" || op == "Greater") {
    type = ElemType::Bool;
    int which = op == "Equal" ? 0 : op == "Less" ? 1 : 2;
    integer = [which](Ints v) -> int64_t {
      return which == 0 ? v[0] == v[1] : which == 1 ? v[0] < v[1] : v[0] > v[1];
    };
    if (isFloat(inputs[0]->type)) {
      real = [which](Reals v) -> double {
        return which == 0   ? v[0] == v[1]
               : which == 1 ? v[0] < v[1]
                            : v[0] > v[1];
      };
    }
  } else if (op == "Where") {
    type = inputs[1]->type;
    real = [](Reals v) { return v[0] != 0 ? v[1] : v[2]; };
    integer = [](Ints v) { return v[0] != 0 ? v[1] : v[2]; };
    rt::Expected<Constant> out = elementwise(inputs, type, real, integer, trap);
    if (!out.ok())
      return out.takeError();
    // The condition is integer-valued, so evaluate on numbers directly.
    translation.bindConstant(node.output(0), std::move(*out));
    return true;
  } else if (op == "Neg") {
    real = [](Reals v) { return -v[0]; };
    integer = [&trap](Ints v) {
      return trap.checked(v[0] == std::numeric_limits<int64_t>::min(), -v[0]);
    };
  } else if (op == "Sqrt" || op == "Exp" || op == "Log" || op == "Abs" ||
             op == "Floor" || op == "Ceil" || op == "Reciprocal") {
    double (*f)(double) =
        op == "Sqrt"    ? static_cast<double (*)(double)>(std::sqrt)
        : op == "Exp"   ? static_cast<double (*)(double)>(std::exp)
        : op == "Log"   ? static_cast<double (*)(double)>(std::log)
        : op == "Abs"   ? static_cast<double (*)(double)>(std::fabs)
        : op == "Floor" ? static_cast<double (*)(double)>(std::floor)
        : op == "Ceil"  ? static_cast<double (*)(double)>(std::ceil)
                        : nullptr;
    real = [f](Reals v) { return f ? f(v[0]) : 1.0 / v[0]; };
    integer = [f, &trap](Ints v) {
      return trap.fromReal(f ? f(double(v[0])) : 1.0 / double(v[0]));
    };
  } else {
    return false;
  }
  if (type == ElemType::Bool && isFloat(inputs[0]->type)) {
    // Compare as numbers, store as integers.
    std::function<double(Reals)> compare = real;
    rt::Expected<Constant> out =
        elementwise(inputs, ElemType::F64, compare, integer, trap);
    if (!out.ok())
      return out.takeError();
    Constant result;
    result.type = ElemType::Bool;
    result.shape = out->shape;
    for (double x : out->reals)
      result.ints.push_back(x != 0);
    translation.bindConstant(node.output(0), std::move(result));
    return true;
  }
  rt::Expected<Constant> out = elementwise(inputs, type, real, integer, trap);
  if (!out.ok())
    return out.takeError();
  roundToType(*out);
  translation.bindConstant(node.output(0), std::move(*out));
  return true;
}

} // namespace nnc::onnx::fold
