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

/// Broadcasts two shapes as NumPy does (the batch symbol matches only
/// itself or 1); nullopt when they do not broadcast.
std::optional<Dims> broadcastShapes(const Dims &a, const Dims &b);

/// The shape Unsqueeze gives `shape` with `axes` (of the result), and the
/// shape Squeeze gives it (`axes` empty: every extent of 1). Fails on an
/// axis out of range, repeated, or (Squeeze) not of extent 1.
rt::Expected<Dims> unsqueezedShape(const Dims &shape,
                                   const std::vector<int64_t> &axes);
rt::Expected<Dims> squeezedShape(const Dims &shape,
                                 const std::vector<int64_t> &axes);

/// `axis` made non-negative for rank `rank`; nullopt when out of range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

/// Flatten's `axis`, which splits a shape of rank `rank` in two: in
/// [-rank, rank], a negative one counting from `rank` (so -1 keeps the last
/// axis on the right); nullopt when out of range.
std::optional<int64_t> normalizeSplitAxis(int64_t axis, int64_t rank);

/// Split's `axis` attribute (0 when absent) for an input of `rank`, a
/// negative one counting from the end; fails naming it when out of range.
/// The translator and the fold of a constant Split share it.
rt::Expected<int64_t> splitAxis(Attributes &attributes, int64_t rank);

/// The extents of Split's parts along `axis` of `shape`: `split` when the
/// node gives it, which must have one entry per output (`parts`) and sum to
/// the axis's extent; else `parts` equal ones, which must divide it. Fails
/// on an entry below 1 too, since nnc tensors have no empty axis.
rt::Expected<std::vector<int64_t>>
splitExtents(const Dims &shape, int64_t axis,
             const std::optional<std::vector<int64_t>> &split, int64_t parts);

} // namespace nnc::onnx

#endif // NNC_ONNX_CONSTANTFOLDING_H
