//===- Optimizer.cpp - Reference optimizer updates ------------------------===//

#include "backends/ref/kernels/Optimizer.h"

#include "backends/ref/kernels/KernelSupport.h"

#include <cmath>
#include <initializer_list>
#include <utility>

namespace nnc::ref {

using namespace detail;

namespace {

using NamedView = std::pair<const char *, ConstTensorView>;

/// Checks that every tensor of `same` has param's dtype and shape, and that
/// param is a float tensor.
Error checkLike(const char *op, ConstTensorView param,
                std::initializer_list<NamedView> same) {
  for (const auto &[what, tensor] : same) {
    if (Error e = checkDType(op, what, tensor, param.dtype()); !e.ok())
      return e;
    if (Error e = checkShape(op, what, tensor, param.shape()); !e.ok())
      return e;
  }
  return dispatchFloat(op, param.dtype(),
                       [](auto) { return Error::success(); });
}

/// The value of a scalar float tensor (the learning rate).
Expected<double> floatScalar(const char *op, const char *what,
                             ConstTensorView tensor) {
  if (Error e = checkShape(op, what, tensor, {}); !e.ok())
    return e;
  double value = 0;
  if (Error e = dispatchFloat(op, tensor.dtype(),
                              [&](auto tag) {
                                value = static_cast<double>(
                                    tensor.at<decltype(tag)>(0));
                                return Error::success();
                              });
      !e.ok())
    return e;
  return value;
}

/// The value of a scalar integer tensor (the step).
Expected<int64_t> intScalar(const char *op, const char *what,
                            ConstTensorView tensor) {
  if (Error e = checkShape(op, what, tensor, {}); !e.ok())
    return e;
  int64_t value = 0;
  if (Error e = dispatchIndex(op, tensor.dtype(),
                              [&](auto tag) {
                                value = static_cast<int64_t>(
                                    tensor.at<decltype(tag)>(0));
                                return Error::success();
                              });
      !e.ok())
    return e;
  return value;
}

/// Calls update(i, read, write) for every element, where read(view) gives
/// element i of an input in double and write(view, value) stores one.
template <typename Update>
Error forEachElement(const char *op, ConstTensorView param, Update update) {
  return dispatchFloat(op, param.dtype(), [&](auto tag) {
    using T = decltype(tag);
    auto read = [](ConstTensorView view, int64_t i) {
      return static_cast<double>(view.data<T>()[i]);
    };
    auto write = [](TensorView view, int64_t i, double value) {
      view.data<T>()[i] = static_cast<T>(value);
    };
    for (int64_t i = 0, n = param.numElements(); i < n; ++i)
      update(i, read, write);
    return Error::success();
  });
}

} // namespace

Error sgdUpdate(ConstTensorView param, ConstTensorView grad, ConstTensorView lr,
                const SgdAttrs &attrs, TensorView out) {
  const char *op = "sgd_update";
  if (Error e = checkLike(op, param, {{"grad", grad}, {"output", out}});
      !e.ok())
    return e;
  Expected<double> rate = floatScalar(op, "lr", lr);
  if (!rate)
    return rate.takeError();
  return forEachElement(op, param, [&](int64_t i, auto read, auto write) {
    double p = read(param, i);
    double g = read(grad, i) + attrs.weightDecay * p;
    write(out, i, p - *rate * g);
  });
}

Error momentumUpdate(ConstTensorView param, ConstTensorView grad,
                     ConstTensorView velocity, ConstTensorView lr,
                     const MomentumAttrs &attrs, TensorView outParam,
                     TensorView outVelocity) {
  const char *op = "momentum_update";
  if (Error e = checkLike(op, param,
                          {{"grad", grad},
                           {"velocity", velocity},
                           {"updated param", outParam},
                           {"updated velocity", outVelocity}});
      !e.ok())
    return e;
  Expected<double> rate = floatScalar(op, "lr", lr);
  if (!rate)
    return rate.takeError();
  return forEachElement(op, param, [&](int64_t i, auto read, auto write) {
    double p = read(param, i);
    double g = read(grad, i) + attrs.weightDecay * p;
    double buffer = attrs.momentum * read(velocity, i) + g;
    double direction = attrs.nesterov ? g + attrs.momentum * buffer : buffer;
    write(outParam, i, p - *rate * direction);
    write(outVelocity, i, buffer);
  });
}

Error adamUpdate(ConstTensorView param, ConstTensorView grad, ConstTensorView m,
                 ConstTensorView v, ConstTensorView step, ConstTensorView lr,
                 const AdamAttrs &attrs, TensorView outParam, TensorView outM,
                 TensorView outV) {
  const char *op = "adam_update";
  if (Error e = checkLike(op, param,
                          {{"grad", grad},
                           {"m", m},
                           {"v", v},
                           {"updated param", outParam},
                           {"updated m", outM},
                           {"updated v", outV}});
      !e.ok())
    return e;
  Expected<double> rate = floatScalar(op, "lr", lr);
  if (!rate)
    return rate.takeError();
  Expected<int64_t> t = intScalar(op, "step", step);
  if (!t)
    return t.takeError();
  if (*t < 1)
    return opError(op, "step " + std::to_string(*t) + " is below 1");
  double steps = static_cast<double>(*t);
  double correction1 = 1.0 - std::pow(attrs.beta1, steps);
  double correction2 = 1.0 - std::pow(attrs.beta2, steps);
  return forEachElement(op, param, [&](int64_t i, auto read, auto write) {
    double p = read(param, i);
    double g = read(grad, i);
    if (attrs.decoupled)
      p *= 1.0 - *rate * attrs.weightDecay;
    else
      g += attrs.weightDecay * p;
    double first = attrs.beta1 * read(m, i) + (1.0 - attrs.beta1) * g;
    double second = attrs.beta2 * read(v, i) + (1.0 - attrs.beta2) * g * g;
    double denominator = std::sqrt(second / correction2) + attrs.eps;
    write(outParam, i, p - *rate * (first / correction1) / denominator);
    write(outM, i, first);
    write(outV, i, second);
  });
}

} // namespace nnc::ref
