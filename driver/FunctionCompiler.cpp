//===- FunctionCompiler.cpp - A function compiled for a backend -----------===//

#include "driver/FunctionCompiler.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace nnc::driver {
namespace {

InFlightDiagnostic emitPlainError(MLIRContext *context) {
  return emitError(UnknownLoc::get(context));
}

} // namespace

FailureOr<rt::Function>
compileFunction(func::FuncOp func, const rt::LoadedPlugin &plugin,
                std::shared_ptr<rt::Session> session,
                const PlanOptions &planOptions,
                const std::vector<std::string> &targetCpus) {
  if (!session)
    session = std::make_shared<rt::Session>();
  MLIRContext *context = func.getContext();
  FailureOr<PlannedGraph> planned = planExecution(func, planOptions);
  if (failed(planned))
    return failure();

  // One error for every op the backend lacks, at the first that the source
  // locates, naming each other kind once: one per op would repeat a kind
  // for every use, and a constant the compiler made has no line to show.
  Operation *shown = nullptr;
  llvm::SetVector<StringRef> missing;
  planned->kernels->walk([&](Operation *op) {
    Dialect *dialect = op->getDialect();
    if (!dialect || dialect->getNamespace() != "nn" ||
        plugin.supportsOp(op->getName().getStringRef().str()))
      return;
    missing.insert(op->getName().getStringRef());
    if (!shown || (!isa<FileLineColLoc>(shown->getLoc()) &&
                   isa<FileLineColLoc>(op->getLoc())))
      shown = op;
  });
  if (shown) {
    InFlightDiagnostic error =
        shown->emitError() << "backend '" << plugin.name()
                           << "' does not support '" << shown->getName() << "'";
    missing.remove(shown->getName().getStringRef());
    for (auto [index, name] : llvm::enumerate(missing))
      error << (index == 0 ? ", nor '" : ", '") << name << "'";
    return failure();
  }

  std::string bytecode;
  llvm::raw_string_ostream bytecodeStream(bytecode);
  if (failed(writeBytecodeToFile(*planned->kernels, bytecodeStream)))
    return emitPlainError(context) << "cannot serialise the kernels";
  bytecodeStream.flush();

  // A backend's parallel compile uses the session's threads too.
  rt::Expected<rt::PluginExecutable> executable = session->execute([&] {
    return rt::PluginExecutable::compile(plugin, bytecode.data(),
                                         bytecode.size(),
                                         session->compileOptions(targetCpus));
  });
  if (!executable.ok())
    return emitPlainError(context) << executable.message();

  // Before any get_kernel: one past the plan's count would otherwise fail
  // in the plugin, with a message that does not say what is wrong.
  size_t planKernels = planned->plan.kernels.size();
  if (executable->numKernels() != static_cast<int64_t>(planKernels))
    return emitPlainError(context)
           << "the plan has " << planKernels << " kernels but the backend gave "
           << executable->numKernels();
  std::vector<nnc_kernel_info> kernels;
  for (int64_t i = 0; i < executable->numKernels(); ++i) {
    rt::Expected<rt::PluginKernel> kernel = executable->kernel(i);
    if (!kernel.ok())
      return emitPlainError(context) << kernel.message();
    kernels.push_back(kernel->info());
  }
  rt::Expected<rt::Function> graph =
      rt::makeFunction(std::move(session), std::move(*executable),
                       std::move(planned->plan), std::move(kernels));
  if (!graph.ok())
    return emitPlainError(context) << graph.message();
  return std::move(*graph);
}

} // namespace nnc::driver
