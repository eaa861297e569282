//===- Softmax.cpp - Reference softmax and log_softmax --------------------===//

#include "backends/ref/kernels/Softmax.h"

#include "backends/ref/kernels/KernelSupport.h"

#include <cmath>
#include <limits>

namespace nnc::ref {

using namespace detail;

namespace {

/// Shared by both ops: views x as [outer, axis, inner] and normalises each
/// of the outer * inner slices along the middle dimension.
Error softmaxImpl(const char *op, ConstTensorView x, int64_t axis, bool takeLog,
                  TensorView out) {
  if (Error e = checkDType(op, "output", out, x.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(op, "output", out, x.shape()); !e.ok())
    return e;
  Expected<int64_t> dim = normalizeAxis(op, axis, x.rank());
  if (!dim)
    return dim.takeError();
  int64_t outer = 1, inner = 1, extent = x.dim(*dim);
  for (int64_t i = 0; i < *dim; ++i)
    outer *= x.dim(i);
  for (int64_t i = *dim + 1; i < x.rank(); ++i)
    inner *= x.dim(i);

  return dispatchFloat(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *in = x.data<T>();
    T *result = out.data<T>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        auto at = [&](int64_t j) { return (o * extent + j) * inner + i; };
        double max = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < extent; ++j)
          max = std::fmax(max, static_cast<double>(in[at(j)]));
        double sum = 0;
        for (int64_t j = 0; j < extent; ++j)
          sum += std::exp(static_cast<double>(in[at(j)]) - max);
        double logSum = std::log(sum);
        for (int64_t j = 0; j < extent; ++j) {
          double shifted = static_cast<double>(in[at(j)]) - max;
          result[at(j)] = static_cast<T>(takeLog ? shifted - logSum
                                                 : std::exp(shifted) / sum);
        }
      }
    }
    return Error::success();
  });
}

} // namespace

Error softmax(ConstTensorView x, const SoftmaxAttrs &attrs, TensorView out) {
  return softmaxImpl("softmax", x, attrs.axis, /*takeLog=*/false, out);
}

Error logSoftmax(ConstTensorView x, const SoftmaxAttrs &attrs, TensorView out) {
  return softmaxImpl("log_softmax", x, attrs.axis, /*takeLog=*/true, out);
}

} // namespace nnc::ref
