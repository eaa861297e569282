//===- ShapeOps.cpp - Reference data-movement kernels ---------------------===//

#include "backends/ref/kernels/ShapeOps.h"

#include "backends/ref/kernels/KernelSupport.h"

#include <algorithm>
#include <cstring>

namespace nnc::ref {

using namespace detail;

namespace {

/// Copies element `from` of `src` to element `to` of `dst`, whatever the
/// dtype; these kernels never look at the values.
void copyElement(TensorView dst, int64_t to, ConstTensorView src,
                 int64_t from) {
  size_t size = rt::dtypeSize(src.dtype());
  std::memcpy(dst.rawData() + static_cast<size_t>(to) * size,
              src.rawData() + static_cast<size_t>(from) * size, size);
}

/// Copies out's elements in C order from x at base + offsetOf(strides).
void gatherStrided(ConstTensorView x, int64_t base,
                   const std::vector<int64_t> &strides, TensorView out) {
  for (int64_t j = 0, n = out.numElements(); j < n; ++j)
    copyElement(out, j, x, base + offsetOf(j, out.shape(), strides));
}

} // namespace

Error reshape(ConstTensorView x, TensorView out) {
  if (Error e = checkDType("reshape", "output", out, x.dtype()); !e.ok())
    return e;
  if (out.numElements() != x.numElements())
    return opError("reshape", "cannot reshape " + rt::shapeToString(x.shape()) +
                                  " to " + rt::shapeToString(out.shape()));
  // Computed in place, the bytes are already where the result wants them.
  if (x.byteSize() != 0 && out.rawData() != x.rawData())
    std::memcpy(out.rawData(), x.rawData(), x.byteSize());
  return Error::success();
}

Error transpose(ConstTensorView x, const TransposeAttrs &attrs,
                TensorView out) {
  const char *op = "transpose";
  std::vector<int64_t> perm = attrs.perm;
  if (perm.empty())
    for (int64_t i = x.rank() - 1; i >= 0; --i)
      perm.push_back(i);
  std::vector<bool> seen(static_cast<size_t>(x.rank()), false);
  bool valid = static_cast<int64_t>(perm.size()) == x.rank();
  for (size_t i = 0; valid && i < perm.size(); ++i) {
    valid = perm[i] >= 0 && perm[i] < x.rank() &&
            !seen[static_cast<size_t>(perm[i])];
    if (valid)
      seen[static_cast<size_t>(perm[i])] = true;
  }
  if (!valid)
    return opError(op, "perm " + rt::shapeToString(perm) +
                           " is not a permutation of the " +
                           std::to_string(x.rank()) + " axes");
  Shape expected;
  std::vector<int64_t> inputStrides = rt::contiguousStrides(x.shape());
  std::vector<int64_t> strides;
  for (int64_t axis : perm) {
    expected.push_back(x.dim(axis));
    strides.push_back(inputStrides[static_cast<size_t>(axis)]);
  }
  if (Error e = checkDType(op, "output", out, x.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(op, "output", out, expected); !e.ok())
    return e;
  gatherStrided(x, 0, strides, out);
  return Error::success();
}

Error broadcastTo(ConstTensorView x, TensorView out) {
  const char *op = "broadcast_to";
  if (Error e = checkDType(op, "output", out, x.dtype()); !e.ok())
    return e;
  Expected<Shape> shape = broadcastShapes(op, x.shape(), out.shape());
  if (!shape)
    return shape.takeError();
  if (*shape != out.shape())
    return opError(op, "cannot broadcast " + rt::shapeToString(x.shape()) +
                           " to " + rt::shapeToString(out.shape()));
  gatherStrided(x, 0, broadcastStrides(x.shape(), out.shape()), out);
  return Error::success();
}

Error concat(const std::vector<ConstTensorView> &inputs,
             const ConcatAttrs &attrs, TensorView out) {
  const char *op = "concat";
  if (inputs.empty())
    return opError(op, "needs at least one operand");
  const ConstTensorView &first = inputs.front();
  Expected<int64_t> axis = normalizeAxis(op, attrs.axis, first.rank());
  if (!axis)
    return axis.takeError();
  // Shapes compared with the concatenated extent zeroed out.
  Shape firstOffAxis = first.shape();
  firstOffAxis[static_cast<size_t>(*axis)] = 0;
  Shape expected = firstOffAxis;
  for (const ConstTensorView &input : inputs) {
    if (Error e = checkDType(op, "operand", input, first.dtype()); !e.ok())
      return e;
    Shape offAxis = input.shape();
    if (input.rank() == first.rank())
      offAxis[static_cast<size_t>(*axis)] = 0;
    if (offAxis != firstOffAxis)
      return opError(op, "operand shapes " + rt::shapeToString(first.shape()) +
                             " and " + rt::shapeToString(input.shape()) +
                             " differ off axis " + std::to_string(*axis));
    expected[static_cast<size_t>(*axis)] += input.dim(*axis);
  }
  if (Error e = checkDType(op, "output", out, first.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(op, "output", out, expected); !e.ok())
    return e;

  // Each outer index holds, in order, one contiguous block per input.
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < *axis; ++i)
    outer *= first.dim(i);
  for (int64_t i = *axis + 1; i < first.rank(); ++i)
    inner *= first.dim(i);
  size_t elementSize = rt::dtypeSize(first.dtype());
  std::byte *dst = out.rawData();
  for (int64_t o = 0; o < outer; ++o) {
    for (const ConstTensorView &input : inputs) {
      size_t block =
          static_cast<size_t>(input.dim(*axis) * inner) * elementSize;
      if (block == 0)
        continue;
      std::memcpy(dst, input.rawData() + static_cast<size_t>(o) * block, block);
      dst += block;
    }
  }
  return Error::success();
}

Error slice(ConstTensorView x, const SliceAttrs &attrs, TensorView out) {
  const char *op = "slice";
  Expected<SliceWindow> window = sliceWindow(
      op, x.shape(), attrs.axes, attrs.starts, attrs.ends, attrs.steps);
  if (!window)
    return window.takeError();
  if (Error e = checkDType(op, "output", out, x.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(op, "output", out, window->shape); !e.ok())
    return e;
  gatherStrided(x, window->base, window->strides, out);
  return Error::success();
}

Error gather(ConstTensorView x, ConstTensorView indices,
             const GatherAttrs &attrs, TensorView out) {
  const char *op = "gather";
  Expected<GatherLayout> layout =
      gatherLayout(op, x.shape(), indices.shape(), attrs.axis);
  if (!layout)
    return layout.takeError();
  if (Error e = checkDType(op, "output", out, x.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(op, "output", out, layout->gathered); !e.ok())
    return e;

  // Plain locals: C++17 lambdas cannot capture structured bindings.
  int64_t outer = layout->outer, extent = layout->extent,
          inner = layout->inner, indexCount = layout->indexCount;
  return dispatchIndex(op, indices.dtype(), [&](auto tag) {
    using I = decltype(tag);
    const I *index = indices.data<I>();
    if (Error e = checkIndices(op, index, indexCount, extent); !e.ok())
      return e;
    int64_t to = 0;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k = 0; k < indexCount; ++k)
        for (int64_t i = 0; i < inner; ++i)
          copyElement(out, to++, x,
                      (o * extent + static_cast<int64_t>(index[k])) * inner +
                          i);
    return Error::success();
  });
}

Error embedding(ConstTensorView table, ConstTensorView indices,
                TensorView out) {
  if (Error e = checkRank("embedding", "table", table, 2); !e.ok())
    return e;
  return gather(table, indices, GatherAttrs{0}, out);
}

} // namespace nnc::ref
