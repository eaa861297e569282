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

/// The mean and 1 / sqrt(biased variance + eps) of row `row`.
template <typename T>
std::pair<double, double> rowStatistics(ConstTensorView x, int64_t row,
                                        int64_t features, double eps) {
  double sum = 0;
  for (int64_t f = 0; f < features; ++f)
    sum += static_cast<double>(x.at<T>(row * features + f));
  double mean = sum / static_cast<double>(features);
  double squares = 0;
  for (int64_t f = 0; f < features; ++f) {
    double d = static_cast<double>(x.at<T>(row * features + f)) - mean;
    squares += d * d;
  }
  double variance = squares / static_cast<double>(features);
  return {mean, 1.0 / std::sqrt(variance + eps)};
}

} // namespace

Error layerNorm(ConstTensorView x, ConstTensorView gamma, ConstTensorView beta,
                const LayerNormAttrs &attrs, TensorView out) {
  const char *op = "layer_norm";
  Expected<RowLayout> layout =
      checkLayout(op, x, gamma, {{"beta", beta}}, {{"output", out}});
  if (!layout)
    return layout.takeError();
  int64_t rows = layout->rows, width = layout->width;
  return dispatchFloat(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t row = 0; row < rows; ++row) {
      auto [mean, rstd] = rowStatistics<T>(x, row, width, attrs.eps);
      for (int64_t f = 0; f < width; ++f) {
        int64_t i = row * width + f;
        double xhat = (static_cast<double>(x.at<T>(i)) - mean) * rstd;
        out.at<T>(i) =
            static_cast<T>(xhat * static_cast<double>(gamma.at<T>(f)) +
                           static_cast<double>(beta.at<T>(f)));
      }
    }
    return Error::success();
  });
}

Error layerNormGrad(ConstTensorView x, ConstTensorView gamma,
                    ConstTensorView dy, const LayerNormAttrs &attrs,
                    TensorView dx, TensorView dgamma, TensorView dbeta) {
  const char *op = "layer_norm_grad";
  Expected<RowLayout> layout =
      checkLayout(op, x, gamma, {{"dgamma", dgamma}, {"dbeta", dbeta}},
                  {{"dy", dy}, {"dx", dx}});
  if (!layout)
    return layout.takeError();
  int64_t rows = layout->rows, width = layout->width;
  return dispatchFloat(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    std::vector<double> sumDyXhat(static_cast<size_t>(width), 0.0);
    std::vector<double> sumDy(static_cast<size_t>(width), 0.0);
    for (int64_t row = 0; row < rows; ++row) {
      auto [mean, rstd] = rowStatistics<T>(x, row, width, attrs.eps);
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
      meanG /= static_cast<double>(width);
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
      dbeta.at<T>(f) = static_cast<T>(sumDy[static_cast<size_t>(f)]);
    }
    return Error::success();
  });
}

} // namespace nnc::ref
