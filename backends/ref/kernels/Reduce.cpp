//===- Reduce.cpp - Reference reductions ----------------------------------===//

#include "backends/ref/kernels/Reduce.h"

#include "backends/ref/kernels/KernelSupport.h"

#include <cmath>
#include <type_traits>

namespace nnc::ref {

using namespace detail;

namespace {

const char *nameOf(ReduceOp op) {
  switch (op) {
  case ReduceOp::Sum:
    return "reduce_sum";
  case ReduceOp::Mean:
    return "reduce_mean";
  case ReduceOp::Max:
    return "reduce_max";
  }
  return "reduce";
}

template <typename T>
Error reduceTyped(ReduceOp op, ConstTensorView x,
                  const std::vector<bool> &reduced, TensorView out) {
  const char *name = nameOf(op);
  // Map every input element to its output element: reduced dimensions get
  // stride 0, kept ones the stride they have in the (keepdims) output.
  Shape kept = x.shape();
  for (size_t i = 0; i < kept.size(); ++i)
    if (reduced[i])
      kept[i] = 1;
  std::vector<int64_t> toOutput = rt::contiguousStrides(kept);
  for (size_t i = 0; i < kept.size(); ++i)
    if (reduced[i])
      toOutput[i] = 0;

  int64_t inputCount = x.numElements(), outputCount = out.numElements();
  int64_t groupSize = outputCount == 0 ? 0 : inputCount / outputCount;
  if (outputCount != 0 && groupSize == 0) {
    if (op == ReduceOp::Max)
      return opError(name, "cannot take the maximum of no elements");
    if (op == ReduceOp::Mean && !std::is_floating_point_v<T>)
      return opError(name, "cannot take the integer mean of no elements");
  }

  const T *in = x.data<T>();
  T *result = out.data<T>();
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;
  if (op == ReduceOp::Max) {
    std::vector<bool> started(static_cast<size_t>(outputCount), false);
    for (int64_t i = 0; i < inputCount; ++i) {
      T value = in[i];
      T &best = result[offsetOf(i, x.shape(), toOutput)];
      size_t slot = static_cast<size_t>(&best - result);
      if (!started[slot]) {
        best = value;
        started[slot] = true;
      } else if constexpr (std::is_floating_point_v<T>) {
        if (!std::isnan(best) && (std::isnan(value) || value > best))
          best = value;
      } else if (value > best) {
        best = value;
      }
    }
    return Error::success();
  }

  std::vector<Acc> sums(static_cast<size_t>(outputCount), Acc(0));
  for (int64_t i = 0; i < inputCount; ++i)
    sums[static_cast<size_t>(offsetOf(i, x.shape(), toOutput))] +=
        static_cast<Acc>(in[i]);
  for (int64_t j = 0; j < outputCount; ++j) {
    Acc sum = sums[static_cast<size_t>(j)];
    if constexpr (std::is_floating_point_v<T>) {
      double value =
          op == ReduceOp::Mean ? sum / static_cast<double>(groupSize) : sum;
      result[j] = static_cast<T>(value);
    } else if (op == ReduceOp::Mean) {
      // The sum wrapped in 64 bits; read it back as signed for T signed.
      int64_t signedSum = static_cast<int64_t>(sum);
      result[j] = std::is_signed_v<T>
                      ? static_cast<T>(signedSum / groupSize)
                      : static_cast<T>(sum / static_cast<uint64_t>(groupSize));
    } else {
      result[j] = static_cast<T>(sum);
    }
  }
  return Error::success();
}

} // namespace

Error reduce(ReduceOp op, ConstTensorView x, const ReduceAttrs &attrs,
             TensorView out) {
  const char *name = nameOf(op);
  std::vector<bool> reduced(static_cast<size_t>(x.rank()), attrs.axes.empty());
  for (int64_t axis : attrs.axes) {
    Expected<int64_t> normalized = normalizeAxis(name, axis, x.rank());
    if (!normalized)
      return normalized.takeError();
    if (reduced[static_cast<size_t>(*normalized)])
      return opError(name, "axis " + std::to_string(axis) + " is repeated");
    reduced[static_cast<size_t>(*normalized)] = true;
  }
  Shape expected;
  for (int64_t i = 0; i < x.rank(); ++i) {
    if (!reduced[static_cast<size_t>(i)])
      expected.push_back(x.dim(i));
    else if (attrs.keepDims)
      expected.push_back(1);
  }
  if (Error e = checkDType(name, "output", out, x.dtype()); !e.ok())
    return e;
  if (Error e = checkShape(name, "output", out, expected); !e.ok())
    return e;
  return dispatchAny(x.dtype(), [&](auto tag) {
    return reduceTyped<decltype(tag)>(op, x, reduced, out);
  });
}

Error reduceSum(ConstTensorView x, const ReduceAttrs &attrs, TensorView out) {
  return reduce(ReduceOp::Sum, x, attrs, out);
}
Error reduceMean(ConstTensorView x, const ReduceAttrs &attrs, TensorView out) {
  return reduce(ReduceOp::Mean, x, attrs, out);
}
Error reduceMax(ConstTensorView x, const ReduceAttrs &attrs, TensorView out) {
  return reduce(ReduceOp::Max, x, attrs, out);
}

} // namespace nnc::ref
