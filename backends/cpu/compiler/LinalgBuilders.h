//===- LinalgBuilders.h - Small builders the nn-to-linalg patterns share -*- C++
//-*-===//
//
// Helpers that keep each conversion pattern to its arithmetic: empty and
// filled tensors, NumPy broadcasting maps, linalg.generic with a body
// callback, f64 widening (ref computes in double; so do we where it matters)
// and shape-only reshapes.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_COMPILER_LINALGBUILDERS_H
#define NNC_BACKENDS_CPU_COMPILER_LINALGBUILDERS_H

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

#include <functional>

namespace nnc::cpu {

/// The ranked tensor type of `value`; asserts it is one.
mlir::RankedTensorType tensorTypeOf(mlir::Value value);

/// `type` with its element type replaced.
mlir::RankedTensorType withElementType(mlir::RankedTensorType type,
                                       mlir::Type element);

/// A scalar constant of `type` (float or integer) holding `value`.
mlir::Value scalarConstant(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Type type, double value);

/// An index constant.
mlir::Value indexConstant(mlir::OpBuilder &b, mlir::Location loc,
                          int64_t value);

/// tensor.empty of a static `type`.
mlir::Value emptyTensor(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType type);

/// A tensor of `type` filled with `value` (linalg.fill).
mlir::Value filledTensor(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::RankedTensorType type, double value);

/// The map from the iteration space of a result shaped `outShape` to an
/// operand of `inType` under NumPy broadcasting: trailing dimensions align,
/// an extent-1 dimension against a larger one reads index 0.
mlir::AffineMap broadcastMap(mlir::MLIRContext *context,
                             mlir::RankedTensorType inType,
                             llvm::ArrayRef<int64_t> outShape);

/// Builds the block of a linalg.generic: gets the block arguments (inputs,
/// then outputs) and returns the values to yield.
using BodyBuilder = std::function<llvm::SmallVector<mlir::Value>(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// A linalg.generic over `iterators`, with one map per input and per init.
llvm::SmallVector<mlir::Value>
buildGeneric(mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange inputs,
             llvm::ArrayRef<mlir::AffineMap> inputMaps, mlir::ValueRange inits,
             llvm::ArrayRef<mlir::AffineMap> initMaps,
             llvm::ArrayRef<mlir::utils::IteratorType> iterators,
             const BodyBuilder &body);

/// An all-parallel linalg.generic producing one tensor of `resultType`, each
/// input read through broadcastMap().
mlir::Value buildElementwise(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::RankedTensorType resultType,
                             mlir::ValueRange inputs, const BodyBuilder &body);

/// Widens a float scalar to f64 (identity for f64).
mlir::Value toF64(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value);

/// exp(x) for an x <= 0 (a value less its row's maximum, as softmax and
/// the losses shift them). Masked scores are -inf, and libmvec's vector exp
/// takes a slow scalar path for every vector with a lane out of its range
/// (half of a causal mask is -inf), so x is raised into that range first:
/// in f64 to -700, whose exp is far below what f32 holds, so nothing changes
/// but the speed; in f32 to -87, near the smallest normal exp, and an x
/// below that gives 0 rather than a denormal. A NaN stays NaN.
mlir::Value expOfShifted(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);

/// Narrows an f64 scalar to `type` (identity for f64).
mlir::Value fromF64(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value,
                    mlir::Type type);

/// The f64 tensor `sums` narrowed elementwise to the tensor `type` (of the
/// same shape): how f64 accumulators become an op's result.
mlir::Value narrowFromF64(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value sums, mlir::RankedTensorType type);

/// Reinterprets `value` (same element count) with the static `type`,
/// through collapse_shape and expand_shape, which bufferize to views.
mlir::Value reshapeTo(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value,
                      mlir::RankedTensorType type);

/// A reduction of `input` over the axes marked in `reduced`, into a tensor
/// of the kept extents (no keepdims) with `accType` elements, starting from
/// `init` and combining with `combine(acc, element)`, where the element is
/// first mapped by `map` (which sees the input element and may widen it).
mlir::Value buildReduction(
    mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
    llvm::ArrayRef<bool> reduced, mlir::Type accType, double init,
    const std::function<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                    mlir::Value)> &map,
    const std::function<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                    mlir::Value, mlir::Value)> &combine);

/// The maximum of `x` over the axes marked in `reduced`, in f64, NaNs
/// skipped (fmax, as ref), into a tensor of the kept extents. LLVM
/// vectorises no maxnum reduction (it would need no-NaNs math): reduced
/// over the last axis alone, with a static extent that is a multiple of 16,
/// 8 or 4 (the widest that divides it, twice over), each row is first
/// reduced to that many lane maxima in a loop whose lanes are independent,
/// then over those. fmax picks the same value in any order (but for the
/// sign of a zero), so the result is the sequential one.
mlir::Value maxF64(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                   llvm::ArrayRef<bool> reduced);

/// The map from a full iteration space of `rank` dims to the kept dims
/// (those not marked in `reduced`).
mlir::AffineMap keptDimsMap(mlir::MLIRContext *context,
                            llvm::ArrayRef<bool> reduced);

/// scf.for loops over every index of `shape` (row-major), threading the
/// tensor `init` through `body(ivs, current)`, which returns the next one.
mlir::Value
loopOver(mlir::OpBuilder &b, mlir::Location loc, llvm::ArrayRef<int64_t> shape,
         mlir::Value init,
         const std::function<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                         mlir::ValueRange, mlir::Value)> &body);

/// The axis `axis` (negative counts from the end) of a rank-`rank` tensor.
int64_t normalizeAxis(int64_t axis, int64_t rank);

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_COMPILER_LINALGBUILDERS_H
