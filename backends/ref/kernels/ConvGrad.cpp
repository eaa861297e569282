//===- ConvGrad.cpp - Reference conv2d backward ops -----------------------===//

#include "backends/ref/kernels/ConvGrad.h"

#include "backends/ref/kernels/KernelSupport.h"

namespace nnc::ref {

using namespace detail;

namespace {

/// The extents of one convolution, checked as conv2d checks them.
struct ConvGeometry {
  int64_t batch = 0, channels = 0, height = 0, width = 0;
  int64_t filters = 0, kernelH = 0, kernelW = 0;
  int64_t groupChannels = 0, groupFilters = 0;
  int64_t outH = 0, outW = 0;

  int64_t inputIndex(int64_t n, int64_t c, int64_t h, int64_t w) const {
    return ((n * channels + c) * height + h) * width + w;
  }
  int64_t weightIndex(int64_t f, int64_t c, int64_t kh, int64_t kw) const {
    return ((f * groupChannels + c) * kernelH + kh) * kernelW + kw;
  }
  int64_t outputIndex(int64_t n, int64_t f, int64_t oh, int64_t ow) const {
    return ((n * filters + f) * outH + oh) * outW + ow;
  }
};

/// Checks x's and the weight's shapes, the attributes and dy against them,
/// and that all three share x's float dtype.
Expected<ConvGeometry> checkConv(const char *op, ConstTensorView x,
                                 ConstTensorView weight, ConstTensorView dy,
                                 const Conv2dAttrs &attrs) {
  if (Error e = checkRank(op, "input", x, 4); !e.ok())
    return e;
  if (Error e = checkRank(op, "weight", weight, 4); !e.ok())
    return e;
  if (Error e = checkDType(op, "weight", weight, x.dtype()); !e.ok())
    return e;
  if (Error e = checkDType(op, "dy", dy, x.dtype()); !e.ok())
    return e;
  for (int i = 0; i < 2; ++i)
    if (attrs.stride[i] <= 0 || attrs.dilation[i] <= 0 || attrs.padding[i] < 0)
      return opError(op, "stride and dilation must be positive and padding "
                         "non-negative");
  ConvGeometry g;
  g.batch = x.dim(0);
  g.channels = x.dim(1);
  g.height = x.dim(2);
  g.width = x.dim(3);
  g.filters = weight.dim(0);
  g.kernelH = weight.dim(2);
  g.kernelW = weight.dim(3);
  int64_t groups = attrs.groups;
  if (groups <= 0 || g.channels % groups != 0 || g.filters % groups != 0)
    return opError(op, "groups " + std::to_string(groups) +
                           " must divide the channels (" +
                           std::to_string(g.channels) + ") and filters (" +
                           std::to_string(g.filters) + ")");
  g.groupChannels = g.channels / groups;
  g.groupFilters = g.filters / groups;
  if (weight.dim(1) != g.groupChannels)
    return opError(op, "weight " + rt::shapeToString(weight.shape()) +
                           " needs " + std::to_string(g.groupChannels) +
                           " input channels per group");
  auto outExtent = [&](int64_t in, int64_t kernel, int i) {
    int64_t span = attrs.dilation[i] * (kernel - 1) + 1;
    int64_t padded = in + 2 * attrs.padding[i];
    return padded < span ? -1 : (padded - span) / attrs.stride[i] + 1;
  };
  g.outH = outExtent(g.height, g.kernelH, 0);
  g.outW = outExtent(g.width, g.kernelW, 1);
  if (g.outH <= 0 || g.outW <= 0)
    return opError(op, "kernel does not fit the padded input");
  if (Error e = checkShape(op, "dy", dy, {g.batch, g.filters, g.outH, g.outW});
      !e.ok())
    return e;
  if (Error e =
          dispatchFloat(op, x.dtype(), [](auto) { return Error::success(); });
      !e.ok())
    return e;
  return g;
}

/// Calls visit(inputIndex, weightIndex, outputIndex) for every product
/// x * w that conv2d adds into an output element, skipping padding.
template <typename Visit>
void forEachTap(const ConvGeometry &g, const Conv2dAttrs &attrs, Visit visit) {
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t f = 0; f < g.filters; ++f) {
      int64_t firstChannel = (f / g.groupFilters) * g.groupChannels;
      for (int64_t oh = 0; oh < g.outH; ++oh)
        for (int64_t ow = 0; ow < g.outW; ++ow) {
          int64_t to = g.outputIndex(n, f, oh, ow);
          for (int64_t c = 0; c < g.groupChannels; ++c)
            for (int64_t kh = 0; kh < g.kernelH; ++kh) {
              int64_t ih = oh * attrs.stride[0] - attrs.padding[0] +
                           kh * attrs.dilation[0];
              if (ih < 0 || ih >= g.height)
                continue;
              for (int64_t kw = 0; kw < g.kernelW; ++kw) {
                int64_t iw = ow * attrs.stride[1] - attrs.padding[1] +
                             kw * attrs.dilation[1];
                if (iw < 0 || iw >= g.width)
                  continue;
                visit(g.inputIndex(n, firstChannel + c, ih, iw),
                      g.weightIndex(f, c, kh, kw), to);
              }
            }
        }
    }
}

/// Writes the double sums into out's float type.
template <typename T>
void store(const std::vector<double> &sums, TensorView out) {
  T *result = out.data<T>();
  for (size_t i = 0; i < sums.size(); ++i)
    result[i] = static_cast<T>(sums[i]);
}

} // namespace

Error conv2dGradInput(ConstTensorView dy, ConstTensorView weight,
                      const Conv2dAttrs &attrs, TensorView out) {
  const char *op = "conv2d_grad_input";
  Expected<ConvGeometry> g = checkConv(op, out, weight, dy, attrs);
  if (!g)
    return g.takeError();
  return dispatchFloat(op, out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *w = weight.data<T>();
    const T *grad = dy.data<T>();
    std::vector<double> sums(static_cast<size_t>(out.numElements()), 0.0);
    forEachTap(*g, attrs, [&](int64_t in, int64_t wi, int64_t to) {
      sums[static_cast<size_t>(in)] +=
          static_cast<double>(grad[to]) * static_cast<double>(w[wi]);
    });
    store<T>(sums, out);
    return Error::success();
  });
}

Error conv2dGradWeight(ConstTensorView x, ConstTensorView dy,
                       const Conv2dAttrs &attrs, TensorView out) {
  const char *op = "conv2d_grad_weight";
  Expected<ConvGeometry> g = checkConv(op, x, out, dy, attrs);
  if (!g)
    return g.takeError();
  return dispatchFloat(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *in = x.data<T>();
    const T *grad = dy.data<T>();
    std::vector<double> sums(static_cast<size_t>(out.numElements()), 0.0);
    forEachTap(*g, attrs, [&](int64_t xi, int64_t wi, int64_t to) {
      sums[static_cast<size_t>(wi)] +=
          static_cast<double>(grad[to]) * static_cast<double>(in[xi]);
    });
    store<T>(sums, out);
    return Error::success();
  });
}

} // namespace nnc::ref
