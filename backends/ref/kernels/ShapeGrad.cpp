//===- ShapeGrad.cpp - Reference backward ops of slice and gather ---------===//

#include "backends/ref/kernels/ShapeGrad.h"

#include "backends/ref/kernels/KernelSupport.h"

#include <cstring>

namespace nnc::ref {

using namespace detail;

Error sliceGrad(ConstTensorView dy, const SliceAttrs &attrs, TensorView out) {
  const char *op = "slice_grad";
  Expected<SliceWindow> window = sliceWindow(
      op, out.shape(), attrs.axes, attrs.starts, attrs.ends, attrs.steps);
  if (!window)
    return window.takeError();
  if (Error e = checkDType(op, "dy", dy, out.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(op, "dy", dy, window->shape); !e.ok())
    return e;
  if (out.byteSize() != 0)
    std::memset(out.rawData(), 0, out.byteSize());
  size_t size = rt::dtypeSize(dy.dtype());
  for (int64_t j = 0, n = dy.numElements(); j < n; ++j) {
    int64_t to = window->base + offsetOf(j, dy.shape(), window->strides);
    std::memcpy(out.rawData() + static_cast<size_t>(to) * size,
                dy.rawData() + static_cast<size_t>(j) * size, size);
  }
  return Error::success();
}

Error gatherGrad(ConstTensorView dy, ConstTensorView indices,
                 const GatherAttrs &attrs, TensorView out) {
  const char *op = "gather_grad";
  Expected<GatherLayout> layout =
      gatherLayout(op, out.shape(), indices.shape(), attrs.axis);
  if (!layout)
    return layout.takeError();
  if (Error e = checkDType(op, "dy", dy, out.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(op, "dy", dy, layout->gathered); !e.ok())
    return e;

  // Plain locals: C++17 lambdas cannot capture structured bindings.
  int64_t outer = layout->outer, extent = layout->extent,
          inner = layout->inner, indexCount = layout->indexCount;
  return dispatchFloat(op, out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return dispatchIndex(op, indices.dtype(), [&](auto indexTag) {
      using I = decltype(indexTag);
      const I *index = indices.data<I>();
      if (Error e = checkIndices(op, index, indexCount, extent); !e.ok())
        return e;
      std::vector<double> sums(static_cast<size_t>(out.numElements()), 0.0);
      const T *grad = dy.data<T>();
      int64_t from = 0;
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t k = 0; k < indexCount; ++k)
          for (int64_t i = 0; i < inner; ++i)
            sums[static_cast<size_t>(
                (o * extent + static_cast<int64_t>(index[k])) * inner + i)] +=
                static_cast<double>(grad[from++]);
      T *result = out.data<T>();
      for (size_t i = 0; i < sums.size(); ++i)
        result[i] = static_cast<T>(sums[i]);
      return Error::success();
    });
  });
}

} // namespace nnc::ref
