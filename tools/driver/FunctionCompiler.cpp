//===- FunctionCompiler.cpp - A function compiled for a backend -----------===//

#include "tools/driver/FunctionCompiler.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace nnc::driver {
namespace {

InFlightDiagnostic emitPlainError(MLIRContext *context) {
  return emitError(UnknownLoc::get(context));
}

} // namespace

FailureOr<CompiledFunction>
compileFunction(func::FuncOp func, const rt::LoadedPlugin &plugin,
                const PlanOptions &planOptions,
                const std::vector<std::string> &targetCpus) {
  MLIRContext *context = func.getContext();
  FailureOr<PlannedGraph> planned = planExecution(func, planOptions);
  if (failed(planned))
    return failure();

  bool unsupported = false;
  planned->kernels->walk([&](Operation *op) {
    Dialect *dialect = op->getDialect();
    if (!dialect || dialect->getNamespace() != "nn" ||
        plugin.supportsOp(op->getName().getStringRef().str()))
      return;
    op->emitError() << "backend '" << plugin.name() << "' does not support '"
                    << op->getName() << "'";
    unsupported = true;
  });
  if (unsupported)
    return failure();

  std::string bytecode;
  llvm::raw_string_ostream bytecodeStream(bytecode);
  if (failed(writeBytecodeToFile(*planned->kernels, bytecodeStream)))
    return emitPlainError(context) << "cannot serialise the kernels";
  bytecodeStream.flush();

  CompiledFunction compiled;
  rt::Expected<rt::PluginExecutable> executable =
      rt::PluginExecutable::compile(plugin, bytecode.data(), bytecode.size(),
                                    targetCpus);
  if (!executable.ok())
    return emitPlainError(context) << executable.message();
  compiled.executable.emplace(std::move(*executable));

  std::vector<nnc_kernel_info> kernels;
  for (int64_t i = 0; i < compiled.executable->numKernels(); ++i) {
    rt::Expected<rt::PluginKernel> kernel = compiled.executable->kernel(i);
    if (!kernel.ok())
      return emitPlainError(context) << kernel.message();
    kernels.push_back(kernel->info());
  }
  rt::Expected<rt::Executor> executor =
      rt::Executor::create(std::move(planned->plan), std::move(kernels),
                           compiled.executable->plugin().api());
  if (!executor.ok())
    return emitPlainError(context) << executor.message();
  compiled.executor.emplace(std::move(*executor));
  return compiled;
}

} // namespace nnc::driver
