//===- ReduceGrad.cpp - Reference reduce_max backward ---------------------===//

#include "backends/ref/kernels/ReduceGrad.h"

#include "backends/ref/kernels/KernelSupport.h"

#include <cmath>

namespace nnc::ref {

using namespace detail;

Error reduceMaxGrad(ConstTensorView x, ConstTensorView y, ConstTensorView dy,
                    const ReduceAttrs &attrs, TensorView out) {
  const char *op = "reduce_max_grad";
  std::vector<bool> reduced(static_cast<size_t>(x.rank()), attrs.axes.empty());
  for (int64_t axis : attrs.axes) {
    Expected<int64_t> normalized = normalizeAxis(op, axis, x.rank());
    if (!normalized)
      return normalized.takeError();
    if (reduced[static_cast<size_t>(*normalized)])
      return opError(op, "axis " + std::to_string(axis) + " is repeated");
    reduced[static_cast<size_t>(*normalized)] = true;
  }
  Shape resultShape, kept = x.shape();
  for (size_t i = 0; i < kept.size(); ++i) {
    if (!reduced[i])
      resultShape.push_back(kept[i]);
    else if (attrs.keepDims)
      resultShape.push_back(1);
    if (reduced[i])
      kept[i] = 1;
  }
  for (auto [what, tensor] : {std::pair{"y", y}, std::pair{"dy", dy}}) {
    if (Error e = checkDType(op, what, tensor, x.dtype()); !e.ok())
      return e;
    if (Error e = checkShape(op, what, tensor, resultShape); !e.ok())
      return e;
  }
  if (Error e = checkDType(op, "output", out, x.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(op, "output", out, x.shape()); !e.ok())
    return e;

  // Every input element maps to its group (its element of y) through the
  // strides of the keepdims shape, with the reduced dimensions zeroed.
  std::vector<int64_t> toGroup = rt::contiguousStrides(kept);
  for (size_t i = 0; i < kept.size(); ++i)
    if (reduced[i])
      toGroup[i] = 0;

  return dispatchFloat(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T *in = x.data<T>();
    const T *max = y.data<T>();
    const T *grad = dy.data<T>();
    T *result = out.data<T>();
    int64_t count = x.numElements();
    auto isMax = [&](int64_t i, int64_t group) {
      double value = static_cast<double>(in[i]);
      double best = static_cast<double>(max[group]);
      return value == best || (std::isnan(value) && std::isnan(best));
    };
    std::vector<int64_t> ties(static_cast<size_t>(y.numElements()), 0);
    for (int64_t i = 0; i < count; ++i) {
      int64_t group = offsetOf(i, x.shape(), toGroup);
      if (isMax(i, group))
        ++ties[static_cast<size_t>(group)];
    }
    for (int64_t i = 0; i < count; ++i) {
      int64_t group = offsetOf(i, x.shape(), toGroup);
      result[i] = isMax(i, group)
                      ? static_cast<T>(static_cast<double>(grad[group]) /
                                       static_cast<double>(
                                           ties[static_cast<size_t>(group)]))
                      : T(0);
    }
    return Error::success();
  });
}

} // namespace nnc::ref
