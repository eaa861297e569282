//===- ModelSession.cpp - A model opened for compiling and running --------===//

#include "driver/ModelSession.h"

#include "train/DataArguments.h"

#include "passes/Passes.h"

#include "driver/Context.h"
#include "driver/SourceDiagnosticHandler.h"

#include "frontend/MLIRGen.h"
#include "frontend/Sema.h"
#include "ir/BindingRoles.h"
#include "ir/NNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace nnc::driver {
namespace {

/// Drops the loss result and the ops only it used, so that a model can run
/// for its outputs without the loss's inputs (labels).
void dropLoss(func::FuncOp forward) {
  unsigned lossIndex = forward.getNumResults() - 1;
  if (nn::resultRole(forward, lossIndex) != rt::BindingRole::Loss)
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
rt::Error freezeParameters(func::FuncOp forward,
                           const std::vector<std::string> &patterns) {
  for (const std::string &pattern : patterns) {
    if (pattern.empty())
      return rt::Error::failure(
          "--freeze has an empty pattern (a comma too many?)");
    bool matched = false;
    std::vector<std::string> buffers, params;
    for (unsigned i = 0; i < forward.getNumArguments(); ++i) {
      if (nn::argumentRole(forward, i) == rt::BindingRole::Buffer)
        buffers.push_back(argString(forward, i, frontend::attrs::kName).str());
      if (nn::argumentRole(forward, i) == rt::BindingRole::Param)
        params.push_back(argString(forward, i, frontend::attrs::kName).str());
      if (nn::argumentRole(forward, i) != rt::BindingRole::Param ||
          !frontend::matchesGlob(pattern,
                                 argString(forward, i, frontend::attrs::kName)))
        continue;
      forward.setArgAttr(i, frontend::attrs::kFrozen,
                         UnitAttr::get(forward.getContext()));
      matched = true;
    }
    if (!matched)
      return rt::Error::failure(
          "--freeze pattern '" + pattern + "' " +
          frontend::unmatchedFreezePattern(pattern, buffers, params));
  }
  return rt::Error::success();
}

/// The compile pipeline's options for `request` (passes/Pipelines.h).
CompilePipelineOptions
pipelineFor(const GraphRequest &request,
            const train::OptimizationOptions &optimizations) {
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
/// operands allow one: the loss itself, or the one cross-entropy a loss is
/// made from (scaled, or with a penalty added), whose mean over its scored
/// positions the loss is still taken over. Without the predictions among
/// the outputs there is no accuracy (an empty outputName), but evaluation
/// still weighs the batches by those positions.
std::optional<train::AccuracySpec> findAccuracySpec(func::FuncOp forward) {
  auto ret = cast<func::ReturnOp>(forward.getBody().front().getTerminator());
  unsigned numResults = forward.getNumResults();
  if (numResults == 0 ||
      nn::resultRole(forward, numResults - 1) != rt::BindingRole::Loss)
    return std::nullopt;
  Operation *loss = ret.getOperand(numResults - 1).getDefiningOp();
  if (loss && !isa<nn::SoftmaxCrossEntropyOp, nn::BinaryCrossEntropyOp>(loss)) {
    // The one softmax cross-entropy; failing that, the one binary one.
    SmallVector<Operation *> softmaxes, binaries;
    forward.walk(
        [&](nn::SoftmaxCrossEntropyOp op) { softmaxes.push_back(op); });
    forward.walk([&](nn::BinaryCrossEntropyOp op) { binaries.push_back(op); });
    if (softmaxes.size() == 1)
      loss = softmaxes.front();
    else if (softmaxes.empty() && binaries.size() == 1)
      loss = binaries.front();
    else
      return std::nullopt;
  }
  if (!loss || loss->getNumOperands() < 2)
    return std::nullopt;
  train::AccuracySpec spec;
  StringRef name = loss->getName().getStringRef();
  if (name == "nn.softmax_cross_entropy") {
    spec.kind = train::AccuracySpec::Kind::Argmax;
    spec.ignoreIndex = cast<nn::SoftmaxCrossEntropyOp>(loss).getIgnoreIndex();
  } else if (name == "nn.binary_cross_entropy")
    spec.kind = train::AccuracySpec::Kind::Threshold;
  else
    return std::nullopt;
  auto labels = dyn_cast<BlockArgument>(loss->getOperand(1));
  if (!labels || nn::argumentRole(forward, labels.getArgNumber()) !=
                     rt::BindingRole::Input)
    return std::nullopt;
  spec.labelInput =
      argString(forward, labels.getArgNumber(), frontend::attrs::kName).str();
  for (unsigned i = 0; i + 1 < numResults; ++i) {
    if (ret.getOperand(i) != loss->getOperand(0))
      continue;
    spec.outputName = resultString(forward, i, frontend::attrs::kName).str();
    return spec;
  }
  // A threshold has nothing to weigh.
  if (spec.kind == train::AccuracySpec::Kind::Threshold)
    return std::nullopt;
  return spec;
}

} // namespace

CompilePipelineOptions
compilePipelineOptions(const train::OptimizationOptions &optimizations) {
  CompilePipelineOptions options;
  options.canonicalize = optimizations.canonicalize;
  options.cse = optimizations.cse;
  options.simplify = optimizations.simplify;
  options.fuse = optimizations.fuse;
  return options;
}

train::CompiledGraph::Lookup
feedsAndParams(const std::map<std::string, rt::Tensor> &feeds,
               const train::ParameterStore &params) {
  return [&feeds, &params](rt::BindingRole role,
                           const std::string &name) -> const rt::Tensor * {
    if (role != rt::BindingRole::Input)
      return params.find(name);
    auto it = feeds.find(name);
    return it == feeds.end() ? nullptr : &it->second;
  };
}

rt::Expected<std::unique_ptr<ModelSession>>
openWithLoss(const train::SessionOptions &options, const std::string &modelPath,
             const char *purpose, WarningHandler onWarning) {
  rt::Expected<std::unique_ptr<ModelSession>> session =
      ModelSession::open(options, modelPath, std::move(onWarning));
  if (session.ok() && !(*session)->program().hasLoss)
    return rt::Error::failure(std::string("the model has no loss to ") +
                              purpose);
  return session;
}

//===----------------------------------------------------------------------===//
// ModelSession
//===----------------------------------------------------------------------===//

rt::Expected<std::unique_ptr<ModelSession>>
ModelSession::open(const train::SessionOptions &options,
                   const std::string &modelPath, WarningHandler onWarning) {
  // The pipelines are built from pass names.
  registerPasses();
  registerPipelines();
  std::unique_ptr<ModelSession> session(new ModelSession());
  session->options = options;
  session->onWarning = std::move(onWarning);
  session->runtime =
      std::make_shared<rt::Session>(train::runtimeOptions(options));
  rt::Expected<LoadedModel> loaded = loadModel(modelPath);
  if (!loaded.ok())
    return loaded.takeError();
  session->model = std::move(*loaded);
  session->context = createContext();
  rt::Expected<OwningOpRef<ModuleOp>> module =
      lowerModel(*session->context, session->model);
  if (!module.ok())
    return module.takeError();
  session->module = std::move(*module);

  session->accuracySpec = findAccuracySpec(
      cast<func::FuncOp>(session->module->lookupSymbol("forward")));
  session->lossOnlyInputNames = findLossOnlyInputs(*session->module);

  rt::Expected<rt::PluginSet> plugins =
      rt::discoverPlugins(rt::defaultPluginDirs(), options.plugins);
  if (!plugins.ok())
    return plugins.takeError();
  session->runtime->adoptPlugins(std::move(*plugins));
  const rt::PluginSet &found = session->runtime->plugins();
  session->plugin =
      options.backend.empty() ? found.preferred() : found.find(options.backend);
  if (!session->plugin) {
    std::vector<std::string> names;
    for (const rt::LoadedPlugin &p : found.plugins)
      names.push_back(p.name());
    if (options.backend.empty())
      return rt::Error::failure("no backend plugin found");
    return rt::Error::failure("no backend named '" + options.backend +
                              "' (available: " + llvm::join(names, ", ") + ")");
  }
  // The name the session reports from now on is the backend that runs.
  session->options.backend = session->plugin->name();
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
    if (it == shapes.end())
      continue;
    // The batch size is the leading extent only of a tensor of the declared
    // rank: of a single sample ([64] for [B, 64]) it would be a feature.
    if (it->second.size() != arg.type.shape.size())
      return rt::Error::failure(
          "input '" + arg.name + "' has shape " +
          rt::extentsToString(it->second) + "; the model declares " +
          rt::shapeToString(arg.type.shape) + ", the batch size " +
          program.batchSymbol + " first");
    int64_t extent = it->second[0];
    if (extent == 0)
      return rt::Error::failure(
          "input '" + arg.name + "' has no samples (a batch " +
          program.batchSymbol + " of 0); give one or more");
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

rt::Expected<int64_t> ModelSession::batchSizeOf(
    const std::map<std::string, rt::Tensor> &feeds) const {
  std::map<std::string, rt::Shape> shapes;
  for (const auto &[name, tensor] : feeds)
    shapes[name] = tensor.shape();
  return driver::batchSizeOf(model.program, shapes);
}

rt::Expected<GraphRequest> ModelSession::forwardRequest(
    const std::map<std::string, rt::Tensor> &feeds) const {
  std::vector<std::string> inputs = inputNames();
  for (const auto &[name, tensor] : feeds)
    if (!llvm::is_contained(inputs, name))
      return rt::Error::failure("the model has no input '" + name +
                                "' (inputs: " + llvm::join(inputs, ", ") + ")");
  GraphRequest request;
  for (const std::string &name : inputs) {
    if (feeds.count(name))
      continue;
    if (!llvm::is_contained(lossOnlyInputNames, name))
      return rt::Error::failure("missing input '" + name +
                                "' (inputs: " + llvm::join(inputs, ", ") + ")");
    request.withoutLoss = true;
  }
  rt::Expected<int64_t> batch = batchSizeOf(feeds);
  if (!batch.ok())
    return batch.takeError();
  request.batch = *batch;
  std::map<std::string, rt::ConstTensorView> views;
  for (const auto &[name, tensor] : feeds)
    views.emplace(name, tensor.view());
  if (rt::Error error = checkSharedInputs(model.program, views); !error.ok())
    return error;
  return request;
}

rt::Error
checkInputTypes(const frontend::Program &program,
                const std::map<std::string, rt::ConstTensorView> &inputs) {
  for (const frontend::Argument &arg : program.arguments) {
    auto input = inputs.find(arg.name);
    if (arg.role != frontend::Argument::Role::Input || input == inputs.end())
      continue;
    rt::Shape expected;
    for (int64_t extent : arg.type.shape)
      expected.push_back(extent == shape::kDynamic ? -1 : extent);
    if (rt::Error error = rt::checkTensorType(
            "input '" + arg.name + "'", input->second,
            train::toRuntimeDType(arg.type.dtype), expected);
        !error.ok())
      return error;
  }
  return rt::Error::success();
}

rt::Error
checkSharedInputs(const frontend::Program &program,
                  const std::map<std::string, rt::ConstTensorView> &inputs) {
  // An input without the batch dimension of a model with one is part of
  // the model (a mask): NaN is refused there, as train and eval do.
  if (program.batchSymbol.empty())
    return rt::Error::success();
  for (const frontend::Argument &arg : program.arguments) {
    auto input = inputs.find(arg.name);
    if (arg.role != frontend::Argument::Role::Input || input == inputs.end() ||
        (!arg.type.shape.empty() && arg.type.shape[0] == shape::kDynamic))
      continue;
    if (rt::Error error =
            train::checkFiniteData(input->second, arg.name, /*batched=*/false);
        !error.ok())
      return error;
  }
  return rt::Error::success();
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
    if (nn::argumentRole(forward, arg.getArgNumber()) ==
            rt::BindingRole::Input &&
        arg.use_empty())
      names.push_back(
          argString(forward, arg.getArgNumber(), frontend::attrs::kName).str());
  return names;
}

bool batchNormNeedsTwoSamples(const frontend::Program &program) {
  return std::any_of(program.nodes.begin(), program.nodes.end(),
                     [](const frontend::Node &node) {
                       if (node.op != "batch_norm" || node.results.empty())
                         return false;
                       const auto &shape = node.results[0].shape;
                       int64_t perSample = 1;
                       for (size_t axis = 2; axis < shape.size(); ++axis)
                         perSample *= shape[axis];
                       return perSample == 1;
                     });
}

rt::Expected<std::unique_ptr<train::CompiledGraph>>
ModelSession::compile(const GraphRequest &request) {
  // The backends fail on it with their own words, cpu's in MLIR's.
  bool trainingStep = request.kind == GraphKind::TrainingStep ||
                      request.kind == GraphKind::TrainingGradients;
  if ((request.trainingMode || trainingStep) && request.batch == 1 &&
      batchNormNeedsTwoSamples(program()))
    return rt::Error::failure(
        std::string(trainingStep ? "a training step of one sample"
                                 : "a batch of one sample in training mode") +
        ": batch normalization trains on two values or more per channel; " +
        (trainingStep ? "use a batch of two or more"
                      : "give two samples or more, or differentiate in "
                        "evaluation mode"));
  SourceDiagnosticHandler diagnostics(*context, *model.diagnostics, onWarning);
  OwningOpRef<ModuleOp> copy = module->clone();
  auto forward = cast<func::FuncOp>(copy->lookupSymbol("forward"));
  if (rt::Error error = freezeParameters(forward, request.freeze); !error.ok())
    return error;
  if (request.withoutLoss)
    dropLoss(forward);
  if (request.kind == GraphKind::Gradient)
    for (unsigned i = 0; i < forward.getNumArguments(); ++i)
      if (nn::argumentRole(forward, i) == rt::BindingRole::Input &&
          llvm::is_contained(
              request.wrtInputs,
              argString(forward, i, frontend::attrs::kName).str()))
        forward.setArgAttr(i, nn::kDifferentiatedAttrName,
                           UnitAttr::get(context.get()));

  PassManager pm(context.get());
  std::string pipelineError;
  llvm::raw_string_ostream pipelineErrorStream(pipelineError);
  if (failed(buildCompilePipeline(pm,
                                  pipelineFor(request, options.optimizations),
                                  pipelineErrorStream)))
    return rt::Error::failure("cannot build the compile pipeline: " +
                              pipelineError);
  if (failed(pm.run(*copy)))
    return diagnostics.failure("the compile pipeline failed");
  auto func = copy->lookupSymbol<func::FuncOp>(functionName(request.kind));
  if (!func)
    return rt::Error::failure(std::string("the pipeline made no @") +
                              functionName(request.kind));

  PlanOptions planOptions;
  planOptions.inPlace = options.optimizations.inPlace;
  FailureOr<rt::Function> compiled = driver::compileFunction(
      func, *plugin, runtime, planOptions, request.targetCpus);
  if (failed(compiled))
    return diagnostics.failure("the backend failed to compile @" +
                               std::string(functionName(request.kind)));
  // Inputs bound but never read (the labels of a graph without its loss)
  // are fed zeros, so that callers need not have them.
  std::vector<std::string> unread;
  for (BlockArgument arg : func.getArguments())
    if (arg.use_empty() &&
        nn::argumentRole(func, arg.getArgNumber()) == rt::BindingRole::Input)
      unread.push_back(
          argString(func, arg.getArgNumber(), frontend::attrs::kName).str());
  return train::CompiledGraph::create(std::move(*compiled), unread);
}

} // namespace nnc::driver
