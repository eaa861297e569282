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

} // namespace nnc::nn

#endif // NNC_IR_GRADIENTUTILS_H
