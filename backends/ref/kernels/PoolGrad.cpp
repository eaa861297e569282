//===- PoolGrad.cpp - Reference pooling backward ops ----------------------===//

#include "backends/ref/kernels/PoolGrad.h"

#include "backends/ref/kernels/KernelSupport.h"

#include <array>
#include <cmath>

namespace nnc::ref {

using namespace detail;

namespace {

/// The extents of one pooling, checked as max_pool2d and avg_pool2d check
/// them.
struct PoolGeometry {
  int64_t planes = 0, height = 0, width = 0;
  std::array<int64_t, 2> stride{}, out{};
};

/// Checks the input shape `input` (x's, or dx's), the attributes and dy,
/// and that dy and out share one float dtype.
Expected<PoolGeometry> checkPool(const char *op, const Shape &input,
                                 ConstTensorView dy, const Pool2dAttrs &attrs,
                                 TensorView out) {
  if (input.size() != 4)
    return opError(op, "input has rank " + std::to_string(input.size()) +
                           ", expected 4");
  PoolGeometry g;
  g.stride = attrs.stride.value_or(attrs.kernel);
  for (int i = 0; i < 2; ++i) {
    if (attrs.kernel[i] <= 0 || g.stride[i] <= 0)
      return opError(op, "kernel and stride must be positive");
    if (attrs.padding[i] < 0 || attrs.padding[i] > attrs.kernel[i] / 2)
      return opError(op, "padding must be between 0 and half the kernel");
    int64_t padded = input[2 + i] + 2 * attrs.padding[i];
    if (padded < attrs.kernel[i])
      return opError(op, "kernel does not fit the padded input");
    g.out[i] = (padded - attrs.kernel[i]) / g.stride[i] + 1;
  }
  g.planes = input[0] * input[1];
  g.height = input[2];
  g.width = input[3];
  if (Error e = checkDType(op, "output", out, dy.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(op, "output", out, input); !e.ok())
    return e;
  if (Error e =
          checkShape(op, "dy", dy, {input[0], input[1], g.out[0], g.out[1]});
      !e.ok())
    return e;
  if (Error e =
          dispatchFloat(op, dy.dtype(), [](auto) { return Error::success(); });
      !e.ok())
    return e;
  return g;
}

/// Calls visit(window, inputs, real) for every window of every plane, with
/// `window` the flat index of its dy element and `inputs` the flat input
/// indices of its real elements in row-major window order.
template <typename Visit>
void forEachWindow(const PoolGeometry &g, const Pool2dAttrs &attrs,
                   Visit visit) {
  std::vector<int64_t> inputs;
  int64_t window = 0;
  for (int64_t plane = 0; plane < g.planes; ++plane)
    for (int64_t oh = 0; oh < g.out[0]; ++oh)
      for (int64_t ow = 0; ow < g.out[1]; ++ow) {
        inputs.clear();
        for (int64_t kh = 0; kh < attrs.kernel[0]; ++kh) {
          int64_t ih = oh * g.stride[0] - attrs.padding[0] + kh;
          for (int64_t kw = 0; kw < attrs.kernel[1]; ++kw) {
            int64_t iw = ow * g.stride[1] - attrs.padding[1] + kw;
            if (ih < 0 || ih >= g.height || iw < 0 || iw >= g.width)
              continue;
            inputs.push_back((plane * g.height + ih) * g.width + iw);
          }
        }
        visit(window++, inputs);
      }
}

template <typename T>
void store(const std::vector<double> &sums, TensorView out) {
  T *result = out.data<T>();
  for (size_t i = 0; i < sums.size(); ++i)
    result[i] = static_cast<T>(sums[i]);
}

} // namespace

Error maxPool2dGrad(ConstTensorView x, ConstTensorView dy,
                    const Pool2dAttrs &attrs, TensorView out) {
  const char *op = "max_pool2d_grad";
  if (Error e = checkDType(op, "dy", dy, x.dtype()); !e.ok())
    return e;
  Expected<PoolGeometry> g = checkPool(op, x.shape(), dy, attrs, out);
  if (!g)
    return g.takeError();
  return dispatchFloat(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *in = x.data<T>();
    const T *grad = dy.data<T>();
    std::vector<double> sums(static_cast<size_t>(out.numElements()), 0.0);
    forEachWindow(
        *g, attrs, [&](int64_t window, const std::vector<int64_t> &inputs) {
          // padding <= kernel / 2 leaves every window a real
          // element.
          int64_t best = inputs.front();
          for (int64_t i : inputs) {
            if (std::isnan(in[best]))
              break;
            if (std::isnan(in[i]) || in[i] > in[best])
              best = i;
          }
          sums[static_cast<size_t>(best)] += static_cast<double>(grad[window]);
        });
    store<T>(sums, out);
    return Error::success();
  });
}

Error avgPool2dGrad(ConstTensorView dy, const Pool2dAttrs &attrs,
                    TensorView out) {
  const char *op = "avg_pool2d_grad";
  Expected<PoolGeometry> g = checkPool(op, out.shape(), dy, attrs, out);
  if (!g)
    return g.takeError();
  double fullWindow = static_cast<double>(attrs.kernel[0] * attrs.kernel[1]);
  return dispatchFloat(op, dy.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *grad = dy.data<T>();
    std::vector<double> sums(static_cast<size_t>(out.numElements()), 0.0);
    forEachWindow(*g, attrs,
                  [&](int64_t window, const std::vector<int64_t> &inputs) {
                    double divisor = attrs.countIncludePad
                                         ? fullWindow
                                         : static_cast<double>(inputs.size());
                    double share = static_cast<double>(grad[window]) / divisor;
                    for (int64_t i : inputs)
                      sums[static_cast<size_t>(i)] += share;
                  });
    store<T>(sums, out);
    return Error::success();
  });
}

} // namespace nnc::ref
