//===- Conv.cpp - Reference 2-D convolution -------------------------------===//

#include "backends/ref/kernels/Conv.h"

#include "backends/ref/kernels/KernelSupport.h"

namespace nnc::ref {

using namespace detail;

Error conv2d(ConstTensorView x, ConstTensorView weight,
             std::optional<ConstTensorView> bias, const Conv2dAttrs &attrs,
             TensorView out) {
  const char *op = "conv2d";
  if (Error e = checkRank(op, "input", x, 4); !e.ok())
    return e;
  if (Error e = checkRank(op, "weight", weight, 4); !e.ok())
    return e;
  if (Error e = checkDType(op, "weight", weight, x.dtype()); !e.ok())
    return e;
  for (int i = 0; i < 2; ++i)
    if (attrs.stride[i] <= 0 || attrs.dilation[i] <= 0 || attrs.padding[i] < 0)
      return opError(op, "stride and dilation must be positive and padding "
                         "non-negative");
  int64_t batch = x.dim(0), channels = x.dim(1), height = x.dim(2),
          width = x.dim(3);
  int64_t filters = weight.dim(0), kernelH = weight.dim(2),
          kernelW = weight.dim(3);
  int64_t groups = attrs.groups;
  if (groups <= 0 || channels % groups != 0 || filters % groups != 0)
    return opError(op, "groups " + std::to_string(groups) +
                           " must divide the channels (" +
                           std::to_string(channels) + ") and filters (" +
                           std::to_string(filters) + ")");
  int64_t groupChannels = channels / groups, groupFilters = filters / groups;
  if (weight.dim(1) != groupChannels)
    return opError(op, "weight " + rt::shapeToString(weight.shape()) +
                           " needs " + std::to_string(groupChannels) +
                           " input channels per group");
  if (bias) {
    if (Error e = checkDType(op, "bias", *bias, x.dtype()); !e.ok())
      return e;
    if (Error e = checkShape(op, "bias", *bias, {filters}); !e.ok())
      return e;
  }
  auto outExtent = [&](int64_t in, int64_t kernel, int i) {
    int64_t span = attrs.dilation[i] * (kernel - 1) + 1;
    int64_t padded = in + 2 * attrs.padding[i];
    return padded < span ? -1 : (padded - span) / attrs.stride[i] + 1;
  };
  int64_t outH = outExtent(height, kernelH, 0);
  int64_t outW = outExtent(width, kernelW, 1);
  if (outH <= 0 || outW <= 0)
    return opError(op, "kernel does not fit the padded input");
  if (Error e = checkDType(op, "output", out, x.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(op, "output", out, {batch, filters, outH, outW});
      !e.ok())
    return e;

  return dispatchFloat(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *in = x.data<T>();
    const T *w = weight.data<T>();
    T *result = out.data<T>();
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t f = 0; f < filters; ++f) {
        int64_t firstChannel = (f / groupFilters) * groupChannels;
        double biasValue = bias ? static_cast<double>(bias->at<T>(f)) : 0.0;
        for (int64_t oh = 0; oh < outH; ++oh) {
          for (int64_t ow = 0; ow < outW; ++ow) {
            double sum = biasValue;
            for (int64_t c = 0; c < groupChannels; ++c) {
              for (int64_t kh = 0; kh < kernelH; ++kh) {
                int64_t ih = oh * attrs.stride[0] - attrs.padding[0] +
                             kh * attrs.dilation[0];
                if (ih < 0 || ih >= height)
                  continue; // A zero from the padding.
                for (int64_t kw = 0; kw < kernelW; ++kw) {
                  int64_t iw = ow * attrs.stride[1] - attrs.padding[1] +
                               kw * attrs.dilation[1];
                  if (iw < 0 || iw >= width)
                    continue;
                  int64_t inIndex =
                      ((n * channels + firstChannel + c) * height + ih) *
                          width +
                      iw;
                  int64_t wIndex =
                      ((f * groupChannels + c) * kernelH + kh) * kernelW + kw;
                  sum += static_cast<double>(in[inIndex]) *
                         static_cast<double>(w[wIndex]);
                }
              }
            }
            result[((n * filters + f) * outH + oh) * outW + ow] =
                static_cast<T>(sum);
          }
        }
      }
    }
    return Error::success();
  });
}

} // namespace nnc::ref
