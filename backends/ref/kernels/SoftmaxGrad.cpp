//===- SoftmaxGrad.cpp - Reference softmax backward ops -------------------===//

#include "backends/ref/kernels/SoftmaxGrad.h"

#include "backends/ref/kernels/KernelSupport.h"

#include <cmath>

namespace nnc::ref {

using namespace detail;

namespace {

/// Shared by both ops: views the tensors as [outer, axis, inner] and
/// handles each of the outer * inner slices along the middle dimension.
Error softmaxGradImpl(const char *op, ConstTensorView y, ConstTensorView dy,
                      int64_t axis, bool fromLog, TensorView out) {
  if (Error e = checkDType(op, "dy", dy, y.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(op, "dy", dy, y.shape()); !e.ok())
    return e;
  if (Error e = checkDType(op, "output", out, y.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(op, "output", out, y.shape()); !e.ok())
    return e;
  Expected<int64_t> dim = normalizeAxis(op, axis, y.rank());
  if (!dim)
    return dim.takeError();
  int64_t outer = 1, inner = 1, extent = y.dim(*dim);
  for (int64_t i = 0; i < *dim; ++i)
    outer *= y.dim(i);
  for (int64_t i = *dim + 1; i < y.rank(); ++i)
    inner *= y.dim(i);

  return dispatchFloat(op, y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *forward = y.data<T>();
    const T *grad = dy.data<T>();
    T *result = out.data<T>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        auto at = [&](int64_t j) { return (o * extent + j) * inner + i; };
        // softmax: sum of dy * y; log_softmax: sum of dy.
        double sum = 0;
        for (int64_t j = 0; j < extent; ++j)
          sum += static_cast<double>(grad[at(j)]) *
                 (fromLog ? 1.0 : static_cast<double>(forward[at(j)]));
        for (int64_t j = 0; j < extent; ++j) {
          double value = static_cast<double>(forward[at(j)]);
          double g = static_cast<double>(grad[at(j)]);
          result[at(j)] = static_cast<T>(fromLog ? g - std::exp(value) * sum
                                                 : value * (g - sum));
        }
      }
    }
    return Error::success();
  });
}

} // namespace

Error softmaxGrad(ConstTensorView y, ConstTensorView dy,
                  const SoftmaxAttrs &attrs, TensorView out) {
  return softmaxGradImpl("softmax_grad", y, dy, attrs.axis, /*fromLog=*/false,
                         out);
}

Error logSoftmaxGrad(ConstTensorView y, ConstTensorView dy,
                     const SoftmaxAttrs &attrs, TensorView out) {
  return softmaxGradImpl("log_softmax_grad", y, dy, attrs.axis,
                         /*fromLog=*/true, out);
}

} // namespace nnc::ref
