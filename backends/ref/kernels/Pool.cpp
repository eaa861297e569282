//===- Pool.cpp - Reference 2-D pooling -----------------------------------===//

#include "backends/ref/kernels/Pool.h"

#include "backends/ref/kernels/KernelSupport.h"

#include <cmath>
#include <limits>

namespace nnc::ref {

using namespace detail;

namespace {

enum class PoolKind { Max, Avg };

Error pool2d(PoolKind kind, ConstTensorView x, const Pool2dAttrs &attrs,
             TensorView out) {
  const char *op = kind == PoolKind::Max ? "max_pool2d" : "avg_pool2d";
  if (Error e = checkRank(op, "input", x, 4); !e.ok())
    return e;
  std::array<int64_t, 2> stride = attrs.stride.value_or(attrs.kernel);
  std::array<int64_t, 2> outExtent{};
  for (int i = 0; i < 2; ++i) {
    if (attrs.kernel[i] <= 0 || stride[i] <= 0)
      return opError(op, "kernel and stride must be positive");
    if (attrs.padding[i] < 0 || attrs.padding[i] > attrs.kernel[i] / 2)
      return opError(op, "padding must be between 0 and half the kernel");
    int64_t padded = x.dim(2 + i) + 2 * attrs.padding[i];
    if (padded < attrs.kernel[i])
      return opError(op, "kernel does not fit the padded input");
    outExtent[i] = (padded - attrs.kernel[i]) / stride[i] + 1;
  }
  int64_t batch = x.dim(0), channels = x.dim(1), height = x.dim(2),
          width = x.dim(3);
  if (Error e = checkDType(op, "output", out, x.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(op, "output", out,
                           {batch, channels, outExtent[0], outExtent[1]});
      !e.ok())
    return e;

  return dispatchFloat(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *in = x.data<T>();
    T *result = out.data<T>();
    int64_t to = 0;
    for (int64_t plane = 0; plane < batch * channels; ++plane) {
      const T *image = in + plane * height * width;
      for (int64_t oh = 0; oh < outExtent[0]; ++oh) {
        for (int64_t ow = 0; ow < outExtent[1]; ++ow) {
          double max = -std::numeric_limits<double>::infinity();
          double sum = 0;
          int64_t real = 0;
          bool sawNaN = false;
          for (int64_t kh = 0; kh < attrs.kernel[0]; ++kh) {
            int64_t ih = oh * stride[0] - attrs.padding[0] + kh;
            for (int64_t kw = 0; kw < attrs.kernel[1]; ++kw) {
              int64_t iw = ow * stride[1] - attrs.padding[1] + kw;
              if (ih < 0 || ih >= height || iw < 0 || iw >= width)
                continue;
              double value = static_cast<double>(image[ih * width + iw]);
              sawNaN |= std::isnan(value);
              max = std::fmax(max, value);
              sum += value;
              ++real;
            }
          }
          double value;
          if (kind == PoolKind::Max)
            value = sawNaN ? std::numeric_limits<double>::quiet_NaN() : max;
          else if (attrs.countIncludePad)
            value =
                sum / static_cast<double>(attrs.kernel[0] * attrs.kernel[1]);
          else
            value = sum / static_cast<double>(real);
          result[to++] = static_cast<T>(value);
        }
      }
    }
    return Error::success();
  });
}

} // namespace

Error maxPool2d(ConstTensorView x, const Pool2dAttrs &attrs, TensorView out) {
  return pool2d(PoolKind::Max, x, attrs, out);
}

Error avgPool2d(ConstTensorView x, const Pool2dAttrs &attrs, TensorView out) {
  return pool2d(PoolKind::Avg, x, attrs, out);
}

} // namespace nnc::ref
