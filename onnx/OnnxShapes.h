//===- OnnxShapes.h - Shape rules of ONNX ops -------------------*- C++ -*-===//
//
// The shape arithmetic ONNX ops define (broadcasting, axes, Squeeze and
// Unsqueeze, Split's parts), shared by the translators, which build the
// program's shapes, and the folder, which evaluates constant nodes.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_ONNX_ONNXSHAPES_H
#define NNC_ONNX_ONNXSHAPES_H

#include "onnx/Translation.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nnc::onnx {

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

/// Slice's lists with their defaults filled in: axes 0, 1, ... and steps
/// of 1 for each start when the node leaves them out. Fails when the four
/// then differ in length.
rt::Error completeSliceLists(const std::vector<int64_t> &starts,
                             const std::vector<int64_t> &ends,
                             std::vector<int64_t> &axes,
                             std::vector<int64_t> &steps);

/// `values` as "[1, -2]": unlike formatDims, -1 stays a number, since it
/// is no batch symbol in a shape a node computes.
std::string listText(const std::vector<int64_t> &values);

} // namespace nnc::onnx

#endif // NNC_ONNX_ONNXSHAPES_H
