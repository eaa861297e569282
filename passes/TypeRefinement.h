//===- TypeRefinement.h - Recompute types after argument changes -*- C++ -*-===//
//
// Passes that change a function's argument types (a batch size, a float
// width) let every op recompute its result types through
// InferTypeOpInterface, the rules the verifier uses, so no op needs code in
// those passes.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_TYPEREFINEMENT_H
#define NNC_PASSES_TYPEREFINEMENT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LogicalResult.h"

#include <functional>

namespace nnc {

/// Gives each argument of `function` the type `convert` returns for it, then
/// re-infers every op's result types in program order (after calling
/// `prepare` on the op, which may rewrite its attributes first) and updates
/// the function type from its return. Fails, with the error at the op's
/// location, when an op cannot infer its types.
mlir::LogicalResult refineFunctionTypes(
    mlir::func::FuncOp function,
    const std::function<mlir::Type(mlir::Type)> &convert,
    const std::function<void(mlir::Operation *)> &prepare = nullptr);

} // namespace nnc

#endif // NNC_PASSES_TYPEREFINEMENT_H
