//===- LossGrad.cpp - Reference loss backward ops -------------------------===//

#include "backends/ref/kernels/LossGrad.h"

#include "backends/ref/kernels/KernelSupport.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nnc::ref {

using namespace detail;

namespace {

/// Checks out against `prediction` and dloss as a scalar of its dtype.
Error checkGradOutputs(const char *op, ConstTensorView prediction,
                       ConstTensorView dloss, TensorView out) {
  if (Error e = checkDType(op, "dloss", dloss, prediction.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(op, "dloss", dloss, {}); !e.ok())
    return e;
  if (Error e = checkDType(op, "output", out, prediction.dtype()); !e.ok())
    return e;
  return checkShape(op, "output", out, prediction.shape());
}

} // namespace

Error softmaxCrossEntropyGrad(ConstTensorView logits, ConstTensorView labels,
                              ConstTensorView dloss, int64_t ignoreIndex,
                              TensorView out) {
  const char *op = "softmax_cross_entropy_grad";
  Expected<std::pair<int64_t, int64_t>> layout = classRows(op, logits, labels);
  if (!layout)
    return layout.takeError();
  int64_t rows = layout->first, classes = layout->second;
  if (Error e = checkGradOutputs(op, logits, dloss, out); !e.ok())
    return e;
  return dispatchFloat(op, logits.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return dispatchIndex(op, labels.dtype(), [&](auto indexTag) {
      using I = decltype(indexTag);
      const I *label = labels.data<I>();
      int64_t counted = 0;
      for (int64_t i = 0; i < rows; ++i) {
        if (static_cast<int64_t>(label[i]) == ignoreIndex)
          continue;
        ++counted;
        if (label[i] < 0 || label[i] >= classes)
          return opError(op, "label " + std::to_string(label[i]) + " of row " +
                                 std::to_string(i) + " is out of range [0, " +
                                 std::to_string(classes) + ")");
      }
      double scale = static_cast<double>(dloss.at<T>(0)) /
                     static_cast<double>(std::max<int64_t>(counted, 1));
      const T *values = logits.data<T>();
      T *result = out.data<T>();
      std::vector<double> probabilities(static_cast<size_t>(classes));
      for (int64_t i = 0; i < rows; ++i) {
        if (static_cast<int64_t>(label[i]) == ignoreIndex) {
          std::fill(result + i * classes, result + (i + 1) * classes, T(0));
          continue;
        }
        const T *row = values + i * classes;
        double max = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < classes; ++j)
          max = std::fmax(max, static_cast<double>(row[j]));
        double sum = 0;
        for (int64_t j = 0; j < classes; ++j) {
          probabilities[static_cast<size_t>(j)] =
              std::exp(static_cast<double>(row[j]) - max);
          sum += probabilities[static_cast<size_t>(j)];
        }
        for (int64_t j = 0; j < classes; ++j) {
          double target = j == static_cast<int64_t>(label[i]) ? 1.0 : 0.0;
          result[i * classes + j] = static_cast<T>(
              (probabilities[static_cast<size_t>(j)] / sum - target) * scale);
        }
      }
      return Error::success();
    });
  });
}

Error binaryCrossEntropyGrad(ConstTensorView probabilities,
                             ConstTensorView target, ConstTensorView dloss,
                             TensorView out) {
  const char *op = "binary_cross_entropy_grad";
  if (Error e = checkDType(op, "target", target, probabilities.dtype());
      !e.ok())
    return e;
  if (Error e = checkGradOutputs(op, probabilities, dloss, out); !e.ok())
    return e;
  Expected<Shape> shape =
      broadcastShapes(op, probabilities.shape(), target.shape());
  if (!shape)
    return shape.takeError();
  return dispatchFloat(op, probabilities.dtype(), [&](auto tag) {
    using T = decltype(tag);
    std::vector<int64_t> stridesP =
        broadcastStrides(probabilities.shape(), *shape);
    std::vector<int64_t> stridesT = broadcastStrides(target.shape(), *shape);
    int64_t count = rt::elementCount(*shape);
    double scale =
        static_cast<double>(dloss.at<T>(0)) / static_cast<double>(count);
    const T *p = probabilities.data<T>();
    const T *t = target.data<T>();
    std::vector<double> sums(static_cast<size_t>(out.numElements()), 0.0);
    for (int64_t i = 0; i < count; ++i) {
      int64_t at = offsetOf(i, *shape, stridesP);
      double pv = static_cast<double>(p[at]);
      if (!(pv >= 0.0 && pv <= 1.0))
        return opError(op, "probability " + formatNumber(pv) +
                               " is outside [0, 1]");
      double tv = static_cast<double>(t[offsetOf(i, *shape, stridesT)]);
      sums[static_cast<size_t>(at)] +=
          (pv - tv) / std::max(pv * (1.0 - pv), 1e-12) * scale;
    }
    T *result = out.data<T>();
    for (size_t i = 0; i < sums.size(); ++i)
      result[i] = static_cast<T>(sums[i]);
    return Error::success();
  });
}

} // namespace nnc::ref
