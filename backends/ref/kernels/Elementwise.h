//===- Elementwise.h - Reference elementwise kernels ------------*- C++ -*-===//
//
// Unary ops map each element; binary ops combine two tensors with full NumPy
// broadcasting. Float results are computed in double and rounded once to
// the tensor's type, so f32 results are as close to exact as f32 allows.
//
// Integer tensors (i32, i64, u8) support neg, abs, add, sub, mul and div;
// they wrap on overflow (two's complement) and div truncates toward zero, as
// C and MLIR's arith.divsi do. Division by zero is an error, as is
// INT_MIN / -1. The other ops need float tensors.
//
// The output must be allocated with the result shape; it may be the same
// tensor as an input of that shape (elements are read before written).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_REF_KERNELS_ELEMENTWISE_H
#define NNC_BACKENDS_REF_KERNELS_ELEMENTWISE_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"


namespace nnc::ref {

/// The unary maps, named as their nn ops are (nameOf); a new one is added
/// here and in Elementwise.cpp alone: the ref interpreter has a row for
/// every value below kNumUnaryOps.
enum class UnaryOp {
  Neg,
  Abs,
  Exp,
  Log,
  Sqrt,
  Relu,
  Sigmoid,
  Tanh,
  Gelu,
  Softplus,
};
inline constexpr int kNumUnaryOps = static_cast<int>(UnaryOp::Softplus) + 1;
/// The binary maps; the comparisons give 1 or 0 in the operands' type.
enum class BinaryOp {
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Less,
  LessEqual,
  Greater,
  GreaterEqual,
  Equal,
  NotEqual,
};
inline constexpr int kNumBinaryOps = static_cast<int>(BinaryOp::NotEqual) + 1;

/// The mnemonic of the nn op that `op` computes ("tanh", "add"); the ref
/// interpreter has a row for "nn." + each (RefSteps.cpp).
const char *nameOf(UnaryOp op);
const char *nameOf(BinaryOp op);

/// out = op(x); `out` has x's shape and dtype. Exp, Log, Sqrt, Relu,
/// Sigmoid, Tanh and Gelu need a float x. log of a negative number and sqrt
/// of one give NaN, as in IEEE arithmetic. Gelu is the exact form
/// 0.5 x (1 + erf(x / sqrt 2)).
rt::Error unary(UnaryOp op, rt::ConstTensorView x, rt::TensorView out);

/// out = op(a, b) with NumPy broadcasting; a, b and out share one dtype and
/// out has the broadcast shape. Pow needs floats.
rt::Error binary(BinaryOp op, rt::ConstTensorView a, rt::ConstTensorView b,
                 rt::TensorView out);

/// out = a where cond is nonzero (NaN counts), else b, with NumPy
/// broadcasting of the three; all share one dtype, and out has the
/// broadcast shape.
rt::Error where(rt::ConstTensorView cond, rt::ConstTensorView a,
                rt::ConstTensorView b, rt::TensorView out);

/// Attributes of leaky_relu.
struct LeakyReluAttrs {
  double alpha = 0.01; ///< Slope for negative inputs.
};

/// out = x if x >= 0 else alpha * x; float only.
rt::Error leakyRelu(rt::ConstTensorView x, const LeakyReluAttrs &attrs,
                    rt::TensorView out);

// One entry point per op of docs/dsl.md, for readers and callers that think
// in op names; each forwards to unary() or binary().
rt::Error neg(rt::ConstTensorView x, rt::TensorView out);
rt::Error abs(rt::ConstTensorView x, rt::TensorView out);
rt::Error exp(rt::ConstTensorView x, rt::TensorView out);
rt::Error log(rt::ConstTensorView x, rt::TensorView out);
rt::Error sqrt(rt::ConstTensorView x, rt::TensorView out);
rt::Error relu(rt::ConstTensorView x, rt::TensorView out);
rt::Error sigmoid(rt::ConstTensorView x, rt::TensorView out);
rt::Error tanh(rt::ConstTensorView x, rt::TensorView out);
rt::Error gelu(rt::ConstTensorView x, rt::TensorView out);
rt::Error add(rt::ConstTensorView a, rt::ConstTensorView b, rt::TensorView out);
rt::Error sub(rt::ConstTensorView a, rt::ConstTensorView b, rt::TensorView out);
rt::Error mul(rt::ConstTensorView a, rt::ConstTensorView b, rt::TensorView out);
rt::Error div(rt::ConstTensorView a, rt::ConstTensorView b, rt::TensorView out);
rt::Error pow(rt::ConstTensorView a, rt::ConstTensorView b, rt::TensorView out);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_KERNELS_ELEMENTWISE_H
