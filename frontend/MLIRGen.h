//===- MLIRGen.h - A checked Program to the nn dialect ----------*- C++ -*-===//
//
// The one bridge between the frontend and MLIR: turns an elaborated Program
// into a module holding one `func.func @forward` of nn ops. Every op gets the
// DSL position it came from as its location (a CallSiteLoc chain for ops
// expanded from layers), so any later diagnostic points at the user's line.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_FRONTEND_MLIRGEN_H
#define NNC_FRONTEND_MLIRGEN_H

#include "frontend/Program.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace nnc::frontend {

/// Names of the attributes MLIRGen puts on the forward function; the later
/// passes and the runtime read them back.
namespace attrs {
/// On each argument: its qualified DSL name.
inline constexpr const char *kName = "nn.name";
// The role of each argument and result, nn.role, is read and written
// through ir/BindingRoles.h.
/// On params and buffers: {kind = "he", seed = 3 : i64, ...}.
inline constexpr const char *kInit = "nn.init";
/// On params frozen by the training section.
inline constexpr const char *kFrozen = "nn.frozen";
/// On the module: the training section as a dictionary.
inline constexpr const char *kTrain = "nn.train";
/// On the module: the symbol of the batch dimension, when there is one.
inline constexpr const char *kBatchSymbol = "nn.batch_symbol";
} // namespace attrs

/// Builds the module for `program`. The context must have the nn and func
/// dialects loaded. Returns null after emitting a diagnostic if the module
/// fails to verify, which means sema and the dialect disagree.
mlir::OwningOpRef<mlir::ModuleOp> generateModule(mlir::MLIRContext &context,
                                                 const Program &program);

} // namespace nnc::frontend

#endif // NNC_FRONTEND_MLIRGEN_H
