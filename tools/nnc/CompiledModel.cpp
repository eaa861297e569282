//===- CompiledModel.cpp - A model compiled for a backend -----------------===//

#include "tools/nnc/CompiledModel.h"

#include "tools/nnc/Context.h"
#include "tools/nnc/SourceDiagnosticHandler.h"

#include "tools/driver/FunctionCompiler.h"
#include "passes/Passes.h"
#include "runtime/Npy.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <oneapi/tbb/global_control.h>

#include <memory>

using namespace mlir;

namespace nnc::cli {
namespace {

/// The batch size the feeds imply: the leading extent shared by every fed
/// input whose leading dimension is symbolic; 0 when none is.
std::optional<int64_t>
inferBatchSize(const frontend::Program &program,
               const std::map<std::string, rt::Tensor> &feeds) {
  int64_t batch = 0;
  std::string first;
  for (const frontend::Argument &arg : program.arguments) {
    if (arg.role != frontend::Argument::Role::Input || arg.type.shape.empty() ||
        arg.type.shape[0] != shape::kDynamic)
      continue;
    auto it = feeds.find(arg.name);
    if (it == feeds.end() || it->second.view().shape().empty())
      continue;
    int64_t extent = it->second.view().shape()[0];
    if (batch == 0) {
      batch = extent;
      first = arg.name;
    } else if (extent != batch) {
      llvm::errs() << "error: inputs disagree on the batch size "
                   << program.batchSymbol << ": '" << first << "' has "
                   << batch << ", '" << arg.name << "' has " << extent << "\n";
      return std::nullopt;
    }
  }
  return batch;
}

/// Drops the loss result and the ops only it used, so that a model can run
/// for its outputs without the loss's inputs (labels).
void dropLoss(func::FuncOp forward) {
  unsigned lossIndex = forward.getNumResults() - 1;
  auto ret = cast<func::ReturnOp>(forward.getBody().front().getTerminator());
  ret->eraseOperand(lossIndex);
  forward.eraseResult(lossIndex);
  // nn ops are pure: anything left without users is dead.
  bool erased = true;
  while (erased) {
    erased = false;
    for (Operation &op : llvm::make_early_inc_range(
             llvm::reverse(forward.getBody().front().getOperations()))) {
      if (&op != ret.getOperation() && op.use_empty()) {
        op.erase();
        erased = true;
      }
    }
  }
}

} // namespace

ExitCode readNamedTensors(const std::vector<std::string> &arguments,
                          const char *flag,
                          std::map<std::string, rt::Tensor> &tensors) {
  for (const std::string &argument : arguments) {
    auto [name, path] = llvm::StringRef(argument).split('=');
    if (name.empty() || path.empty()) {
      llvm::errs() << "error: " << flag << " expects NAME=FILE.npy, got '"
                   << argument << "'\n";
      return UsageError;
    }
    rt::Expected<rt::Tensor> tensor = rt::readNpy(path.str());
    if (!tensor.ok()) {
      llvm::errs() << "error: " << tensor.message() << "\n";
      return UserError;
    }
    tensors.insert_or_assign(name.str(), std::move(*tensor));
  }
  return Success;
}

std::optional<CompiledModel>
compileModel(const SessionOptions &session, const std::string &modelPath,
             const std::map<std::string, rt::Tensor> &feeds) {
  std::optional<LoadedModel> loaded = loadModel(modelPath);
  if (!loaded)
    return std::nullopt;
  const frontend::Program &program = loaded->program;

  std::vector<std::string> inputNames, missing;
  for (const frontend::Argument &arg : program.arguments) {
    if (arg.role != frontend::Argument::Role::Input)
      continue;
    inputNames.push_back(arg.name);
    if (!feeds.count(arg.name))
      missing.push_back(arg.name);
  }
  for (const auto &[name, tensor] : feeds) {
    if (llvm::is_contained(inputNames, name))
      continue;
    llvm::errs() << "error: the model has no input '" << name
                 << "' (inputs: " << llvm::join(inputNames, ", ") << ")\n";
    return std::nullopt;
  }
  std::optional<int64_t> batch = inferBatchSize(program, feeds);
  if (!batch)
    return std::nullopt;
  if (*batch == 0 && !program.batchSymbol.empty()) {
    llvm::errs() << "error: no input gives the batch size "
                 << program.batchSymbol << "\n";
    return std::nullopt;
  }

  std::unique_ptr<MLIRContext> context = createContext();
  OwningOpRef<ModuleOp> module = lowerModel(*context, *loaded);
  if (!module)
    return std::nullopt;
  SourceDiagnosticHandler diagnostics(*context, *loaded->diagnostics);
  auto forward = cast<func::FuncOp>(module->lookupSymbol("forward"));

  if (!missing.empty() && program.hasLoss)
    dropLoss(forward);
  for (const std::string &name : missing) {
    for (BlockArgument arg : forward.getArguments()) {
      auto argName = forward.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                          "nn.name");
      if (argName && argName.getValue() == name && !arg.use_empty()) {
        llvm::errs() << "error: missing --input " << name
                     << "=FILE.npy (inputs: " << llvm::join(inputNames, ", ")
                     << ")\n";
        return std::nullopt;
      }
    }
  }

