//===- ArtifactCommands.cpp - nnc compile, inspect, run/eval FILE.nnx -----===//
//
// `compile` goes through the model session like every executing command
// and saves what it compiled as an artifact (runtime/Artifact.h). `inspect`,
// `run FILE.nnx` and `eval FILE.nnx` only read artifacts: they load through
// runtime/ArtifactLoader.h (runtime + plugin + serialized executables) and
// never touch MLIR or compile anything.
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/ArtifactBuilder.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/DataArguments.h"
#include "tools/nnc/ModelSession.h"
#include "tools/nnc/OutputWriter.h"
#include "tools/nnc/ParameterStore.h"

#include "runtime/Artifact.h"
#include "runtime/ArtifactLoader.h"
#include "runtime/BatchIterator.h"
#include "runtime/FileIO.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <oneapi/tbb/global_control.h>

#include <algorithm>
#include <cstring>

namespace nnc::cli {
namespace {

ExitCode fail(const std::string &message) {
  llvm::errs() << "error: " << message << "\n";
  return UserError;
}

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
    fail(targets.message());
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
    fail(bytes.message());
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
  std::string hashed = readSource(recipe.modelPath);
  for (const auto &[key, value] : artifact.compileFlags)
    if (key != "params" && key != "seed")
      hashed += "\n" + key + "=" + value;
  artifact.graphHash = rt::artifactDigest(hashed);

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
    fail("backend '" + backend.name() +
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
    // Optimizer state starts at zero, as `nnc train` starts it.
    for (const CompiledGraph::Argument &arg : step->arguments()) {
      if (arg.role != "opt_state")
        continue;
      rt::Expected<rt::Tensor> zeros = rt::Tensor::create(arg.dtype, arg.shape);
      if (!zeros.ok()) {
        fail(zeros.message());
        return std::nullopt;
      }
      artifact.tensors.push_back({arg.name, "opt_state", std::move(*zeros)});
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
      fail(copy.message());
      return std::nullopt;
    }
    artifact.tensors.push_back(
        {arg.name,
         arg.role == frontend::Argument::Role::Param ? "param" : "buffer",
         std::move(*copy)});
  }

