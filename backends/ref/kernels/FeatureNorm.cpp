//===- FeatureNorm.cpp - Reference normalisations over features ----------===//

#include "backends/ref/kernels/FeatureNorm.h"

#include "backends/ref/kernels/KernelSupport.h"

#include <cmath>
#include <vector>

namespace nnc::ref {

using namespace detail;

namespace {

/// x as rows of features: how many of each.
struct RowLayout {
  int64_t rows = 0, width = 0;
};

/// Checks that `gamma` names x's trailing axes and that every tensor of
/// `sameAsGamma` and `sameAsX` has that shape and x's dtype; gives x's
/// rows and the features per row.
Expected<RowLayout> checkLayout(
    const char *op, ConstTensorView x, ConstTensorView gamma,
    std::initializer_list<std::pair<const char *, ConstTensorView>> sameAsGamma,
    std::initializer_list<std::pair<const char *, ConstTensorView>> sameAsX) {
  if (gamma.rank() < 1 || gamma.rank() > x.rank())
    return opError(op, "gamma " + rt::shapeToString(gamma.shape()) +
                           " must name trailing axes of input " +
                           rt::shapeToString(x.shape()));
  int64_t offset = x.rank() - gamma.rank();
  int64_t features = 1;
  for (int64_t i = 0; i < gamma.rank(); ++i) {
    if (gamma.dim(i) != x.dim(offset + i))
      return opError(op, "gamma " + rt::shapeToString(gamma.shape()) +
                             " must equal the trailing axes of input " +
                             rt::shapeToString(x.shape()));
    features *= gamma.dim(i);
  }
  for (const auto &[what, tensor] : sameAsGamma) {
    if (Error e = checkDType(op, what, tensor, x.dtype()); !e.ok())
      return e;
    if (Error e = checkShape(op, what, tensor, gamma.shape()); !e.ok())
      return e;
  }
  for (const auto &[what, tensor] : sameAsX) {
    if (Error e = checkDType(op, what, tensor, x.dtype()); !e.ok())
      return e;
    if (Error e = checkShape(op, what, tensor, x.shape()); !e.ok())
      return e;
  }
  return RowLayout{features == 0 ? 0 : x.numElements() / features, features};
}

/// Whether a normalisation subtracts each row's mean (layer_norm) or
/// only divides by its root mean square (rms_norm).
enum class Centring { Mean, None };

/// Row `row`'s mean (0 without centring) and 1 / sqrt(mean((x - mean)^2)
/// + eps): the biased variance with centring, the mean square without.
template <typename T>
std::pair<double, double> rowStatistics(ConstTensorView x, int64_t row,
                                        int64_t features, double eps,
                                        Centring centring) {
  double mean = 0;
  if (centring == Centring::Mean) {
    for (int64_t f = 0; f < features; ++f)
      mean += static_cast<double>(x.at<T>(row * features + f));
    mean /= static_cast<double>(features);
  }
  double squares = 0;
  for (int64_t f = 0; f < features; ++f) {
    double d = static_cast<double>(x.at<T>(row * features + f)) - mean;
    squares += d * d;
  }
  double variance = squares / static_cast<double>(features);
  return {mean, 1.0 / std::sqrt(variance + eps)};
}

/// out = gamma * (x - mean) * rstd (+ beta, when given) per row.
Error normalize(const char *op, ConstTensorView x, ConstTensorView gamma,
                const ConstTensorView *beta, double eps, Centring centring,
                TensorView out) {
  Expected<RowLayout> layout =
      beta ? checkLayout(op, x, gamma, {{"beta", *beta}}, {{"output", out}})
           : checkLayout(op, x, gamma, {}, {{"output", out}});
  if (!layout)
    return layout.takeError();
  int64_t rows = layout->rows, width = layout->width;
  return dispatchFloat(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t row = 0; row < rows; ++row) {
      auto [mean, rstd] = rowStatistics<T>(x, row, width, eps, centring);
      for (int64_t f = 0; f < width; ++f) {
        int64_t i = row * width + f;
        double xhat = (static_cast<double>(x.at<T>(i)) - mean) * rstd;
        double shift = beta ? static_cast<double>(beta->at<T>(f)) : 0.0;
        out.at<T>(i) =
            static_cast<T>(xhat * static_cast<double>(gamma.at<T>(f)) + shift);
      }
    }
    return Error::success();
  });
}

