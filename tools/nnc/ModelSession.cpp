//===- ModelSession.cpp - A model opened for compiling and running --------===//

#include "tools/nnc/ModelSession.h"

#include "passes/Passes.h"

#include "tools/nnc/Context.h"
#include "tools/nnc/SourceDiagnosticHandler.h"

#include "frontend/MLIRGen.h"
#include "frontend/Sema.h"
#include "ir/NNOps.h"
#include "runtime/Npy.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace nnc::cli {
namespace {

/// Drops the loss result and the ops only it used, so that a model can run
/// for its outputs without the loss's inputs (labels).
void dropLoss(func::FuncOp forward) {
  unsigned lossIndex = forward.getNumResults() - 1;
  auto role = forward.getResultAttrOfType<StringAttr>(lossIndex,
                                                      frontend::attrs::kRole);
  if (!role || role.getValue() != "loss")
    return;
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

StringRef argString(func::FuncOp func, unsigned index, const char *attr) {
  auto value = func.getArgAttrOfType<StringAttr>(index, attr);
  return value ? value.getValue() : StringRef();
}

StringRef resultString(func::FuncOp func, unsigned index, const char *attr) {
  auto value = func.getResultAttrOfType<StringAttr>(index, attr);
  return value ? value.getValue() : StringRef();
}

/// Marks parameters matching `patterns` frozen; a pattern that matches no
/// parameter is an error, as in the DSL's `freeze`.
bool freezeParameters(func::FuncOp forward,
                      const std::vector<std::string> &patterns) {
  for (const std::string &pattern : patterns) {
    bool matched = false;
    for (unsigned i = 0; i < forward.getNumArguments(); ++i) {
      if (argString(forward, i, frontend::attrs::kRole) != "param" ||
          !frontend::matchesGlob(pattern,
                                 argString(forward, i, frontend::attrs::kName)))
        continue;
      forward.setArgAttr(i, frontend::attrs::kFrozen,
                         UnitAttr::get(forward.getContext()));
      matched = true;
    }
    if (!matched) {
      llvm::errs() << "error: --freeze pattern '" << pattern
                   << "' matches no parameter\n";
      return false;
    }
  }
  return true;
}

/// The compile pipeline's options for `request` (passes/Pipelines.h).
CompilePipelineOptions pipelineFor(const GraphRequest &request,
                                   const OptimizationOptions &optimizations) {
  CompilePipelineOptions options = compilePipelineOptions(optimizations);
  bool split = request.kind == GraphKind::TrainingGradients ||
               request.kind == GraphKind::TrainingUpdate;
  options.goal = request.kind == GraphKind::Gradient ? PipelineGoal::Gradient
                 : request.kind == GraphKind::TrainingStep || split
                     ? PipelineGoal::TrainingStep
                     : PipelineGoal::Forward;
  options.batch = request.batch;
  options.promoteToF64 = request.promoteToF64;
  options.wrtInputs = request.wrtInputs;
  options.trainingMode = request.trainingMode;
  for (const auto &[key, value] : request.trainingOptions)
    options.trainingOptions.push_back(key + "=" + value);
  if (split)
    options.trainingOptions.push_back("split=true");
  return options;
}

const char *boolText(bool value) { return value ? "true" : "false"; }

const char *functionName(GraphKind kind) {
  switch (kind) {
  case GraphKind::Forward:
    return "forward";
  case GraphKind::Gradient:
    return "grad";
  case GraphKind::TrainingStep:
    return "train_step";
  case GraphKind::TrainingGradients:
    return "train_grads";
  case GraphKind::TrainingUpdate:
    return "train_apply";
  }
  return "forward";
}

/// Reads the accuracy metric off the loss op of `forward`, if its kind and
/// operands allow one.
std::optional<AccuracySpec> findAccuracySpec(func::FuncOp forward) {
  auto ret = cast<func::ReturnOp>(forward.getBody().front().getTerminator());
  unsigned numResults = forward.getNumResults();
  if (numResults == 0 ||
      resultString(forward, numResults - 1, frontend::attrs::kRole) != "loss")
    return std::nullopt;
  Operation *loss = ret.getOperand(numResults - 1).getDefiningOp();
  if (!loss || loss->getNumOperands() < 2)
    return std::nullopt;
  AccuracySpec spec;
  StringRef name = loss->getName().getStringRef();
  if (name == "nn.softmax_cross_entropy") {
    spec.kind = AccuracySpec::Kind::Argmax;
    spec.ignoreIndex = cast<nn::SoftmaxCrossEntropyOp>(loss).getIgnoreIndex();
  } else if (name == "nn.binary_cross_entropy")
    spec.kind = AccuracySpec::Kind::Threshold;
  else
    return std::nullopt;
  auto labels = dyn_cast<BlockArgument>(loss->getOperand(1));
  if (!labels || argString(forward, labels.getArgNumber(),
                           frontend::attrs::kRole) != "input")
    return std::nullopt;
  spec.labelInput =
      argString(forward, labels.getArgNumber(), frontend::attrs::kName).str();
  for (unsigned i = 0; i + 1 < numResults; ++i) {
    if (ret.getOperand(i) != loss->getOperand(0))
      continue;
    spec.outputName = resultString(forward, i, frontend::attrs::kName).str();
    return spec;
  }
  return std::nullopt;
}

} // namespace

ExitCode readNamedTensors(const std::vector<std::string> &arguments,
                          const char *flag,
                          std::map<std::string, rt::Tensor> &tensors) {
  for (const std::string &argument : arguments) {
    auto [name, path] = llvm::StringRef(argument).split('=');
    if (name.empty() || path.empty()) {
      llvm::errs() << "error: " << flag << " expects NAME=FILE, got '"
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

CompilePipelineOptions
compilePipelineOptions(const OptimizationOptions &optimizations) {
  CompilePipelineOptions options;
  options.canonicalize = optimizations.canonicalize;
  options.cse = optimizations.cse;
  options.simplify = optimizations.simplify;
  options.fuse = optimizations.fuse;
  return options;
}

CompiledGraph::Lookup
feedsAndParams(const std::map<std::string, rt::Tensor> &feeds,
               const ParameterStore &params) {
  return [&feeds, &params](rt::BindingRole role,
                           const std::string &name) -> const rt::Tensor * {
    if (role != rt::BindingRole::Input)
      return params.find(name);
    auto it = feeds.find(name);
    return it == feeds.end() ? nullptr : &it->second;
  };
}

std::unique_ptr<ModelSession> openWithLoss(const SessionOptions &options,
                                           const std::string &modelPath,
                                           const char *purpose) {
  std::unique_ptr<ModelSession> session =
      ModelSession::open(options, modelPath);
  if (session && !session->program().hasLoss) {
    llvm::errs() << "error: the model has no loss to " << purpose << "\n";
    return nullptr;
  }
  return session;
}

//===----------------------------------------------------------------------===//
// ModelSession
//===----------------------------------------------------------------------===//

std::unique_ptr<ModelSession> ModelSession::open(const SessionOptions &options,
                                                 const std::string &modelPath) {
  // The pipelines are built from pass names.
  registerPasses();
  registerPipelines();
  std::unique_ptr<ModelSession> session(new ModelSession());
  session->options = options;
  session->runtime = std::make_shared<rt::Session>(runtimeOptions(options));
  std::optional<LoadedModel> loaded = loadModel(modelPath);
  if (!loaded)
    return nullptr;
  session->model = std::move(*loaded);
  session->context = createContext();
  session->module = lowerModel(*session->context, session->model);
  if (!session->module)
    return nullptr;

  session->accuracySpec = findAccuracySpec(
      cast<func::FuncOp>(session->module->lookupSymbol("forward")));
  session->lossOnlyInputNames = findLossOnlyInputs(*session->module);

  rt::Expected<rt::PluginSet> plugins =
      rt::discoverPlugins(rt::defaultPluginDirs(), options.plugins);
  if (!plugins.ok()) {
    llvm::errs() << "error: " << plugins.message() << "\n";
    return nullptr;
  }
  session->plugins = std::move(*plugins);
  for (const std::string &warning : session->plugins.warnings)
    llvm::errs() << "warning: " << warning << "\n";
  session->plugin = options.backend.empty()
                        ? session->plugins.preferred()
                        : session->plugins.find(options.backend);
  if (!session->plugin) {
    std::vector<std::string> names;
    for (const rt::LoadedPlugin &p : session->plugins.plugins)
      names.push_back(p.name());
    if (options.backend.empty())
      llvm::errs() << "error: no backend plugin found\n";
    else
      llvm::errs() << "error: no backend named '" << options.backend
                   << "' (available: " << llvm::join(names, ", ") << ")\n";
    return nullptr;
  }
  // The name the session reports from now on is the backend that runs.
  session->options.backend = session->plugin->name();
  // On stderr, so that stdout stays what the command produces.
  llvm::errs() << "backend: " << session->plugin->name() << "\n";
  return session;
}

rt::Expected<int64_t>
batchSizeOf(const frontend::Program &program,
            const std::map<std::string, rt::Shape> &shapes) {
  int64_t batch = 0;
  std::string first;
  for (const frontend::Argument &arg : program.arguments) {
    if (arg.role != frontend::Argument::Role::Input || arg.type.shape.empty() ||
        arg.type.shape[0] != shape::kDynamic)
      continue;
    auto it = shapes.find(arg.name);
    if (it == shapes.end() || it->second.empty())
      continue;
    int64_t extent = it->second[0];
    if (batch == 0) {
      batch = extent;
      first = arg.name;
    } else if (extent != batch) {
      return rt::Error::failure("inputs disagree on the batch size " +
                                program.batchSymbol + ": '" + first + "' has " +
                                std::to_string(batch) + ", '" + arg.name +
                                "' has " + std::to_string(extent));
    }
  }
  if (batch == 0 && !program.batchSymbol.empty())
    return rt::Error::failure("no input gives the batch size " +
                              program.batchSymbol);
  return batch;
}

std::optional<int64_t> ModelSession::batchSizeOf(
    const std::map<std::string, rt::Tensor> &feeds) const {
  std::map<std::string, rt::Shape> shapes;
  for (const auto &[name, tensor] : feeds)
    shapes[name] = tensor.shape();
  rt::Expected<int64_t> batch = cli::batchSizeOf(model.program, shapes);
  if (!batch.ok()) {
    llvm::errs() << "error: " << batch.message() << "\n";
    return std::nullopt;
  }
  return *batch;
}

std::vector<std::string> ModelSession::inputNames() const {
  std::vector<std::string> names;
  for (const frontend::Argument &arg : model.program.arguments)
    if (arg.role == frontend::Argument::Role::Input)
      names.push_back(arg.name);
  return names;
}

std::vector<std::string> ModelSession::findLossOnlyInputs(ModuleOp module) {
  OwningOpRef<ModuleOp> copy = module.clone();
  auto forward = cast<func::FuncOp>(copy->lookupSymbol("forward"));
  dropLoss(forward);
  std::vector<std::string> names;
  for (BlockArgument arg : forward.getArguments())
    if (argString(forward, arg.getArgNumber(), frontend::attrs::kRole) ==
            "input" &&
        arg.use_empty())
      names.push_back(
          argString(forward, arg.getArgNumber(), frontend::attrs::kName).str());
  return names;
}

std::unique_ptr<CompiledGraph>
ModelSession::compile(const GraphRequest &request) {
  SourceDiagnosticHandler diagnostics(*context, *model.diagnostics);
  OwningOpRef<ModuleOp> copy = module->clone();
  auto forward = cast<func::FuncOp>(copy->lookupSymbol("forward"));
  if (!freezeParameters(forward, request.freeze))
    return nullptr;
  if (request.withoutLoss)
    dropLoss(forward);

  PassManager pm(context.get());
  if (failed(buildCompilePipeline(
          pm, pipelineFor(request, options.optimizations), llvm::errs())))
    return nullptr;
  if (failed(pm.run(*copy)))
    return nullptr;
  auto func = copy->lookupSymbol<func::FuncOp>(functionName(request.kind));
  if (!func) {
    llvm::errs() << "error: the pipeline made no @"
                 << functionName(request.kind) << "\n";
    return nullptr;
  }

  PlanOptions planOptions;
  planOptions.inPlace = options.optimizations.inPlace;
  FailureOr<rt::Function> compiled = driver::compileFunction(
      func, *plugin, runtime, planOptions, request.targetCpus);
  if (failed(compiled))
    return nullptr;
  // Inputs bound but never read (the labels of a graph without its loss)
  // are fed zeros, so that callers need not have them.
  std::vector<std::string> unread;
  for (BlockArgument arg : func.getArguments())
    if (arg.use_empty() &&
        argString(func, arg.getArgNumber(), frontend::attrs::kRole) == "input")
      unread.push_back(
          argString(func, arg.getArgNumber(), frontend::attrs::kName).str());
  return CompiledGraph::create(std::move(*compiled), unread);
}

} // namespace nnc::cli
