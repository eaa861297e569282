//===- GradientUtils.h - Helpers shared by gradient rules -------*- C++ -*-===//

#ifndef NNC_IR_GRADIENTUTILS_H
#define NNC_IR_GRADIENTUTILS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"

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

} // namespace nnc::nn

#endif // NNC_IR_GRADIENTUTILS_H
