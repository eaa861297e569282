//===- Dropout.h - Reference dropout ----------------------------*- C++ -*-===//
//
// The keep/drop decision of each element is a pure function of (seed, step,
// element index), a counter-based random number rather than a stateful
// generator, so results do not depend on threads or on the order elements
// are visited, and the backward pass can recompute the mask instead of
// storing it.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_REF_KERNELS_DROPOUT_H
#define NNC_BACKENDS_REF_KERNELS_DROPOUT_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <cstdint>

namespace nnc::ref {

/// Attributes of dropout.
struct DropoutAttrs {
  double rate = 0.5; ///< Probability of dropping an element, in [0, 1].
  uint64_t seed = 0; ///< The op's `seed` attribute.
  /// Distinguishes the training steps, so each step drops different
  /// elements; the runtime passes its step counter.
  uint64_t step = 0;
  /// False in evaluation mode, where dropout is the identity.
  bool training = true;
};

/// True when element `index` is kept: a splitmix64 hash of (seed, step,
/// index) mapped to a uniform u in [0, 1) gives u >= rate.
bool dropoutKeeps(uint64_t seed, uint64_t step, uint64_t index, double rate);

/// Training: out = kept ? x / (1 - rate) : 0 (inverted dropout, so the
/// expected value is unchanged; rate 1 drops everything). Evaluation: out =
/// x. Float only; a rate outside [0, 1] is an error.
rt::Error dropout(rt::ConstTensorView x, const DropoutAttrs &attrs,
                  rt::TensorView out);

/// The gradient of dropout with the same attrs (seed, step, rate,
/// training): out = dy * mask / (1 - rate), the mask recomputed with
/// dropoutKeeps() exactly as the forward drew it, so nothing is stored
/// between the passes. Evaluation mode passes dy through. Float only; out
/// shaped like dy.
rt::Error dropoutGrad(rt::ConstTensorView dy, const DropoutAttrs &attrs,
                      rt::TensorView out);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_KERNELS_DROPOUT_H
