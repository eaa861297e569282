//===- ArtifactCommands.cpp - nnc compile, inspect, run/eval FILE.nnx -----===//
//
// `compile` goes through the model session like every executing command
// and saves what it compiled as an artifact (runtime/Artifact.h).
// `run FILE.nnx` and `eval FILE.nnx` only read artifacts: they load through
// runtime/ArtifactLoader.h (runtime + plugin + serialized executables) and
// never touch MLIR or compile anything.
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/ArtifactBuilder.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/ModelSession.h"
#include "tools/nnc/TrainNames.h"
#include "train/DataArguments.h"
#include "train/ProfileReport.h"

#include "runtime/Artifact.h"
#include "runtime/ArtifactLoader.h"
#include "runtime/FileIO.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <oneapi/tbb/info.h>

#include <algorithm>

namespace nnc::cli {
namespace {

//===----------------------------------------------------------------------===//
// nnc compile
//===----------------------------------------------------------------------===//

/// Records the CPUs `compiled`'s machine code runs on in `artifact` (the
/// first graph sets them; every graph has the same) and what all of them
/// need.
bool recordCodeTargets(rt::Artifact &artifact, const CompiledGraph &compiled) {
  rt::Expected<std::vector<rt::CodeTargetInfo>> targets =
      compiled.executable().codeTargets();
  if (!targets.ok()) {
    reportUserError(targets.message());
    return false;
  }
  if (artifact.graphs.size() > 1)
    return true;
  artifact.machineCode = !targets->empty();
  artifact.codeTargets.clear();
  artifact.cpuFeatures.clear();
  for (const rt::CodeTargetInfo &target : *targets)
    artifact.codeTargets.push_back({target.cpu, target.features});
  if (targets->empty())
    return true;
  // What every target needs: the features all of them list.
  for (const std::string &feature : targets->front().features)
    if (std::all_of(targets->begin(), targets->end(),
                    [&](const rt::CodeTargetInfo &t) {
                      return std::find(t.features.begin(), t.features.end(),
                                       feature) != t.features.end();
                    }))
      artifact.cpuFeatures.push_back(feature);
  return true;
}

/// Adds `compiled` to `artifact` as graph `name`.
bool addGraph(rt::Artifact &artifact, const std::string &name,
              rt::ArtifactGraphKind kind, int64_t batch,
              const CompiledGraph &compiled) {
  rt::Expected<std::string> bytes = compiled.executable().serialize();
  if (!bytes.ok()) {
    reportUserError(bytes.message());
    return false;
  }
  artifact.graphs.push_back(
      {name, kind, batch, compiled.plan(), std::move(*bytes)});
  return recordCodeTargets(artifact, compiled);
}

int64_t batchSetting(const frontend::Program &program) {
  auto it = program.training.settings.find("batch");
  if (it != program.training.settings.end())
    if (auto *value = std::get_if<int64_t>(&it->second))
      return *value;
  return 1;
}

std::string readSource(const std::string &path) {
  rt::Expected<rt::InputFile> file = rt::InputFile::open(path);
  if (!file.ok())
    return "";
  rt::Expected<std::string> text = file->readAll(uint64_t(1) << 30);
  return text.ok() ? *text : "";
}

} // namespace

std::string
graphHash(const std::string &source,
          const std::vector<std::pair<std::string, std::string>> &flags) {
  std::string hashed = source;
  for (const auto &[key, value] : flags)
    if (key != "params" && key != "seed")
      hashed += "\n" + key + "=" + value;
  return rt::artifactDigest(hashed);
}

std::optional<rt::Artifact> buildArtifact(ModelSession &session,
                                          const ArtifactRecipe &recipe,
                                          const ParameterStore &params) {
  const frontend::Program &program = session.program();
  int64_t batch = recipe.batch;
  rt::Artifact artifact;
  const rt::LoadedPlugin &backend = session.backend();
  artifact.nncVersion = NNC_VERSION;
  artifact.backendName = backend.name();
  artifact.backendVersion = backend.version();
  artifact.abiMajor = backend.api().abi_major;
  artifact.abiMinor = backend.api().abi_minor;
  artifact.targetTriple = rt::hostTargetTriple();
  artifact.modelName = program.modelName;
  artifact.batchSize = batch;
  const OptimizationOptions &opt = recipe.optimizations;
  auto onOff = [](bool on) { return std::string(on ? "on" : "off"); };
  artifact.compileFlags = {
      {"backend", backend.name()},
      {"batch", std::to_string(batch)},
      {"train", onOff(recipe.trainStep.has_value())},
      {"seed", std::to_string(recipe.seed)},
      {"params", recipe.paramsDir},
      {"canonicalize", onOff(opt.canonicalize)},
      {"cse", onOff(opt.cse)},
      {"simplify", onOff(opt.simplify)},
      {"fuse", onOff(opt.fuse)},
      {"in-place", onOff(opt.inPlace)},
  };
  for (const auto &flag : recipe.extraFlags)
    artifact.compileFlags.push_back(flag);
  if (!recipe.targetCpus.empty())
    artifact.compileFlags.push_back(
        {"target-cpu", llvm::join(recipe.targetCpus, ",")});
  artifact.graphHash =
      graphHash(readSource(recipe.modelPath), artifact.compileFlags);

  // The forward function as written; without the labels when the model has
  // a loss (what `run` needs without them); at batch 1 for the last partial
  // batch of `eval`.
  GraphRequest forwardRequest;
  forwardRequest.batch = batch;
  forwardRequest.targetCpus = recipe.targetCpus;
  std::unique_ptr<CompiledGraph> forward = session.compile(forwardRequest);
  if (!forward || !addGraph(artifact, "forward", rt::ArtifactGraphKind::Forward,
                            batch, *forward))
    return std::nullopt;
  if (!recipe.targetCpus.empty() && artifact.codeTargets.empty()) {
    reportUserError(
        "backend '" + backend.name() +
        "' makes portable code; --target-cpu is for backends that compile "
        "machine code (cpu)");
    return std::nullopt;
  }
  if (program.hasLoss && !session.lossOnlyInputs().empty()) {
    GraphRequest request = forwardRequest;
    request.withoutLoss = true;
    std::unique_ptr<CompiledGraph> predict = session.compile(request);
    if (!predict || !addGraph(artifact, "predict",
                              rt::ArtifactGraphKind::Predict, batch, *predict))
      return std::nullopt;
  }
  if (program.hasLoss && batch > 1) {
    GraphRequest request = forwardRequest;
    request.batch = 1;
    std::unique_ptr<CompiledGraph> single = session.compile(request);
    if (!single || !addGraph(artifact, "forward@1",
                             rt::ArtifactGraphKind::Forward, 1, *single))
      return std::nullopt;
  }
  if (recipe.trainStep) {
    GraphRequest request = *recipe.trainStep;
    request.kind = GraphKind::TrainingStep;
    request.batch = batch;
    request.targetCpus = recipe.targetCpus;
    std::unique_ptr<CompiledGraph> step = session.compile(request);
    if (!step || !addGraph(artifact, "train_step",
                           rt::ArtifactGraphKind::TrainingStep, batch, *step))
      return std::nullopt;
    // The step for the last partial batch of the data the run had, named as
    // forward@1 is, which a resumed run on that data needs.
    int64_t partial = recipe.partialTrainBatch;
    if (partial > 0 && partial != batch) {
      GraphRequest partialRequest = request;
      partialRequest.batch = partial;
      std::unique_ptr<CompiledGraph> last = session.compile(partialRequest);
      if (!last ||
          !addGraph(artifact, "train_step@" + std::to_string(partial),
                    rt::ArtifactGraphKind::TrainingStep, partial, *last))
        return std::nullopt;
    }
    // Optimizer state starts at zero, as `nnc train` starts it.
    for (const CompiledGraph::Argument &arg : step->arguments()) {
      if (arg.role != rt::BindingRole::OptState)
        continue;
      rt::Expected<rt::Tensor> zeros = rt::Tensor::create(arg.dtype, arg.shape);
      if (!zeros.ok()) {
        reportUserError(zeros.message());
        return std::nullopt;
      }
      artifact.tensors.push_back(
          {arg.name, rt::BindingRole::OptState, std::move(*zeros)});
    }
    rt::ArtifactTraining training;
    training.seed = recipe.seed;
    training.learningRate = recipe.learningRate;
    artifact.training = training;
  }

  for (const frontend::Argument &arg : program.arguments) {
    const rt::Tensor *value = params.find(arg.name);
    if (arg.role == frontend::Argument::Role::Input || !value)
      continue;
    rt::Expected<rt::Tensor> copy = value->clone();
    if (!copy.ok()) {
      reportUserError(copy.message());
      return std::nullopt;
    }
    artifact.tensors.push_back({arg.name,
                                arg.role == frontend::Argument::Role::Param
                                    ? rt::BindingRole::Param
                                    : rt::BindingRole::Buffer,
                                std::move(*copy)});
  }

  const rt::ExecutionPlan &plan = forward->plan();
  for (const rt::ExternalBinding &binding : plan.inputs) {
    if (binding.role != rt::BindingRole::Input)
      continue;
    const rt::PlanValue &value = plan.values[binding.value];
    bool batched = false;
    for (const frontend::Argument &arg : program.arguments)
      if (arg.name == binding.name && !arg.type.shape.empty() &&
          arg.type.shape[0] == shape::kDynamic)
        batched = true;
    artifact.inputs.push_back(
        {binding.name, binding.role, value.dtype, value.shape, batched});
  }
  for (const rt::ExternalBinding &binding : plan.outputs) {
    const rt::PlanValue &value = plan.values[binding.value];
    bool batched = batch > 0 && !value.shape.empty() && value.shape[0] == batch;
    artifact.outputs.push_back(
        {binding.name, binding.role, value.dtype, value.shape, batched});
  }
  if (const std::optional<AccuracySpec> &spec = session.accuracy())
    artifact.accuracy = rt::ArtifactAccuracy{
        spec->kind == AccuracySpec::Kind::Threshold, spec->outputName,
        spec->labelInput, spec->ignoreIndex};
  return artifact;
}

ExitCode runCompile(const CompileOptions &options) {
  std::unique_ptr<ModelSession> session =
      options.train ? openWithLoss(options.session, options.modelPath, "train")
                    : ModelSession::open(options.session, options.modelPath);
  if (!session)
    return UserError;
  const frontend::Program &program = session->program();
  int64_t batch = 0;
  if (!program.batchSymbol.empty())
    batch = options.batch ? *options.batch : batchSetting(program);
  if (batch < 0 || (!program.batchSymbol.empty() && batch == 0))
    return reportUserError("--batch must be positive");
  if (options.lastBatch != 0 &&
      (!options.train || program.batchSymbol.empty() || options.lastBatch < 1 ||
       options.lastBatch >= batch))
    return reportUserError(
        "--last-batch needs --train, a model with a batch dimension, "
        "and a size from 1 to the batch size less one");

  ParameterStore params;
  if (!params.initialize(program, options.paramsDir, options.seed))
    return UserError;
  // An inference artifact of untrained weights is rarely what was meant,
  // and nothing would show it but poor results. Imported weights (an ONNX
  // model's) are trained ones.
  bool hasParams = std::any_of(
      program.arguments.begin(), program.arguments.end(),
      [](const frontend::Argument &arg) {
        return arg.role == frontend::Argument::Role::Param && !arg.init.values;
      });
  if (options.paramsDir.empty() && !options.train && hasParams)
    llvm::errs() << "warning: no --params given: the artifact's weights are "
                    "their initializers' values, untrained\n";

  ArtifactRecipe recipe;
  recipe.modelPath = options.modelPath;
  recipe.batch = batch;
  recipe.seed = options.seed;
  recipe.paramsDir = options.paramsDir;
  recipe.optimizations = options.session.optimizations;
  recipe.targetCpus = options.targetCpus;
  if (options.train) {
    recipe.trainStep = GraphRequest();
    auto lr = program.training.hyper.find("lr");
    recipe.learningRate = lr == program.training.hyper.end() ? 0 : lr->second;
    recipe.partialTrainBatch = options.lastBatch;
  }
  std::optional<rt::Artifact> artifact =
      buildArtifact(*session, recipe, params);
  if (!artifact)
    return UserError;
  if (rt::Error error = rt::writeArtifact(options.outputPath, *artifact);
      !error.ok())
    return reportUserError(error.message());
  llvm::outs() << "wrote " << options.outputPath << ": "
               << artifact->graphs.size() << " graphs, "
               << artifact->tensors.size() << " tensors, backend "
               << artifact->backendName << ", batch " << batch << "\n";
  return Success;
}

//===----------------------------------------------------------------------===//
// nnc run / eval FILE.nnx
//===----------------------------------------------------------------------===//

bool isArtifactPath(const std::string &path) {
  return llvm::StringRef(path).ends_with(".nnx");
}

ExitCode runArtifact(const RunOptions &options) {
  if (!options.paramsDir.empty() || !options.paramsOutDir.empty())
    return reportUserError(
        "--params and --params-out do not apply to an artifact, "
        "which holds its parameters");
  std::map<std::string, rt::Tensor> feeds;
  if (ExitCode code = readNamedTensors(options.inputs, "--input", feeds))
    return code;
  std::unique_ptr<ArtifactGraphSource> opened = ArtifactGraphSource::open(
      options.modelPath, runtimeOptions(options.session),
      options.session.plugins);
  if (!opened)
    return UserError;
  const rt::Artifact &artifact = opened->artifact();
  std::vector<std::string> fed;
  for (const auto &[name, tensor] : feeds)
    fed.push_back(name);
  rt::Expected<const rt::ArtifactGraph *> selected =
      rt::selectRunGraph(artifact, fed);
  if (!selected.ok())
    return reportUserError(selected.message());
  const rt::ArtifactGraph *graph = *selected;
  // rt::runArtifactGraph, as nnc-run runs it, so that both write the same
  // bytes.
  rt::Expected<rt::Function> loaded =
      rt::loadArtifactGraph(*graph, opened->plugin(), opened->runtimeSession());
  if (!loaded.ok())
    return reportUserError(loaded.message());
  std::optional<rt::KernelProfiler> profiler;
  if (options.profile.any()) {
    profiler.emplace();
    loaded->executor->setProfiler(&*profiler);
  }
  rt::Expected<std::vector<rt::Tensor>> results =
      rt::runArtifactGraph(artifact, *loaded, feeds);
  if (!results.ok())
    return reportUserError(results.message());
  for (size_t i = 0; i < results->size(); ++i)
    if (!writeOutput(options.outputDir, graph->plan.outputs[i].name,
                     (*results)[i]))
      return UserError;
  if (!profiler)
    return Success;
  loaded->executor->setProfiler(nullptr);
  return reportProfile(options.profile, *profiler, graph->plan,
                       *loaded->executable, loaded->session->threads(),
                       "the run of " + graph->name, artifact.modelName,
                       llvm::outs());
}

ExitCode evalArtifact(const EvalOptions &options) {
  if (!options.paramsDir.empty())
    return reportUserError(
        "--params does not apply to an artifact, which holds its "
        "parameters");
  std::unique_ptr<ArtifactGraphSource> opened = ArtifactGraphSource::open(
      options.modelPath, runtimeOptions(options.session),
      options.session.plugins);
  if (!opened)
    return UserError;
  const rt::Artifact &artifact = opened->artifact();
  const rt::ArtifactGraph *full = artifact.graph("forward");
  if (!full ||
      std::none_of(full->plan.outputs.begin(), full->plan.outputs.end(),
                   [](const rt::ExternalBinding &b) {
                     return b.role == rt::BindingRole::Loss;
                   }))
    return reportUserError("the artifact has no loss to evaluate");

  std::optional<frontend::Program> inputs = inputDeclarations(artifact);
  if (!inputs)
    return UserError;
  rt::Dataset dataset;
  if (ExitCode code = loadDataArguments(options.data, "--data", *inputs,
                                        {options.csvHeader}, dataset))
    return code;
  for (const rt::ArtifactPort &port : artifact.inputs)
    if (!dataset.column(port.name))
      return reportUserError("missing --data " + port.name + "=FILE");
  if (dataset.numSamples() == 0)
    return reportUserError("the data has no samples");

  // The artifact's parameters and buffers, as the evaluator reads them.
  ParameterStore params;
  for (const rt::ArtifactTensor &tensor : artifact.tensors) {
    if (tensor.role == rt::BindingRole::OptState)
      continue;
    rt::Expected<rt::Tensor> copy = tensor.tensor.clone();
    if (!copy.ok())
      return reportUserError(copy.message());
    params.set(tensor.name, std::move(*copy));
  }
  // Batches of the artifact's size; a last partial batch runs sample by
  // sample on forward@1.
  Evaluator evaluator(*opened, dataset, std::max<int64_t>(1, full->batchSize));
  std::optional<Metrics> metrics = evaluator.evaluate(params);
  if (!metrics)
    return UserError;
  printMetrics(*metrics);
  return Success;
}

} // namespace nnc::cli
