//===- NonFinite.cpp - Finding NaN and infinities in tensors --------------===//

#include "runtime/NonFinite.h"

#include <cmath>

namespace nnc::rt {
namespace {

template <typename T>
std::optional<NonFiniteElement> firstNonFiniteOf(ConstTensorView value,
                                                 bool infinityAllowed) {
  const T *values = value.data<T>();
  for (int64_t i = 0, n = value.numElements(); i < n; ++i)
    if (std::isnan(values[i]) || (!infinityAllowed && std::isinf(values[i])))
      return NonFiniteElement{i, static_cast<bool>(std::isnan(values[i]))};
  return std::nullopt;
}

} // namespace

std::optional<NonFiniteElement> firstNonFinite(ConstTensorView value,
                                               bool infinityAllowed) {
  switch (value.dtype()) {
  case DType::F32:
    return firstNonFiniteOf<float>(value, infinityAllowed);
  case DType::F64:
    return firstNonFiniteOf<double>(value, infinityAllowed);
  default:
    return std::nullopt;
  }
}

Error checkUnbatchedInput(ConstTensorView value, const std::string &name) {
  std::optional<NonFiniteElement> bad =
      firstNonFinite(value, /*infinityAllowed=*/true);
  if (!bad)
    return Error::success();
  return Error::failure(name + ": element " + std::to_string(bad->index) +
                        " holds NaN; an input without the batch dimension "
                        "may hold infinities, not NaN");
}

} // namespace nnc::rt
