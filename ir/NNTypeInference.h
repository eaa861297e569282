//===- NNTypeInference.h - Shared result-type inference ---------*- C++ -*-===//
//
// Inference helpers that the op base classes of NNBase.td call from their
// generated inferReturnTypes. Internal to ir/: users build ops and read
// their types.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_IR_NNTYPEINFERENCE_H
#define NNC_IR_NNTYPEINFERENCE_H

#include "mlir/IR/Location.h"
#include "mlir/IR/Types.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <optional>

namespace nnc::nn::detail {

/// A unary elementwise op: the result type is the operand type, which must be
/// a ranked tensor.
llvm::LogicalResult inferUnaryType(llvm::StringRef opName,
                                   std::optional<mlir::Location> loc,
                                   mlir::Type operand,
                                   llvm::SmallVectorImpl<mlir::Type> &types);

/// A broadcasting binary op: the shape is shape::broadcast of the operands',
/// the element type the left operand's.
llvm::LogicalResult
inferBroadcastType(llvm::StringRef opName, std::optional<mlir::Location> loc,
                   mlir::Type lhs, mlir::Type rhs,
                   llvm::SmallVectorImpl<mlir::Type> &types);

} // namespace nnc::nn::detail

#endif // NNC_IR_NNTYPEINFERENCE_H
