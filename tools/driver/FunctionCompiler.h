//===- FunctionCompiler.h - A function compiled for a backend ---*- C++ -*-===//
//
// The last compiler step every tool and test shares: plan a statically
// shaped nn function into kernels and an arena, have a backend plugin
// compile the kernels, and wrap them in the oneTBB executor.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_DRIVER_FUNCTIONCOMPILER_H
#define NNC_TOOLS_DRIVER_FUNCTIONCOMPILER_H

#include "passes/ExecutionPlanner.h"
#include "runtime/Executor.h"
#include "runtime/PluginExecutable.h"
#include "runtime/PluginHost.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LogicalResult.h"

#include <optional>

namespace nnc::driver {

/// A compiled function: the plugin's executable and the executor over its
/// kernels. The executable is declared first so it outlives the executor,
/// whose kernels point into it.
struct CompiledFunction {
  std::optional<rt::PluginExecutable> executable;
  std::optional<rt::Executor> executor;
};

/// Compiles `func`, whose shapes must be static, with `plugin`. Every
/// failure is emitted as an MLIR diagnostic: at the op for an op the
/// backend does not support (all of them, not just the first), at an
/// unknown location for the plugin's own errors. `targetCpus` asks for
/// serialized machine code for those CPUs (PluginExecutable::compile).
mlir::FailureOr<CompiledFunction>
compileFunction(mlir::func::FuncOp func, const rt::LoadedPlugin &plugin,
                const PlanOptions &planOptions = {},
                const std::vector<std::string> &targetCpus = {});

} // namespace nnc::driver

#endif // NNC_TOOLS_DRIVER_FUNCTIONCOMPILER_H