  const rt::ExecutionPlan &plan = forward->plan();
  for (const rt::ExternalBinding &binding : plan.inputs) {
    if (binding.role != "input")
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
    artifact.accuracy =
        rt::ArtifactAccuracy{spec->kind == AccuracySpec::Kind::Threshold,
                             spec->outputName, spec->labelInput};
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
    return fail("--batch must be positive");

  ParameterStore params;
  if (!params.initialize(program, options.paramsDir, options.seed))
    return UserError;

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
  }
  std::optional<rt::Artifact> artifact =
      buildArtifact(*session, recipe, params);
  if (!artifact)
    return UserError;
  if (rt::Error error = rt::writeArtifact(options.outputPath, *artifact);
      !error.ok())
    return fail(error.message());
  llvm::outs() << "wrote " << options.outputPath << ": "
               << artifact->graphs.size() << " graphs, "
               << artifact->tensors.size() << " tensors, backend "
               << artifact->backendName << ", batch " << batch << "\n";
  return Success;
}

//===----------------------------------------------------------------------===//
// nnc inspect
//===----------------------------------------------------------------------===//

ExitCode runInspect(const InspectOptions &options) {
  rt::Expected<rt::Artifact> read = rt::readArtifact(options.artifactPath);
  if (!read.ok())
    return fail(read.message());
  const rt::Artifact &a = *read;
  llvm::raw_ostream &os = llvm::outs();
  os << "artifact: " << options.artifactPath << "\n";
  os << "format version: " << a.formatVersion << "\n";
  os << "nnc version: " << a.nncVersion << "\n";
  os << "model: " << a.modelName << "\n";
  os << "backend: " << a.backendName << " " << a.backendVersion
     << " (plugin ABI " << a.abiMajor << "." << a.abiMinor << ")\n";
  os << "target: " << a.targetTriple
     << (a.machineCode ? " (machine code)" : " (portable)") << "\n";
  os << "cpu features: "
     << (a.cpuFeatures.empty() ? std::string("none")
                               : llvm::join(a.cpuFeatures, ","))
     << "\n";
  for (const rt::Artifact::CodeTarget &code : a.codeTargets)
    os << "code for: " << code.cpu << " ("
       << (code.features.empty() ? std::string("no extra features")
                                 : llvm::join(code.features, ","))
       << ")\n";
  os << "graph hash: " << a.graphHash << "\n";
  os << "batch size: " << a.batchSize << "\n";
  os << "flags:";
  for (const auto &[key, value] : a.compileFlags)
    os << " " << key << "=" << value;
  os << "\n";
  if (a.training)
    os << "training: step " << a.training->step << ", epoch "
       << a.training->epoch << ", seed " << a.training->seed << ", lr "
       << a.training->learningRate << "\n";
  if (a.accuracy)
    os << "accuracy: " << (a.accuracy->threshold ? "threshold" : "argmax")
       << " of " << a.accuracy->outputName << " against "
       << a.accuracy->labelInput << "\n";
  for (const rt::ArtifactPort &port : a.inputs)
    os << "input " << port.name << ": "
       << rt::typeToString(port.dtype, port.shape)
       << (port.batched ? " (batched)" : "") << "\n";
  for (const rt::ArtifactPort &port : a.outputs)
    os << port.role << " " << port.name << ": "
       << rt::typeToString(port.dtype, port.shape) << "\n";
  uint64_t tensorBytes = 0;
  for (const rt::ArtifactTensor &t : a.tensors) {
    os << t.role << " " << t.name << ": "
       << rt::typeToString(t.tensor.dtype(), t.tensor.shape()) << "\n";
    tensorBytes += t.tensor.byteSize();
  }
  os << "tensor bytes: " << tensorBytes << "\n";
  for (const rt::ArtifactGraph &g : a.graphs) {
    os << "graph " << g.name << ": " << rt::artifactGraphKindName(g.kind)
       << ", batch " << g.batchSize << ", " << g.plan.kernels.size()
       << " kernels, " << g.plan.values.size() << " values, arena "
       << g.plan.arenaSize << " bytes, executable " << g.executable.size()
       << " bytes\n";
    for (size_t k = 0; k < g.plan.kernels.size(); ++k)
      os << "  kernel " << k << ": " << g.plan.kernels[k].opName << "\n";
    if (options.plan)
      os << rt::formatExecutionPlan(g.plan);
  }
  return Success;
}

//===----------------------------------------------------------------------===//
// nnc run / eval FILE.nnx
//===----------------------------------------------------------------------===//

bool isArtifactPath(const std::string &path) {
  return llvm::StringRef(path).ends_with(".nnx");
}

namespace {

/// An artifact read, checked and matched with its backend plugin.
struct OpenedArtifact {
  rt::Artifact artifact;
  rt::PluginSet plugins;
  const rt::LoadedPlugin *plugin = nullptr;
};

std::optional<OpenedArtifact> openArtifact(const std::string &path,
                                           const SessionOptions &session) {
  rt::Expected<rt::Artifact> artifact = rt::readArtifact(path);
  if (!artifact.ok()) {
    fail(artifact.message());
    return std::nullopt;
  }
  rt::Expected<rt::PluginSet> plugins =
      rt::discoverPlugins(rt::defaultPluginDirs(), session.plugins);
  if (!plugins.ok()) {
    fail(plugins.message());
    return std::nullopt;
  }
  for (const std::string &warning : plugins->warnings)
    llvm::errs() << "warning: " << warning << "\n";
  OpenedArtifact opened{std::move(*artifact), std::move(*plugins), nullptr};
  rt::Expected<const rt::LoadedPlugin *> plugin =
      rt::findArtifactBackend(opened.artifact, opened.plugins);
  if (!plugin.ok()) {
    fail(path + ": " + plugin.message());
    return std::nullopt;
  }
  opened.plugin = *plugin;
  return opened;
}

std::optional<rt::LoadedGraph> loadGraph(const OpenedArtifact &opened,
                                         const rt::ArtifactGraph &graph) {
  rt::Expected<rt::LoadedGraph> loaded =
      rt::loadArtifactGraph(graph, *opened.plugin);
  if (!loaded.ok()) {
    fail(loaded.message());
    return std::nullopt;
  }
  return std::move(*loaded);
}

std::optional<tbb::global_control> threadCap(unsigned threads) {
  std::optional<tbb::global_control> cap;
  if (threads > 0)
    cap.emplace(tbb::global_control::max_allowed_parallelism, threads);
  return cap;
}

} // namespace

ExitCode runArtifact(const RunOptions &options) {
  if (!options.paramsDir.empty() || !options.paramsOutDir.empty())
    return fail("--params and --params-out do not apply to an artifact, "
                "which holds its parameters");
  std::map<std::string, rt::Tensor> feeds;
  if (ExitCode code = readNamedTensors(options.inputs, "--input", feeds))
    return code;
  std::optional<OpenedArtifact> opened =
      openArtifact(options.modelPath, options.session);
  if (!opened)
    return UserError;
  const rt::Artifact &artifact = opened->artifact;
  std::vector<std::string> fed;
  for (const auto &[name, tensor] : feeds)
    fed.push_back(name);
  rt::Expected<const rt::ArtifactGraph *> selected =
      rt::selectRunGraph(artifact, fed);
  if (!selected.ok())
    return fail(selected.message());
  const rt::ArtifactGraph *graph = *selected;
  std::optional<rt::LoadedGraph> loaded = loadGraph(*opened, *graph);
  if (!loaded)
    return UserError;
  std::optional<tbb::global_control> cap = threadCap(options.session.threads);
  rt::Expected<std::vector<rt::Tensor>> results =
      rt::runArtifactGraph(artifact, *graph, *loaded, feeds);
  if (!results.ok())
    return fail(results.message());
  for (size_t i = 0; i < results->size(); ++i)
    if (!writeOutput(options.outputDir, graph->plan.outputs[i].name,
                     (*results)[i]))
      return UserError;
  return Success;
}

ExitCode evalArtifact(const EvalOptions &options) {
  if (!options.paramsDir.empty())
    return fail("--params does not apply to an artifact, which holds its "
                "parameters");
  std::optional<OpenedArtifact> opened =
      openArtifact(options.modelPath, options.session);
  if (!opened)
    return UserError;
  const rt::Artifact &artifact = opened->artifact;
  const rt::ArtifactGraph *full = artifact.graph("forward");
  if (!full ||
      std::none_of(
          full->plan.outputs.begin(), full->plan.outputs.end(),
          [](const rt::ExternalBinding &b) { return b.role == "loss"; }))
    return fail("the artifact has no loss to evaluate");
  const rt::ArtifactGraph *single = artifact.graph("forward@1");

  // The data loader adapts files to the model's inputs: give it the
  // inputs as the model declares them, batch dimension dynamic.
  frontend::Program inputsOnly;
  for (const rt::ArtifactPort &port : artifact.inputs) {
    frontend::Argument arg;
    arg.name = port.name;
    switch (port.dtype) {
    case rt::DType::F32:
      arg.type.dtype = frontend::DType::F32;
      break;
    case rt::DType::F64:
      arg.type.dtype = frontend::DType::F64;
      break;
    case rt::DType::I32:
      arg.type.dtype = frontend::DType::I32;
      break;
    case rt::DType::I64:
      arg.type.dtype = frontend::DType::I64;
      break;
    case rt::DType::U8:
      return fail("input '" + port.name + "' is u8, which eval cannot feed");
    }
    arg.type.shape.assign(port.shape.begin(), port.shape.end());
    if (port.batched) {
      arg.type.shape[0] = shape::kDynamic;
      inputsOnly.batchSymbol = "N";
    }
    inputsOnly.arguments.push_back(std::move(arg));
  }
  rt::Dataset dataset;
  if (ExitCode code = loadDataArguments(options.data, "--data", inputsOnly,
                                        {options.csvHeader}, dataset))
    return code;
  for (const rt::ArtifactPort &port : artifact.inputs)
    if (!dataset.column(port.name))
      return fail("missing --data " + port.name + "=FILE");
  if (dataset.numSamples() == 0)
    return fail("the data has no samples");

  std::optional<rt::LoadedGraph> fullGraph = loadGraph(*opened, *full);
  if (!fullGraph)
    return UserError;
  std::optional<rt::LoadedGraph> singleGraph;
  int64_t batch = std::max<int64_t>(1, full->batchSize);

  rt::BatchOptions batchOptions;
  batchOptions.batchSize = batch;
  rt::Expected<rt::BatchIterator> batches =
      rt::BatchIterator::create(dataset, batchOptions);
  if (!batches.ok())
    return fail(batches.message());
  std::optional<tbb::global_control> cap = threadCap(options.session.threads);
  double lossSum = 0;
  int64_t samples = 0, correct = 0, scored = 0;
  AccuracySpec spec;
  if (artifact.accuracy) {
    spec.kind = artifact.accuracy->threshold ? AccuracySpec::Kind::Threshold
                                             : AccuracySpec::Kind::Argmax;
    spec.outputName = artifact.accuracy->outputName;
    spec.labelInput = artifact.accuracy->labelInput;
  }
  // Runs `graph` on samples [begin, end) of the current batch.
  auto runOn =
      [&](rt::LoadedGraph &graph, const rt::ArtifactGraph &source,
          const std::vector<std::pair<std::string, const rt::Tensor *>> &feeds,
          int64_t size) -> bool {
    rt::Expected<std::vector<rt::Tensor>> results =
        rt::runLoadedGraph(graph, rt::artifactLookup(artifact, feeds));
    if (!results.ok()) {
      fail(results.message());
      return false;
    }
    const rt::Tensor *labels = nullptr;
    for (const auto &[name, tensor] : feeds)
      if (name == spec.labelInput)
        labels = tensor;
    for (size_t i = 0; i < results->size(); ++i) {
      const rt::ExternalBinding &binding = source.plan.outputs[i];
      if (binding.role == "loss")
        lossSum += scalarValue((*results)[i]) * size;
      if (artifact.accuracy && labels && binding.role == "output" &&
          binding.name == spec.outputName) {
        auto [right, total] = countCorrect(spec, (*results)[i], *labels);
        correct += right;
        scored += total;
      }
    }
    samples += size;
    return true;
  };

  while (true) {
    rt::Expected<bool> more = batches->next();
    if (!more.ok())
      return fail(more.message());
    if (!*more)
      break;
    const rt::Batch &current = batches->batch();
    std::vector<std::pair<std::string, const rt::Tensor *>> feeds;
    for (const rt::ArtifactPort &port : artifact.inputs)
      feeds.emplace_back(port.name, current.column(port.name));
    if (current.size() == batch) {
      if (!runOn(*fullGraph, *full, feeds, batch))
        return UserError;
      continue;
    }
    // The last partial batch, one sample at a time.
    if (!single)
      return fail("the artifact has no batch-1 graph for the last " +
                  std::to_string(current.size()) + " samples");
    if (!singleGraph && !(singleGraph = loadGraph(*opened, *single)))
      return UserError;
    for (int64_t s = 0; s < current.size(); ++s) {
      std::vector<rt::Tensor> rows;
      rows.reserve(feeds.size());
      std::vector<std::pair<std::string, const rt::Tensor *>> rowFeeds;
      for (size_t f = 0; f < feeds.size(); ++f) {
        const rt::Tensor &column = *feeds[f].second;
        rt::Shape shape = column.shape();
        if (shape.empty())
          return fail("input '" + feeds[f].first + "' is not batched");
        int64_t rowBytes = static_cast<int64_t>(column.byteSize()) /
                           std::max<int64_t>(1, shape[0]);
        shape[0] = 1;
        rt::Expected<rt::Tensor> row =
            rt::Tensor::create(column.dtype(), shape);
        if (!row.ok())
          return fail(row.message());
        std::memcpy(row->rawData(), column.rawData() + s * rowBytes,
                    static_cast<size_t>(rowBytes));
        rows.push_back(std::move(*row));
      }
      for (size_t f = 0; f < feeds.size(); ++f)
        rowFeeds.emplace_back(feeds[f].first, &rows[f]);
      if (!runOn(*singleGraph, *single, rowFeeds, 1))
        return UserError;
    }
  }
  llvm::outs() << "samples " << samples << "  loss "
               << llvm::format("%.6f", samples ? lossSum / samples : 0.0);
  if (scored)
    llvm::outs() << "  accuracy "
                 << llvm::format("%.4f", static_cast<double>(correct) / scored);
  llvm::outs() << "\n";
  return Success;
}

} // namespace nnc::cli
