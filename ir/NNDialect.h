//===- NNDialect.h - The nn dialect -----------------------------*- C++ -*-===//
//
// The nn dialect class and the registration hook every tool calls.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_IR_NNDIALECT_H
#define NNC_IR_NNDIALECT_H

#include "mlir/IR/Dialect.h"

#include "ir/NNOpsDialect.h.inc"

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace nnc {

/// Adds every dialect an nnc program uses to `registry`: nn, and func for the
/// functions that hold the graph. Both the nnc CLI and nnc-opt call it; add a
/// dialect here when a pass starts producing its ops.
void registerAllDialects(mlir::DialectRegistry &registry);

} // namespace nnc

#endif // NNC_IR_NNDIALECT_H
