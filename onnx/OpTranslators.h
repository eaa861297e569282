//===- OpTranslators.h - ONNX ops as program statements ---------*- C++ -*-===//
//
// One entry per ONNX op the importer turns into model-language statements,
// with the opsets it covers. docs/onnx.md lists the same table for users.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_ONNX_OPTRANSLATORS_H
#define NNC_ONNX_OPTRANSLATORS_H

#include "onnx/Translation.h"

#include <vector>

namespace nnc::onnx {

/// Writes the statements of `node` (whose inputs are bound) and binds its
/// outputs; reads the attributes it supports through `attributes`.
using OpTranslator = rt::Error (*)(Translation &translation,
                                   const NodeProto &node,
                                   Attributes &attributes);

/// The translator of `opType`, or null when nnc has none.
OpTranslator findOpTranslator(const std::string &opType);

/// The amounts of the Pad `node` ([begin of each axis..., end of each
/// axis...], as ONNX orders them) when it pads with the constant 0 and they
/// are known at import time; otherwise an error saying which is not so.
rt::Expected<std::vector<int64_t>> zeroPadAmounts(Translation &translation,
                                                  const NodeProto &node,
                                                  Attributes &attributes);

/// Translates the AveragePool `pool` reading `x` through a Pad that put
/// `padding` ([h, w]) zeros on both sides of each spatial axis: the zeros
/// become the pool's padding, counted in the averages, as PyTorch's
/// AvgPool2d(count_include_pad=True) means them. Fails where the pool's own
/// padding does not count, or the sum exceeds half the window.
rt::Error translatePaddedAveragePool(Translation &translation,
                                     const NodeProto &pool,
                                     Attributes &attributes, const Value &x,
                                     const std::vector<int64_t> &padding);

} // namespace nnc::onnx

#endif // NNC_ONNX_OPTRANSLATORS_H
