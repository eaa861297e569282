//===- NormGrad.cpp - Reference batch_norm backward -----------------------===//

#include "backends/ref/kernels/NormGrad.h"

#include "backends/ref/kernels/KernelSupport.h"

#include <cmath>

namespace nnc::ref {

using namespace detail;

Error batchNormGrad(ConstTensorView x, ConstTensorView gamma,
                    ConstTensorView mean, ConstTensorView var,
                    ConstTensorView dy, const BatchNormGradAttrs &attrs,
                    TensorView dx, TensorView dgamma, TensorView dbeta) {
  const char *op = "batch_norm_grad";
  if (x.rank() < 2)
    return opError(op, "input needs rank >= 2, got " +
                           rt::shapeToString(x.shape()));
  int64_t batch = x.dim(0), channels = x.dim(1), spatial = 1;
  for (int64_t i = 2; i < x.rank(); ++i)
    spatial *= x.dim(i);
  for (auto [what, tensor] :
       {std::pair<const char *, ConstTensorView>{"gamma", gamma},
        {"mean", mean},
        {"var", var},
        {"dgamma", dgamma},
        {"dbeta", dbeta}}) {
    if (Error e = checkDType(op, what, tensor, x.dtype()); !e.ok())
      return e;
    if (Error e = checkShape(op, what, tensor, {channels}); !e.ok())
      return e;
  }
  for (auto [what, tensor] :
       {std::pair<const char *, ConstTensorView>{"dy", dy}, {"dx", dx}}) {
    if (Error e = checkDType(op, what, tensor, x.dtype()); !e.ok())
      return e;
    if (Error e = checkShape(op, what, tensor, x.shape()); !e.ok())
      return e;
  }
  double count = static_cast<double>(batch * spatial);
  auto index = [&](int64_t n, int64_t c, int64_t s) {
    return (n * channels + c) * spatial + s;
  };

  return dispatchFloat(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    auto xAt = [&](int64_t i) { return static_cast<double>(x.at<T>(i)); };
    auto dyAt = [&](int64_t i) { return static_cast<double>(dy.at<T>(i)); };
    for (int64_t c = 0; c < channels; ++c) {
      double center = static_cast<double>(mean.at<T>(c));
      double variance = static_cast<double>(var.at<T>(c));
      if (attrs.training) {
        double sum = 0;
        for (int64_t n = 0; n < batch; ++n)
          for (int64_t s = 0; s < spatial; ++s)
            sum += xAt(index(n, c, s));
        center = sum / count;
        double squares = 0;
        for (int64_t n = 0; n < batch; ++n)
          for (int64_t s = 0; s < spatial; ++s) {
            double d = xAt(index(n, c, s)) - center;
            squares += d * d;
          }
        variance = squares / count;
      }
      double invStd = 1.0 / std::sqrt(variance + attrs.eps);
      double sumDy = 0, sumDyXhat = 0;
      for (int64_t n = 0; n < batch; ++n)
        for (int64_t s = 0; s < spatial; ++s) {
          int64_t i = index(n, c, s);
          sumDy += dyAt(i);
          sumDyXhat += dyAt(i) * (xAt(i) - center) * invStd;
        }
      double scale = static_cast<double>(gamma.at<T>(c)) * invStd;
      // Read everything of the channel before writing: dx may be dy.
      for (int64_t n = 0; n < batch; ++n)
        for (int64_t s = 0; s < spatial; ++s) {
          int64_t i = index(n, c, s);
          double g = dyAt(i);
          if (attrs.training) {
            double xhat = (xAt(i) - center) * invStd;
            g = g - sumDy / count - xhat * sumDyXhat / count;
          }
          dx.at<T>(i) = static_cast<T>(scale * g);
        }
      dgamma.at<T>(c) = static_cast<T>(sumDyXhat);
      dbeta.at<T>(c) = static_cast<T>(sumDy);
    }
    return Error::success();
  });
}

} // namespace nnc::ref
