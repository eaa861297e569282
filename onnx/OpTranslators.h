//===- OpTranslators.h - ONNX ops as program statements ---------*- C++ -*-===//
//
// One entry per ONNX op the importer turns into model-language statements,
// with the opsets it covers. docs/onnx.md lists the same table for users.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_ONNX_OPTRANSLATORS_H
#define NNC_ONNX_OPTRANSLATORS_H

#include "onnx/Translation.h"

namespace nnc::onnx {

/// Writes the statements of `node` (whose inputs are bound) and binds its
/// outputs; reads the attributes it supports through `attributes`.
using OpTranslator = rt::Error (*)(Translation &translation,
                                   const NodeProto &node,
                                   Attributes &attributes);

/// The translator of `opType`, or null when nnc has none.
OpTranslator findOpTranslator(const std::string &opType);

} // namespace nnc::onnx

#endif // NNC_ONNX_OPTRANSLATORS_H
