//===- FunctionCompiler.h - A function compiled for a backend ---*- C++ -*-===//
//
// The last compiler step every tool and test shares: plan a statically
// shaped nn function into kernels and an arena, have a backend plugin
// compile the kernels, and wrap them in the oneTBB executor.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DRIVER_DRIVER_FUNCTIONCOMPILER_H
#define NNC_DRIVER_DRIVER_FUNCTIONCOMPILER_H

#include "passes/ExecutionPlanner.h"
#include "runtime/Function.h"
#include "runtime/PluginHost.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LogicalResult.h"

#include <optional>

namespace nnc::driver {

/// Compiles `func`, whose shapes must be static, with `plugin`, into a
/// graph that runs in `session` (null: a new one with default options),
/// whose options reach the plugin (PluginExecutable::compile) with
/// `targetCpus`. Every failure is emitted as an MLIR diagnostic: at the op
/// for an op the backend does not support (all of them, not just the
/// first), at an unknown location for the plugin's own errors.
mlir::FailureOr<rt::Function>
compileFunction(mlir::func::FuncOp func, const rt::LoadedPlugin &plugin,
                std::shared_ptr<rt::Session> session = nullptr,
                const PlanOptions &planOptions = {},
                const std::vector<std::string> &targetCpus = {});

} // namespace nnc::driver

#endif // NNC_DRIVER_DRIVER_FUNCTIONCOMPILER_H
