//===- Elementwise.cpp - Reference elementwise kernels --------------------===//

#include "backends/ref/kernels/Elementwise.h"

#include "backends/ref/kernels/KernelSupport.h"

#include <cmath>
#include <limits>
#include <type_traits>

namespace nnc::ref {

using namespace detail;

const char *nameOf(UnaryOp op) {
  switch (op) {
  case UnaryOp::Neg:
    return "neg";
  case UnaryOp::Abs:
    return "abs";
  case UnaryOp::Exp:
    return "exp";
  case UnaryOp::Log:
    return "log";
  case UnaryOp::Sqrt:
    return "sqrt";
  case UnaryOp::Relu:
    return "relu";
  case UnaryOp::Sigmoid:
    return "sigmoid";
  case UnaryOp::Tanh:
    return "tanh";
  case UnaryOp::Gelu:
    return "gelu";
  case UnaryOp::Softplus:
    return "softplus";
  }
  return "unary";
}

const char *nameOf(BinaryOp op) {
  switch (op) {
  case BinaryOp::Add:
    return "add";
  case BinaryOp::Sub:
    return "sub";
  case BinaryOp::Mul:
    return "mul";
  case BinaryOp::Div:
    return "div";
  case BinaryOp::Pow:
    return "pow";
  case BinaryOp::Less:
    return "less";
  case BinaryOp::LessEqual:
    return "less_equal";
  case BinaryOp::Greater:
    return "greater";
  case BinaryOp::GreaterEqual:
    return "greater_equal";
  case BinaryOp::Equal:
    return "equal";
  case BinaryOp::NotEqual:
    return "not_equal";
  }
  return "binary";
}

namespace {

double sigmoidOf(double x) {
  // Two forms so that exp never overflows: for x < 0, exp(x) < 1.
  if (x >= 0)
    return 1.0 / (1.0 + std::exp(-x));
  double e = std::exp(x);
  return e / (1.0 + e);
}

double applyFloat(UnaryOp op, double x) {
  constexpr double kInvSqrt2 = 0.70710678118654752440;
  switch (op) {
  case UnaryOp::Neg:
    return -x;
  case UnaryOp::Abs:
    return std::fabs(x);
  case UnaryOp::Exp:
    return std::exp(x);
  case UnaryOp::Log:
    return std::log(x);
  case UnaryOp::Sqrt:
    return std::sqrt(x);
  case UnaryOp::Relu:
    // Written so that NaN propagates, as in PyTorch.
    return x < 0 ? 0.0 : x;
  case UnaryOp::Sigmoid:
    return sigmoidOf(x);
  case UnaryOp::Tanh:
    return std::tanh(x);
  case UnaryOp::Gelu:
    return 0.5 * x * (1.0 + std::erf(x * kInvSqrt2));
  case UnaryOp::Softplus:
    // No exp overflows, and log1p keeps small results exact.
    return std::fmax(x, 0.0) + std::log1p(std::exp(-std::fabs(x)));
  }
  return x;
}

/// Whether the comparison `op` holds; IEEE semantics for NaN.
template <typename T> bool compare(BinaryOp op, T a, T b) {
  switch (op) {
  case BinaryOp::Less:
    return a < b;
  case BinaryOp::LessEqual:
    return a <= b;
  case BinaryOp::Greater:
    return a > b;
  case BinaryOp::GreaterEqual:
    return a >= b;
  case BinaryOp::Equal:
    return a == b;
  case BinaryOp::NotEqual:
    return a != b;
  default:
    return false;
  }
}

double applyFloat(BinaryOp op, double a, double b) {
  switch (op) {
  case BinaryOp::Add:
    return a + b;
  case BinaryOp::Sub:
    return a - b;
  case BinaryOp::Mul:
    return a * b;
  case BinaryOp::Div:
    return a / b;
  case BinaryOp::Pow:
    return std::pow(a, b);
  default:
    return compare(op, a, b) ? 1.0 : 0.0;
  }
}

/// Integer arithmetic wraps: it is done on the unsigned type, where
/// overflow is defined, and converted back.
template <typename T> T wrapping(uint64_t value) {
  return static_cast<T>(value);
}

template <typename T> T negateInt(T x) {
  return wrapping<T>(uint64_t(0) - static_cast<uint64_t>(x));
}

template <typename T>
Error unaryTyped(UnaryOp op, ConstTensorView x, TensorView out) {
  const T *in = x.data<T>();
  T *result = out.data<T>();
  int64_t count = x.numElements();
  if constexpr (std::is_floating_point_v<T>) {
    for (int64_t i = 0; i < count; ++i)
      result[i] = static_cast<T>(applyFloat(op, static_cast<double>(in[i])));
    return Error::success();
  } else {
    if (op != UnaryOp::Neg && op != UnaryOp::Abs)
      return opError(nameOf(op), std::string("expected f32 or f64, got ") +
                                     rt::dtypeName(x.dtype()));
    for (int64_t i = 0; i < count; ++i) {
      bool negate = op == UnaryOp::Neg || (std::is_signed_v<T> && in[i] < 0);
      result[i] = negate ? negateInt(in[i]) : in[i];
    }
    return Error::success();
  }
}

template <typename T> Expected<T> applyInt(BinaryOp op, T a, T b) {
  uint64_t ua = static_cast<uint64_t>(a), ub = static_cast<uint64_t>(b);
  switch (op) {
  case BinaryOp::Add:
    return wrapping<T>(ua + ub);
  case BinaryOp::Sub:
    return wrapping<T>(ua - ub);
  case BinaryOp::Mul:
    return wrapping<T>(ua * ub);
  case BinaryOp::Div:
    if (b == 0)
      return opError("div", "integer division by zero");
    // minimum / -1 wraps to minimum, as + - * wrap and as NumPy divides.
    if (std::is_signed_v<T> && b == static_cast<T>(-1))
      return wrapping<T>(0 - ua);
    return static_cast<T>(a / b);
  case BinaryOp::Pow:
    return opError(nameOf(op), "expected f32 or f64");
  default:
    return static_cast<T>(compare(op, a, b) ? 1 : 0);
  }
}

template <typename T>
Error binaryTyped(BinaryOp op, ConstTensorView a, ConstTensorView b,
                  TensorView out) {
  if (!std::is_floating_point_v<T> && op == BinaryOp::Pow)
    return opError("pow", std::string("expected f32 or f64, got ") +
                              rt::dtypeName(a.dtype()));
  const Shape &shape = out.shape();
  std::vector<int64_t> stridesA = broadcastStrides(a.shape(), shape);
  std::vector<int64_t> stridesB = broadcastStrides(b.shape(), shape);
  const T *lhs = a.data<T>();
  const T *rhs = b.data<T>();
  T *result = out.data<T>();
  int64_t count = out.numElements();
  for (int64_t i = 0; i < count; ++i) {
    T x = lhs[offsetOf(i, shape, stridesA)];
    T y = rhs[offsetOf(i, shape, stridesB)];
    if constexpr (std::is_floating_point_v<T>) {
      result[i] = static_cast<T>(
          applyFloat(op, static_cast<double>(x), static_cast<double>(y)));
    } else {
      Expected<T> value = applyInt(op, x, y);
      if (!value)
        return value.takeError();
      result[i] = *value;
    }
  }
  return Error::success();
}

} // namespace

Error unary(UnaryOp op, ConstTensorView x, TensorView out) {
  const char *name = nameOf(op);
  if (Error e = checkDType(name, "output", out, x.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(name, "output", out, x.shape()); !e.ok())
    return e;
  return dispatchAny(x.dtype(), [&](auto tag) {
    return unaryTyped<decltype(tag)>(op, x, out);
  });
}

Error binary(BinaryOp op, ConstTensorView a, ConstTensorView b,
             TensorView out) {
  const char *name = nameOf(op);
  if (Error e = checkDType(name, "rhs", b, a.dtype()); !e.ok())
    return e;
  if (Error e = checkDType(name, "output", out, a.dtype()); !e.ok())
    return e;
  Expected<Shape> shape = broadcastShapes(name, a.shape(), b.shape());
  if (!shape)
    return shape.takeError();
  if (Error e = checkShape(name, "output", out, *shape); !e.ok())
    return e;
  return dispatchAny(a.dtype(), [&](auto tag) {
    return binaryTyped<decltype(tag)>(op, a, b, out);
  });
}

Error where(ConstTensorView cond, ConstTensorView a, ConstTensorView b,
            TensorView out) {
  const char *name = "where";
  for (auto [what, tensor] :
       {std::pair<const char *, ConstTensorView>{"a", a}, {"b", b}})
    if (Error e = checkDType(name, what, tensor, cond.dtype()); !e.ok())
      return e;
  if (Error e = checkDType(name, "output", out, cond.dtype()); !e.ok())
    return e;
  Expected<Shape> pair = broadcastShapes(name, cond.shape(), a.shape());
  if (!pair)
    return pair.takeError();
  Expected<Shape> shape = broadcastShapes(name, *pair, b.shape());
  if (!shape)
    return shape.takeError();
  if (Error e = checkShape(name, "output", out, *shape); !e.ok())
    return e;
  return dispatchAny(cond.dtype(), [&](auto tag) {
    using T = decltype(tag);
    std::vector<int64_t> stridesC = broadcastStrides(cond.shape(), *shape);
    std::vector<int64_t> stridesA = broadcastStrides(a.shape(), *shape);
    std::vector<int64_t> stridesB = broadcastStrides(b.shape(), *shape);
    const T *c = cond.data<T>();
    const T *x = a.data<T>();
    const T *y = b.data<T>();
    T *result = out.data<T>();
    for (int64_t i = 0; i < out.numElements(); ++i)
      result[i] = c[offsetOf(i, *shape, stridesC)] != T(0)
                      ? x[offsetOf(i, *shape, stridesA)]
                      : y[offsetOf(i, *shape, stridesB)];
    return Error::success();
  });
}

Error leakyRelu(ConstTensorView x, const LeakyReluAttrs &attrs,
                TensorView out) {
  if (Error e = checkDType("leaky_relu", "output", out, x.dtype()); !e.ok())
    return e;
  if (Error e = checkShape("leaky_relu", "output", out, x.shape()); !e.ok())
    return e;
  return dispatchFloat("leaky_relu", x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *in = x.data<T>();
    T *result = out.data<T>();
    for (int64_t i = 0, n = x.numElements(); i < n; ++i) {
      double v = static_cast<double>(in[i]);
      result[i] = static_cast<T>(v < 0 ? attrs.alpha * v : v);
    }
    return Error::success();
  });
}

Error neg(ConstTensorView x, TensorView out) {
  return unary(UnaryOp::Neg, x, out);
}
Error abs(ConstTensorView x, TensorView out) {
  return unary(UnaryOp::Abs, x, out);
}
Error exp(ConstTensorView x, TensorView out) {
  return unary(UnaryOp::Exp, x, out);
}
Error log(ConstTensorView x, TensorView out) {
  return unary(UnaryOp::Log, x, out);
}
Error sqrt(ConstTensorView x, TensorView out) {
  return unary(UnaryOp::Sqrt, x, out);
}
Error relu(ConstTensorView x, TensorView out) {
  return unary(UnaryOp::Relu, x, out);
}
Error sigmoid(ConstTensorView x, TensorView out) {
  return unary(UnaryOp::Sigmoid, x, out);
}
Error tanh(ConstTensorView x, TensorView out) {
  return unary(UnaryOp::Tanh, x, out);
}
Error gelu(ConstTensorView x, TensorView out) {
  return unary(UnaryOp::Gelu, x, out);
}
Error add(ConstTensorView a, ConstTensorView b, TensorView out) {
  return binary(BinaryOp::Add, a, b, out);
}
Error sub(ConstTensorView a, ConstTensorView b, TensorView out) {
  return binary(BinaryOp::Sub, a, b, out);
}
Error mul(ConstTensorView a, ConstTensorView b, TensorView out) {
  return binary(BinaryOp::Mul, a, b, out);
}
Error div(ConstTensorView a, ConstTensorView b, TensorView out) {
  return binary(BinaryOp::Div, a, b, out);
}
Error pow(ConstTensorView a, ConstTensorView b, TensorView out) {
  return binary(BinaryOp::Pow, a, b, out);
}

} // namespace nnc::ref
