//===- ConstantFolding.h - Evaluate ONNX nodes at import time ---*- C++ -*-===//
//
// Nodes whose inputs are all constants are evaluated by the importer and
// never reach the program: Constant nodes, the shape arithmetic PyTorch
// exports around every `view`, and anything else computed from constants
// alone. Shape entries that stand for the batch size travel through the
// data-movement ops (Gather, Concat, Unsqueeze, ...) so that a Reshape to
// [x.size(0), -1] still knows which entry is the batch.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_ONNX_CONSTANTFOLDING_H
#define NNC_ONNX_CONSTANTFOLDING_H

#include "onnx/Translation.h"

namespace nnc::onnx {

/// Evaluates `node` when the folder knows its op and its result is known at
/// import time, binding its outputs as constants: true. False when the node
/// must become part of the program instead. An error when the node is
/// constant but cannot be evaluated (a bad attribute, arithmetic on the
/// batch size).
rt::Expected<bool> foldNode(Translation &translation, const NodeProto &node);

/// True when the folder knows `opType`, whatever its inputs.
bool isFoldableOp(const std::string &opType);

} // namespace nnc::onnx

#endif // NNC_ONNX_CONSTANTFOLDING_H
