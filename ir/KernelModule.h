//===- KernelModule.h - Reading the kernel module a backend gets -*- C++ -*-===//
//
// What every backend's compiler half does first with the graph the host
// sends through `compile` (docs/plugins.md): parse the MLIR bytecode, find
// an op it does not list, and take the functions @kernel_0 ...
// @kernel_<n-1> in index order. One reading of the contract for all
// backends, so that they reject the same modules with the same messages.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_IR_KERNELMODULE_H
#define NNC_IR_KERNELMODULE_H

#include "ir/ErrorDiagnostics.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>
#include <vector>

namespace nnc {

/// The attribute on a kernel function naming the results the plan computes
/// in place of an argument: a flat i64 array of (result, argument) index
/// pairs. The executor then passes one buffer as both, and a backend may
/// count on it (docs/plugins.md); one that does not may ignore it.
inline constexpr const char *kInPlaceAttr = "nn.in_place";

/// Parses the graph `bytecode` (the contract is bytecode, never text) into
/// `context`. On failure returns null and sets `error` to one line.
mlir::OwningOpRef<mlir::ModuleOp>
parseKernelModule(mlir::MLIRContext &context, const void *bytecode,
                  size_t size, const ErrorDiagnostics &diagnostics,
                  std::string &error);

/// The first op of `module` whose name is not in `supportedOps` (a list
/// ending with nullptr), the module, functions and returns aside; null if
/// there is none.
mlir::Operation *findUnsupportedOp(mlir::ModuleOp module,
                                   const char *const *supportedOps);

/// The module's functions @kernel_0 ... @kernel_<n-1>, in index order.
/// Emits an error on the module and fails when it holds anything else, or a
/// kernel is misnamed, repeated or missing.
mlir::FailureOr<std::vector<mlir::func::FuncOp>>
kernelFunctions(mlir::ModuleOp module);

} // namespace nnc

#endif // NNC_IR_KERNELMODULE_H
