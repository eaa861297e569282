//===- GradientUtils.h - Helpers shared by gradient rules -------*- C++ -*-===//
//
// What the gradient rules of NN*Gradients.cpp build over and over: undoing
// broadcasting, scalar constants, element counts that may involve the
// dynamic batch, and attribute spellings of shapes.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_IR_GRADIENTUTILS_H
#define NNC_IR_GRADIENTUTILS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "mlir/IR/ValueRange.h"
#include "llvm/ADT/SmallVector.h"

namespace nnc::nn {

/// Reports "no gradient rule for 'nn.X'" at the op's location (the user's
/// source line) and fails; what an op without a rule returns.
llvm::LogicalResult emitMissingGradient(mlir::Operation *op);

/// Defines OpClass::buildGradient as emitMissingGradient: the rule of an op
/// that has none yet, or never will (backward and optimizer ops). Expand it
/// inside namespace nnc::nn, with `using namespace mlir`.
#define NNC_NO_GRADIENT_RULE(OpClass)                                          \
  LogicalResult OpClass::buildGradient(OpBuilder &, ValueRange,                \
                                       SmallVectorImpl<Value> &) {             \
    return emitMissingGradient(getOperation());                                \
  }

/// True if no gradient in `grads` is set: every result's gradient is zero, so
/// a rule returns null operand gradients without building anything.
bool allGradientsNull(mlir::ValueRange grads);

/// True if `value` is a tensor of f32 or f64, the only values that carry a
/// gradient; integer labels and indices get a null one.
bool isDifferentiable(mlir::Value value);

/// `type`'s shape spelled as a shape attribute: the dynamic (batch) extent,
/// if any, becomes -1. What reshape, broadcast_to and the backward ops'
/// `input_shape`-like attributes take.
llvm::SmallVector<int64_t> getShapeAttrValue(mlir::RankedTensorType type);

/// Starts a rule: sets `operandGrads` to one null entry per operand of `op`
/// and returns the gradient of its first result, or null when the rule has
/// nothing to build (every result gradient is null, or the first result is
/// not a float tensor).
mlir::Value beginGradientRule(mlir::Operation *op, mlir::ValueRange resultGrads,
                              llvm::SmallVectorImpl<mlir::Value> &operandGrads);

/// A rank-0 tensor of `elementType` (f32 or f64) holding `value`, as an
/// nn.constant; it broadcasts against any tensor of that element type.
mlir::Value createScalarConstant(mlir::OpBuilder &builder, mlir::Location loc,
                                 mlir::Type elementType, double value);

/// A rank-0 tensor of `like`'s element type holding `value`.
mlir::Value createScalarLike(mlir::OpBuilder &builder, mlir::Location loc,
                             mlir::Value like, double value);

/// Reduces `grad`, the gradient of a broadcast result, to `operandType`,
/// the shape of the operand that was broadcast, with one nn.reduce_sum over
/// the leading axes the operand lacks and the axes where its extent 1 was
/// stretched: without keepdims when only leading axes are summed, else with
/// keepdims followed by an nn.reshape that drops the leading axes. A dynamic
/// leading (batch) axis of `grad` is summed only when the operand lacks it or
/// has 1 there. Returns `grad` itself when its type is `operandType`; asserts
/// that the shapes broadcast.
mlir::Value reduceGradientToShape(mlir::OpBuilder &builder, mlir::Location loc,
                                  mlir::Value grad,
                                  mlir::RankedTensorType operandType);

/// The number of elements of `like` over `axes` (non-negative, sorted or
/// not; empty means every axis) as a rank-0 tensor of `like`'s float element
/// type. A constant when those extents are static; when they include the
/// dynamic batch axis, the batch size is computed from `like` itself (one
/// element per batch row mapped to 1 by pow(x, 0), which is 1 for every x,
/// NaN and infinities included, then summed), so it stays correct for any
/// batch the function is later specialised to.
mlir::Value createElementCount(mlir::OpBuilder &builder, mlir::Location loc,
                               mlir::Value like, llvm::ArrayRef<int64_t> axes);

/// `value` with its last two axes swapped (nn.transpose); rank >= 2.
mlir::Value transposeLastTwo(mlir::OpBuilder &builder, mlir::Location loc,
                             mlir::Value value);

} // namespace nnc::nn

#endif // NNC_IR_GRADIENTUTILS_H
