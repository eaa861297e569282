//===- NonFinite.h - Finding NaN and infinities in tensors ------*- C++ -*-===//
//
// Data, parameters and shared inputs are checked for NaN (and, where an
// infinity has no meaning, infinities) where they come in, so that a bad
// value names itself rather than surfacing as a diverging loss.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_NONFINITE_H
#define NNC_RUNTIME_NONFINITE_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <optional>
#include <string>

namespace nnc::rt {

/// An element that failed firstNonFinite: its flat index, and whether it is
/// NaN (else an infinity).
struct NonFiniteElement {
  int64_t index = 0;
  bool isNaN = false;
};

/// The first element of the float tensor `value` that is NaN, or an
/// infinity unless `infinityAllowed`; nothing when every element passes or
/// the tensor holds integers.
std::optional<NonFiniteElement> firstNonFinite(ConstTensorView value,
                                               bool infinityAllowed);

/// Fails when `value`, fed to the input `name` that has no batch dimension
/// in a model that has one (a mask: part of the model rather than data),
/// holds NaN: "mask: element 7 holds NaN; an input without the batch
/// dimension may hold infinities, not NaN". Every run path checks this.
Error checkUnbatchedInput(ConstTensorView value, const std::string &name);

} // namespace nnc::rt

#endif // NNC_RUNTIME_NONFINITE_H