/// The gradients of normalize: dx, dgamma, and dbeta when given.
Error normalizeGrad(const char *op, ConstTensorView x, ConstTensorView gamma,
                    ConstTensorView dy, double eps, Centring centring,
                    TensorView dx, TensorView dgamma, const TensorView *dbeta) {
  Expected<RowLayout> layout =
      dbeta ? checkLayout(op, x, gamma, {{"dgamma", dgamma}, {"dbeta", *dbeta}},
                          {{"dy", dy}, {"dx", dx}})
            : checkLayout(op, x, gamma, {{"dgamma", dgamma}},
                          {{"dy", dy}, {"dx", dx}});
  if (!layout)
    return layout.takeError();
  int64_t rows = layout->rows, width = layout->width;
  return dispatchFloat(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    std::vector<double> sumDyXhat(static_cast<size_t>(width), 0.0);
    std::vector<double> sumDy(static_cast<size_t>(width), 0.0);
    for (int64_t row = 0; row < rows; ++row) {
      auto [mean, rstd] = rowStatistics<T>(x, row, width, eps, centring);
      // Means over the row of g = dy * gamma and of g * xhat.
      double meanG = 0, meanGXhat = 0;
      for (int64_t f = 0; f < width; ++f) {
        int64_t i = row * width + f;
        double xhat = (static_cast<double>(x.at<T>(i)) - mean) * rstd;
        double d = static_cast<double>(dy.at<T>(i));
        double g = d * static_cast<double>(gamma.at<T>(f));
        meanG += g;
        meanGXhat += g * xhat;
        sumDyXhat[static_cast<size_t>(f)] += d * xhat;
        sumDy[static_cast<size_t>(f)] += d;
      }
      // Without centring the mean is a constant, so g's mean drops out.
      meanG =
          centring == Centring::Mean ? meanG / static_cast<double>(width) : 0.0;
      meanGXhat /= static_cast<double>(width);
      for (int64_t f = 0; f < width; ++f) {
        int64_t i = row * width + f;
        double xhat = (static_cast<double>(x.at<T>(i)) - mean) * rstd;
        double g = static_cast<double>(dy.at<T>(i)) *
                   static_cast<double>(gamma.at<T>(f));
        dx.at<T>(i) = static_cast<T>(rstd * (g - meanG - xhat * meanGXhat));
      }
    }
    for (int64_t f = 0; f < width; ++f) {
      dgamma.at<T>(f) = static_cast<T>(sumDyXhat[static_cast<size_t>(f)]);
      if (dbeta)
        dbeta->at<T>(f) = static_cast<T>(sumDy[static_cast<size_t>(f)]);
    }
    return Error::success();
  });
}

} // namespace

Error layerNorm(ConstTensorView x, ConstTensorView gamma, ConstTensorView beta,
                const LayerNormAttrs &attrs, TensorView out) {
  return normalize("layer_norm", x, gamma, &beta, attrs.eps, Centring::Mean,
                   out);
}

Error layerNormGrad(ConstTensorView x, ConstTensorView gamma,
                    ConstTensorView dy, const LayerNormAttrs &attrs,
                    TensorView dx, TensorView dgamma, TensorView dbeta) {
  return normalizeGrad("layer_norm_grad", x, gamma, dy, attrs.eps,
                       Centring::Mean, dx, dgamma, &dbeta);
}

Error rmsNorm(ConstTensorView x, ConstTensorView gamma,
              const LayerNormAttrs &attrs, TensorView out) {
  return normalize("rms_norm", x, gamma, nullptr, attrs.eps, Centring::None,
                   out);
}

Error rmsNormGrad(ConstTensorView x, ConstTensorView gamma, ConstTensorView dy,
                  const LayerNormAttrs &attrs, TensorView dx,
                  TensorView dgamma) {
  return normalizeGrad("rms_norm_grad", x, gamma, dy, attrs.eps, Centring::None,
                       dx, dgamma, nullptr);
}

} // namespace nnc::ref