  if (*batch > 0) {
    PassManager pm(context.get());
    SpecializeBatchPassOptions batchOptions;
    batchOptions.batchSize = *batch;
    pm.addNestedPass<func::FuncOp>(createSpecializeBatchPass(batchOptions));
    if (failed(pm.run(*module)))
      return std::nullopt;
  }

  CompiledModel model;
  model.threads = session.threads;
  rt::Expected<rt::PluginSet> plugins =
      rt::discoverPlugins(rt::defaultPluginDirs(), session.plugins);
  if (!plugins.ok()) {
    llvm::errs() << "error: " << plugins.message() << "\n";
    return std::nullopt;
  }
  model.plugins = std::move(*plugins);
  for (const std::string &warning : model.plugins.warnings)
    llvm::errs() << "warning: " << warning << "\n";
  const rt::LoadedPlugin *plugin = model.plugins.find(session.backend);
  if (!plugin) {
    std::vector<std::string> names;
    for (const rt::LoadedPlugin &p : model.plugins.plugins)
      names.push_back(p.name());
    llvm::errs() << "error: no backend named '" << session.backend
                 << "' (available: " << llvm::join(names, ", ") << ")\n";
    return std::nullopt;
  }
  FailureOr<driver::CompiledFunction> compiled =
      driver::compileFunction(forward, *plugin);
  if (failed(compiled))
    return std::nullopt;
  model.executable = std::move(compiled->executable);
  model.executor = std::move(compiled->executor);

  for (const rt::ExternalBinding &binding : model.executor->plan().inputs) {
    if (binding.role != "input" || feeds.count(binding.name))
      continue;
    const rt::PlanValue &value = model.executor->plan().values[binding.value];
    rt::Expected<rt::Tensor> zeros = rt::Tensor::create(value.dtype, value.shape);
    if (!zeros.ok()) {
      llvm::errs() << "error: " << zeros.message() << "\n";
      return std::nullopt;
    }
    model.unusedInputs.insert_or_assign(binding.name, std::move(*zeros));
  }
  model.loaded = std::move(*loaded);
  return model;
}

bool CompiledModel::run(const std::map<std::string, rt::Tensor> &feeds,
                        const ParameterStore &params,
                        std::map<std::string, rt::Tensor> &outputs) {
  const rt::ExecutionPlan &plan = executor->plan();
  std::vector<rt::ConstTensorView> inputViews;
  for (const rt::ExternalBinding &binding : plan.inputs) {
    const rt::Tensor *tensor = nullptr;
    if (binding.role == "input") {
      auto it = feeds.find(binding.name);
      tensor = it != feeds.end() ? &it->second
                                 : &unusedInputs.at(binding.name);
    } else {
      tensor = params.find(binding.name);
    }
    if (!tensor) {
      llvm::errs() << "error: no value for '" << binding.name << "'\n";
      return false;
    }
    inputViews.push_back(tensor->view());
  }
  outputs.clear();
  std::vector<rt::TensorView> outputViews;
  for (const rt::ExternalBinding &binding : plan.outputs) {
    const rt::PlanValue &value = plan.values[binding.value];
    rt::Expected<rt::Tensor> tensor = rt::Tensor::create(value.dtype, value.shape);
    if (!tensor.ok()) {
      llvm::errs() << "error: " << tensor.message() << "\n";
      return false;
    }
    auto [it, inserted] =
        outputs.insert_or_assign(binding.name, std::move(*tensor));
    outputViews.push_back(it->second.view());
  }

  std::optional<tbb::global_control> threadCap;
  if (threads > 0)
    threadCap.emplace(tbb::global_control::max_allowed_parallelism, threads);
  if (rt::Error error = executor->run(inputViews, outputViews); !error.ok()) {
    llvm::errs() << "error: " << error.message() << "\n";
    return false;
  }
  return true;
}

} // namespace nnc::cli
