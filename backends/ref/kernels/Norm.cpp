//===- Norm.cpp - Reference batch normalization ---------------------------===//

#include "backends/ref/kernels/Norm.h"

#include "backends/ref/kernels/KernelSupport.h"

#include <cmath>

namespace nnc::ref {

using namespace detail;

namespace {

/// x viewed as [n, c, spatial].
struct ChannelLayout {
  int64_t batch = 0, channels = 0, spatial = 1;
  int64_t index(int64_t n, int64_t c, int64_t s) const {
    return (n * channels + c) * spatial + s;
  }
};

Error checkOperands(
    const char *op, ConstTensorView x,
    std::initializer_list<std::pair<const char *, ConstTensorView>> perChannel,
    ChannelLayout &layout) {
  if (x.rank() < 2)
    return opError(op, "input needs rank >= 2, got " +
                           rt::shapeToString(x.shape()));
  layout.batch = x.dim(0);
  layout.channels = x.dim(1);
  for (int64_t i = 2; i < x.rank(); ++i)
    layout.spatial *= x.dim(i);
  for (const auto &[what, tensor] : perChannel) {
    if (Error e = checkDType(op, what, tensor, x.dtype()); !e.ok())
      return e;
    if (Error e = checkShape(op, what, tensor, {layout.channels}); !e.ok())
      return e;
  }
  return Error::success();
}

} // namespace

Error batchNormEval(ConstTensorView x, ConstTensorView gamma,
                    ConstTensorView beta, ConstTensorView mean,
                    ConstTensorView var, const BatchNormAttrs &attrs,
                    TensorView out) {
  const char *op = "batch_norm";
  ChannelLayout layout;
  if (Error e = checkOperands(
          op, x,
          {{"gamma", gamma}, {"beta", beta}, {"mean", mean}, {"var", var}},
          layout);
      !e.ok())
    return e;
  if (Error e = checkDType(op, "output", out, x.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(op, "output", out, x.shape()); !e.ok())
    return e;
  return dispatchFloat(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t c = 0; c < layout.channels; ++c) {
      double scale = static_cast<double>(gamma.at<T>(c)) /
                     std::sqrt(static_cast<double>(var.at<T>(c)) + attrs.eps);
      double shift = static_cast<double>(beta.at<T>(c));
      double center = static_cast<double>(mean.at<T>(c));
      for (int64_t n = 0; n < layout.batch; ++n)
        for (int64_t s = 0; s < layout.spatial; ++s) {
          int64_t i = layout.index(n, c, s);
          out.at<T>(i) = static_cast<T>(
              (static_cast<double>(x.at<T>(i)) - center) * scale + shift);
        }
    }
    return Error::success();
  });
}

Error batchNormTrain(ConstTensorView x, ConstTensorView gamma,
                     ConstTensorView beta, ConstTensorView runningMean,
                     ConstTensorView runningVar, const BatchNormAttrs &attrs,
                     TensorView out, TensorView updatedMean,
                     TensorView updatedVar) {
  const char *op = "batch_norm";
  ChannelLayout layout;
  if (Error e = checkOperands(op, x,
                              {{"gamma", gamma},
                               {"beta", beta},
                               {"running mean", runningMean},
                               {"running var", runningVar},
                               {"updated mean", updatedMean},
                               {"updated var", updatedVar}},
                              layout);
      !e.ok())
    return e;
  if (Error e = checkDType(op, "output", out, x.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(op, "output", out, x.shape()); !e.ok())
    return e;
  int64_t perChannel = layout.batch * layout.spatial;
  if (perChannel < 2)
    return opError(op, "training needs more than one value per channel, got " +
                           rt::shapeToString(x.shape()));
  double count = static_cast<double>(perChannel);
  return dispatchFloat(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t c = 0; c < layout.channels; ++c) {
      double sum = 0;
      for (int64_t n = 0; n < layout.batch; ++n)
        for (int64_t s = 0; s < layout.spatial; ++s)
          sum += static_cast<double>(x.at<T>(layout.index(n, c, s)));
      double batchMean = sum / count;
      double squares = 0;
      for (int64_t n = 0; n < layout.batch; ++n)
        for (int64_t s = 0; s < layout.spatial; ++s) {
          double d =
              static_cast<double>(x.at<T>(layout.index(n, c, s))) - batchMean;
          squares += d * d;
        }
      double batchVar = squares / count;

      double scale =
          static_cast<double>(gamma.at<T>(c)) / std::sqrt(batchVar + attrs.eps);
      double shift = static_cast<double>(beta.at<T>(c));
      for (int64_t n = 0; n < layout.batch; ++n)
        for (int64_t s = 0; s < layout.spatial; ++s) {
          int64_t i = layout.index(n, c, s);
          out.at<T>(i) = static_cast<T>(
              (static_cast<double>(x.at<T>(i)) - batchMean) * scale + shift);
        }

      // Read the running values before writing: the update may be in place.
      double oldMean = static_cast<double>(runningMean.at<T>(c));
      double oldVar = static_cast<double>(runningVar.at<T>(c));
      double unbiasedVar = batchVar * count / (count - 1);
      updatedMean.at<T>(c) = static_cast<T>((1 - attrs.momentum) * oldMean +
                                            attrs.momentum * batchMean);
      updatedVar.at<T>(c) = static_cast<T>((1 - attrs.momentum) * oldVar +
                                           attrs.momentum * unbiasedVar);
    }
    return Error::success();
  });
}

} // namespace nnc::ref
