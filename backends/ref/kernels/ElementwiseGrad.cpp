//===- ElementwiseGrad.cpp - Reference elementwise backward ops -----------===//

#include "backends/ref/kernels/ElementwiseGrad.h"

#include "backends/ref/kernels/KernelSupport.h"

#include <cmath>
#include <type_traits>

namespace nnc::ref {

using namespace detail;

namespace {

/// max (or min) of two values of any runtime type; NaN wins.
template <typename T> T pick(bool takeMax, T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a) || std::isnan(b))
      return std::isnan(a) ? a : b;
  }
  return takeMax ? (a < b ? b : a) : (b < a ? b : a);
}

Error maxOrMin(const char *op, bool takeMax, ConstTensorView a,
               ConstTensorView b, TensorView out) {
  if (Error e = checkDType(op, "rhs", b, a.dtype()); !e.ok())
    return e;
  if (Error e = checkDType(op, "output", out, a.dtype()); !e.ok())
    return e;
  Expected<Shape> shape = broadcastShapes(op, a.shape(), b.shape());
  if (!shape)
    return shape.takeError();
  if (Error e = checkShape(op, "output", out, *shape); !e.ok())
    return e;
  return dispatchAny(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    std::vector<int64_t> stridesA = broadcastStrides(a.shape(), *shape);
    std::vector<int64_t> stridesB = broadcastStrides(b.shape(), *shape);
    const T *lhs = a.data<T>();
    const T *rhs = b.data<T>();
    T *result = out.data<T>();
    for (int64_t i = 0, n = out.numElements(); i < n; ++i)
      result[i] = pick(takeMax, lhs[offsetOf(i, *shape, stridesA)],
                       rhs[offsetOf(i, *shape, stridesB)]);
    return Error::success();
  });
}

/// The checks shared by the (x, dy) -> dx ops: one float dtype, one shape.
Error checkGradOperands(const char *op, ConstTensorView x, ConstTensorView dy,
                        TensorView out) {
  if (Error e = checkDType(op, "dy", dy, x.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(op, "dy", dy, x.shape()); !e.ok())
    return e;
  if (Error e = checkDType(op, "output", out, x.dtype()); !e.ok())
    return e;
  return checkShape(op, "output", out, x.shape());
}

/// out[i] = grad(x[i], dy[i]) over float tensors, in double.
template <typename Grad>
Error mapGradient(const char *op, ConstTensorView x, ConstTensorView dy,
                  TensorView out, Grad grad) {
  if (Error e = checkGradOperands(op, x, dy, out); !e.ok())
    return e;
  return dispatchFloat(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *in = x.data<T>();
    const T *upstream = dy.data<T>();
    T *result = out.data<T>();
    for (int64_t i = 0, n = x.numElements(); i < n; ++i)
      result[i] = static_cast<T>(
          grad(static_cast<double>(in[i]), static_cast<double>(upstream[i])));
    return Error::success();
  });
}

} // namespace

Error maximum(ConstTensorView a, ConstTensorView b, TensorView out) {
  return maxOrMin("maximum", /*takeMax=*/true, a, b, out);
}

Error minimum(ConstTensorView a, ConstTensorView b, TensorView out) {
  return maxOrMin("minimum", /*takeMax=*/false, a, b, out);
}

Error sign(ConstTensorView x, TensorView out) {
  const char *op = "sign";
  if (Error e = checkDType(op, "output", out, x.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(op, "output", out, x.shape()); !e.ok())
    return e;
  return dispatchAny(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *in = x.data<T>();
    T *result = out.data<T>();
    for (int64_t i = 0, n = x.numElements(); i < n; ++i) {
      T v = in[i];
      if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(v)) {
          result[i] = v;
          continue;
        }
      }
      result[i] = v > T(0) ? T(1) : (v < T(0) ? static_cast<T>(-1) : T(0));
    }
    return Error::success();
  });
}

Error reluGrad(ConstTensorView x, ConstTensorView dy, TensorView out) {
  // A select, not a product, so that an inf or NaN dy stays out of the
  // positions relu zeroed.
  return mapGradient("relu_grad", x, dy, out,
                     [](double v, double g) { return v > 0 ? g : 0.0; });
}

Error leakyReluGrad(ConstTensorView x, ConstTensorView dy,
                    const LeakyReluAttrs &attrs, TensorView out) {
  double alpha = attrs.alpha;
  return mapGradient(
      "leaky_relu_grad", x, dy, out,
      [alpha](double v, double g) { return v > 0 ? g : alpha * g; });
}

Error geluGrad(ConstTensorView x, ConstTensorView dy, TensorView out) {
  constexpr double kInvSqrt2 = 0.70710678118654752440;
  constexpr double kInvSqrt2Pi = 0.39894228040143267794;
  return mapGradient("gelu_grad", x, dy, out, [](double v, double g) {
    double cdf = 0.5 * (1.0 + std::erf(v * kInvSqrt2));
    double pdf = kInvSqrt2Pi * std::exp(-0.5 * v * v);
    return g * (cdf + v * pdf);
  });
}

} // namespace nnc::ref
