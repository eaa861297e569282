//===- FoldSupport.h - What the constant folds share ------------*- C++ -*-===//
//
// The helpers of the folds of constant ONNX nodes (ConstantFolding.cpp
// dispatches to them), and the folds themselves, by the file they live in:
// FoldDataMovement.cpp moves elements without computing, FoldArithmetic.cpp
// computes them.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_ONNX_FOLDSUPPORT_H
#define NNC_ONNX_FOLDSUPPORT_H

#include "onnx/Translation.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace nnc::onnx::fold {

/// A fold's outcome: true when it bound the node's outputs as constants,
/// false when the node must become part of the program, or an error.
using Folded = rt::Expected<bool>;

Folded failure(std::string message);

/// The most elements one folded constant may have. The folder evaluates
/// element by element into 8-byte numbers, so this bounds what one node
/// costs at import to 2 GiB and seconds; a file asking for more (a
/// ConstantOfShape of [2^20, 2^20]) is refused rather than exhausting
/// memory. Shape arithmetic and masks are far smaller.
constexpr int64_t kMaxFoldedElements = int64_t(1) << 28;

/// Fails when a folded result of `shape` cannot be evaluated: a negative
/// extent, or more than kMaxFoldedElements elements.
rt::Error checkFoldedShape(const Dims &shape);

int64_t elementCount(const Dims &shape);
std::vector<int64_t> stridesOf(const Dims &shape);

/// Binds `output` to a constant of `source`'s type and `shape` with every
/// element taken from `source` through `indexOf` (flat output index -> flat
/// source index); fails when checkFoldedShape refuses `shape`.
Folded bindGathered(Translation &translation, const std::string &output,
                    const Constant &source, Dims shape,
                    const std::function<size_t(size_t)> &indexOf);

/// Flat index into a broadcast operand of `shape` for the output position
/// `coords` (right-aligned).
size_t broadcastIndex(const Dims &shape, const std::vector<int64_t> &coords);

/// Rounds every element of a float constant to its type, as a kernel of
/// that type would have computed it.
void roundToType(Constant &constant);

/// The constant behind each input of `node`, null for one that is not
/// constant (or left out).
std::vector<const Constant *> constantInputs(const Translation &translation,
                                             const NodeProto &node);

/// Fails when `constant` holds Shape's batch entry (0, standing for the
/// batch size), which a use as a number would read as 0.
rt::Error refuseBatchEntries(const Constant &constant, const char *what);

/// The integer list a constant input holds (axes, shapes, starts, ...).
std::vector<int64_t> integerList(const Constant &constant);

// FoldDataMovement.cpp
Folded foldConstantNode(Translation &translation, const NodeProto &node);
Folded foldShape(Translation &translation, const NodeProto &node);
Folded foldGather(Translation &translation, const NodeProto &node,
                  const Constant &data, const Constant &indices);
Folded foldConcat(Translation &translation, const NodeProto &node,
                  const std::vector<const Constant *> &inputs);
/// Unsqueeze, Squeeze, Reshape and Flatten only change a constant's shape.
Folded foldReshaping(Translation &translation, const NodeProto &node,
                     const std::vector<const Constant *> &inputs);
Folded foldSlice(Translation &translation, const NodeProto &node,
                 const std::vector<const Constant *> &inputs);
Folded foldSplit(Translation &translation, const NodeProto &node,
                 const std::vector<const Constant *> &inputs);
Folded foldTranspose(Translation &translation, const NodeProto &node,
                     const Constant &data);
Folded foldConstantOfShape(Translation &translation, const NodeProto &node,
                           const Constant &shape);
Folded foldExpand(Translation &translation, const NodeProto &node,
                  const Constant &data, const Constant &shape);
Folded foldRange(Translation &translation, const NodeProto &node,
                 const std::vector<const Constant *> &inputs);

// FoldArithmetic.cpp
Folded foldCast(Translation &translation, const NodeProto &node,
                const Constant &data);
/// Element-wise ops: the result type is the first operand's, or Bool for
/// comparisons.
Folded foldElementwise(Translation &translation, const NodeProto &node,
                       const std::vector<const Constant *> &inputs);

} // namespace nnc::onnx::fold

#endif // NNC_ONNX_FOLDSUPPORT_H
