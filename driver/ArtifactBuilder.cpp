//===- ArtifactBuilder.cpp - Building a compiled artifact -----------------===//

#include "driver/ArtifactBuilder.h"

#include "driver/Trainer.h"

#include "runtime/Artifact.h"
#include "runtime/FileIO.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <oneapi/tbb/info.h>

#include <algorithm>

namespace nnc::driver {
namespace {

/// Records the CPUs `compiled`'s machine code runs on in `artifact` (the
/// first graph sets them; every graph has the same) and what all of them
/// need.
rt::Error recordCodeTargets(rt::Artifact &artifact,
                            const train::CompiledGraph &compiled) {
  rt::Expected<std::vector<rt::CodeTargetInfo>> targets =
      compiled.executable().codeTargets();
  if (!targets.ok())
    return targets.takeError();
  if (artifact.graphs.size() > 1)
    return rt::Error::success();
  artifact.machineCode = !targets->empty();
  artifact.codeTargets.clear();
  artifact.cpuFeatures.clear();
  for (const rt::CodeTargetInfo &target : *targets)
    artifact.codeTargets.push_back({target.cpu, target.features});
  if (targets->empty())
    return rt::Error::success();
  // What every target needs: the features all of them list.
  for (const std::string &feature : targets->front().features)
    if (std::all_of(targets->begin(), targets->end(),
                    [&](const rt::CodeTargetInfo &t) {
                      return std::find(t.features.begin(), t.features.end(),
                                       feature) != t.features.end();
                    }))
      artifact.cpuFeatures.push_back(feature);
  return rt::Error::success();
}

/// Compiles `request` and adds the graph to `artifact` as `name`.
rt::Expected<std::unique_ptr<train::CompiledGraph>>
addGraph(rt::Artifact &artifact, ModelSession &session,
         const GraphRequest &request, const std::string &name,
         rt::ArtifactGraphKind kind) {
  rt::Expected<std::unique_ptr<train::CompiledGraph>> graph =
      session.compile(request);
  if (!graph.ok())
    return graph.takeError();
  const train::CompiledGraph &compiled = **graph;
  rt::Expected<std::string> bytes = compiled.executable().serialize();
  if (!bytes.ok())
    return bytes.takeError();
  artifact.graphs.push_back(
      {name, kind, request.batch, compiled.plan(), std::move(*bytes)});
  if (rt::Error error = recordCodeTargets(artifact, compiled); !error.ok())
    return error;
  return graph;
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

rt::Expected<int64_t> compileBatch(const frontend::Program &program,
                                   const CompileRequest &request) {
  int64_t batch = 0;
  if (!program.batchSymbol.empty())
    batch = request.batch ? *request.batch : batchSetting(program);
  if (batch < 0 || (!program.batchSymbol.empty() && batch == 0))
    return rt::Error::failure("--batch must be positive");
  if (request.lastBatch != 0 &&
      (!request.train || program.batchSymbol.empty() || request.lastBatch < 1 ||
       request.lastBatch >= batch))
    return rt::Error::failure(
        "--last-batch needs --train, a model with a batch dimension, "
        "and a size from 1 to the batch size less one");
  return batch;
}

rt::Expected<rt::Artifact>
compileArtifact(ModelSession &session, const CompileRequest &request,
                const train::ParameterStore &params) {
  const frontend::Program &program = session.program();
  rt::Expected<int64_t> batch = compileBatch(program, request);
  if (!batch.ok())
    return batch.takeError();
  ArtifactRecipe recipe;
  recipe.modelPath = request.modelPath;
  recipe.batch = *batch;
  recipe.seed =
      request.seed.value_or(trainSectionSeed(session.program().training));
  recipe.paramsDir = request.paramsDir;
  recipe.optimizations = request.optimizations;
  // A CPU named twice ("host,host") would be compiled and stored twice.
  for (const std::string &cpu : request.targetCpus)
    if (std::find(recipe.targetCpus.begin(), recipe.targetCpus.end(), cpu) ==
        recipe.targetCpus.end())
      recipe.targetCpus.push_back(cpu);
  if (request.train) {
    recipe.trainStep = GraphRequest();
    auto lr = program.training.hyper.find("lr");
    recipe.learningRate = lr == program.training.hyper.end() ? 0 : lr->second;
    recipe.partialTrainBatch = request.lastBatch;
  }
  return buildArtifact(session, recipe, params);
}

bool hasInitializedParameters(const frontend::Program &program) {
  return std::any_of(program.arguments.begin(), program.arguments.end(),
                     [](const frontend::Argument &arg) {
                       return arg.role == frontend::Argument::Role::Param &&
                              !arg.init.values;
                     });
}

bool parametersAreUntrained(const frontend::Program &program,
                            const std::string &dir,
                            const train::ParameterStore &params) {
  if (dir.empty())
    return hasInitializedParameters(program);
  return !params.values().empty() &&
         params.notFoundInDir().size() == params.values().size();
}

std::string
graphHash(const std::string &source,
          const std::vector<std::pair<std::string, std::string>> &flags) {
  std::string hashed = source;
  for (const auto &[key, value] : flags)
    if (key != "params" && key != "seed")
      hashed += "\n" + key + "=" + value;
  return rt::artifactDigest(hashed);
}

rt::Expected<rt::Artifact> buildArtifact(ModelSession &session,
                                         const ArtifactRecipe &recipe,
                                         const train::ParameterStore &params) {
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
  const train::OptimizationOptions &opt = recipe.optimizations;
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
  rt::Expected<std::unique_ptr<train::CompiledGraph>> forward =
      addGraph(artifact, session, forwardRequest, "forward",
               rt::ArtifactGraphKind::Forward);
  if (!forward.ok())
    return forward.takeError();
  if (!recipe.targetCpus.empty() && artifact.codeTargets.empty())
    return rt::Error::failure(
        "backend '" + backend.name() +
        "' makes portable code; --target-cpu is for backends that compile "
        "machine code (cpu)");
  if (program.hasLoss && !session.lossOnlyInputs().empty()) {
    GraphRequest request = forwardRequest;
    request.withoutLoss = true;
    if (rt::Error error = addGraph(artifact, session, request, "predict",
                                   rt::ArtifactGraphKind::Predict)
                              .takeError();
        !error.ok())
      return error;
  }
  if (program.hasLoss && batch > 1) {
    GraphRequest request = forwardRequest;
    request.batch = 1;
    if (rt::Error error = addGraph(artifact, session, request, "forward@1",
                                   rt::ArtifactGraphKind::Forward)
                              .takeError();
        !error.ok())
      return error;
  }
  if (recipe.trainStep) {
    GraphRequest request = *recipe.trainStep;
    request.kind = GraphKind::TrainingStep;
    request.batch = batch;
    request.targetCpus = recipe.targetCpus;
    rt::Expected<std::unique_ptr<train::CompiledGraph>> step =
        addGraph(artifact, session, request, "train_step",
                 rt::ArtifactGraphKind::TrainingStep);
    if (!step.ok())
      return step.takeError();
    // The step for the last partial batch of the data the run had, named as
    // forward@1 is, which a resumed run on that data needs.
    int64_t partial = recipe.partialTrainBatch;
    if (partial > 0 && partial != batch) {
      GraphRequest partialRequest = request;
      partialRequest.batch = partial;
      if (rt::Error error = addGraph(artifact, session, partialRequest,
                                     "train_step@" + std::to_string(partial),
                                     rt::ArtifactGraphKind::TrainingStep)
                                .takeError();
          !error.ok())
        return error;
    }
    // Optimizer state starts at zero, as `nnc train` starts it.
    for (const train::CompiledGraph::Argument &arg : (*step)->arguments()) {
      if (arg.role != rt::BindingRole::OptState)
        continue;
      rt::Expected<rt::Tensor> zeros = rt::Tensor::create(arg.dtype, arg.shape);
      if (!zeros.ok())
        return zeros.takeError();
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
    if (!copy.ok())
      return copy.takeError();
    artifact.tensors.push_back({arg.name,
                                arg.role == frontend::Argument::Role::Param
                                    ? rt::BindingRole::Param
                                    : rt::BindingRole::Buffer,
                                std::move(*copy)});
  }

  const rt::ExecutionPlan &plan = (*forward)->plan();
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
    // Batched when its leading extent follows the batch, as the model's
    // types say: the batch itself, or a multiple after a reshape that
    // merges it (forward@1 then binds the extent at one sample).
    bool batched = false;
    for (const frontend::Output &output : program.outputs) {
      const frontend::TensorType &type = program.typeOf(output.value);
      if (output.name == binding.name && !type.shape.empty() &&
          type.shape[0] == shape::kDynamic)
        batched = true;
    }
    artifact.outputs.push_back(
        {binding.name, binding.role, value.dtype, value.shape, batched});
  }
  if (const std::optional<train::AccuracySpec> &spec = session.accuracy())
    artifact.accuracy = rt::ArtifactAccuracy{
        spec->kind == train::AccuracySpec::Kind::Threshold, spec->outputName,
        spec->labelInput, spec->ignoreIndex};
  return artifact;
}

} // namespace nnc::driver
