//===- Loss.cpp - Reference loss functions --------------------------------===//

#include "backends/ref/kernels/Loss.h"

#include "backends/ref/kernels/KernelSupport.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nnc::ref {

using namespace detail;

namespace {

/// The checks shared by the two pointwise losses; returns the broadcast
/// shape the mean runs over.
Expected<Shape> checkPointwise(const char *op, ConstTensorView lhs,
                               ConstTensorView rhs, TensorView out) {
  if (Error e = checkDType(op, "target", rhs, lhs.dtype()); !e.ok())
    return e;
  if (Error e = checkDType(op, "output", out, lhs.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(op, "output", out, {}); !e.ok())
    return e;
  return broadcastShapes(op, lhs.shape(), rhs.shape());
}

/// Calls `term(a, b)` for every element pair of the broadcast operands and
/// writes the mean of the terms (in double) to the scalar `out`; a term may
/// fail, which stops the loop.
template <typename T, typename Term>
Error meanOverBroadcast(ConstTensorView lhs, ConstTensorView rhs,
                        const Shape &shape, TensorView out, Term term) {
  std::vector<int64_t> stridesL = broadcastStrides(lhs.shape(), shape);
  std::vector<int64_t> stridesR = broadcastStrides(rhs.shape(), shape);
  int64_t count = rt::elementCount(shape);
  double sum = 0;
  for (int64_t i = 0; i < count; ++i) {
    Expected<double> value =
        term(static_cast<double>(lhs.data<T>()[offsetOf(i, shape, stridesL)]),
             static_cast<double>(rhs.data<T>()[offsetOf(i, shape, stridesR)]));
    if (!value)
      return value.takeError();
    sum += *value;
  }
  out.at<T>(0) = static_cast<T>(sum / static_cast<double>(count));
  return Error::success();
}

} // namespace

Error mse(ConstTensorView prediction, ConstTensorView target, TensorView out) {
  const char *op = "mse";
  Expected<Shape> shape = checkPointwise(op, prediction, target, out);
  if (!shape)
    return shape.takeError();
  return dispatchFloat(op, prediction.dtype(), [&](auto tag) {
    return meanOverBroadcast<decltype(tag)>(
        prediction, target, *shape, out,
        [](double p, double t) -> Expected<double> {
          return (p - t) * (p - t);
        });
  });
}

Error binaryCrossEntropy(ConstTensorView probabilities, ConstTensorView target,
                         TensorView out) {
  const char *op = "binary_cross_entropy";
  Expected<Shape> shape = checkPointwise(op, probabilities, target, out);
  if (!shape)
    return shape.takeError();
  return dispatchFloat(op, probabilities.dtype(), [&](auto tag) {
    return meanOverBroadcast<decltype(tag)>(
        probabilities, target, *shape, out,
        [op](double p, double t) -> Expected<double> {
          if (!(p >= 0.0 && p <= 1.0))
            return opError(op, "probability " + formatNumber(p) +
                                   " is outside [0, 1]");
          double logP = std::fmax(std::log(p), -100.0);
          double logNotP = std::fmax(std::log1p(-p), -100.0);
          return -(t * logP + (1.0 - t) * logNotP);
        });
  });
}

Error softmaxCrossEntropy(ConstTensorView logits, ConstTensorView labels,
                          int64_t ignoreIndex, TensorView out) {
  const char *op = "softmax_cross_entropy";
  Expected<std::pair<int64_t, int64_t>> layout = classRows(op, logits, labels);
  if (!layout)
    return layout.takeError();
  int64_t rows = layout->first, classes = layout->second;
  if (Error e = checkDType(op, "output", out, logits.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(op, "output", out, {}); !e.ok())
    return e;
  return dispatchFloat(op, logits.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return dispatchIndex(op, labels.dtype(), [&](auto indexTag) {
      using I = decltype(indexTag);
      const T *values = logits.data<T>();
      const I *label = labels.data<I>();
      double sum = 0;
      int64_t counted = 0;
      for (int64_t i = 0; i < rows; ++i) {
        if (static_cast<int64_t>(label[i]) == ignoreIndex)
          continue;
        ++counted;
        if (label[i] < 0 || label[i] >= classes)
          return opError(op, "label " + std::to_string(label[i]) + " of row " +
                                 std::to_string(i) + " is out of range [0, " +
                                 std::to_string(classes) + ")");
        const T *row = values + i * classes;
        double max = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < classes; ++j)
          max = std::fmax(max, static_cast<double>(row[j]));
        double expSum = 0;
        for (int64_t j = 0; j < classes; ++j)
          expSum += std::exp(static_cast<double>(row[j]) - max);
        double logSumExp = max + std::log(expSum);
        sum += logSumExp - static_cast<double>(row[label[i]]);
      }
      // A batch whose every position is ignored (padding only) has
      // nothing to score: 0, not 0/0, so that training goes on.
      out.at<T>(0) = static_cast<T>(
          sum / static_cast<double>(std::max<int64_t>(counted, 1)));
      return Error::success();
    });
  });
}

} // namespace nnc::ref
