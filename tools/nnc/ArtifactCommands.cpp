//===- ArtifactCommands.cpp - nnc compile, inspect, run/eval FILE.nnx -----===//
//
// `compile` goes through the model session like every executing command
// and saves what it compiled as an artifact (runtime/Artifact.h).
// `run FILE.nnx` and `eval FILE.nnx` only read artifacts: they load through
// runtime/ArtifactLoader.h (runtime + plugin + serialized executables) and
// never touch MLIR or compile anything.
//
//===----------------------------------------------------------------------===//

#include "driver/ArtifactBuilder.h"
#include "driver/ModelSession.h"
#include "driver/OpenModel.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/LibraryNames.h"
#include "tools/nnc/NamedTensors.h"
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
ExitCode runCompile(const CompileOptions &options) {
  std::unique_ptr<ModelSession> session = openModel(
      options.session, options.modelPath, options.train ? "train" : nullptr);
  if (!session)
    return UserError;
  const frontend::Program &program = session->program();
  ParameterStore params;
  if (!driver::initializeParameters(params, program, options.paramsDir,
                                    options.seed))
    return UserError;
  driver::CompileRequest request;
  request.modelPath = options.modelPath;
  request.train = options.train;
  request.batch = options.batch;
  request.lastBatch = options.lastBatch;
  request.paramsDir = options.paramsDir;
  request.seed = options.seed;
  request.optimizations = options.session.optimizations;
  request.targetCpus = options.targetCpus;
  rt::Expected<rt::Artifact> artifact =
      driver::compileArtifact(*session, request, params);
  if (!artifact.ok())
    return reportError(artifact.takeError());
  // Nothing but poor results would show it otherwise.
  if (options.paramsDir.empty() && !options.train &&
      driver::hasInitializedParameters(program))
    llvm::errs() << "warning: no --params given: the artifact's weights are "
                    "their initializers' values, untrained\n";
  if (rt::Error error = rt::writeArtifact(options.outputPath, *artifact);
      !error.ok())
    return reportError(error);
  llvm::outs() << "wrote " << options.outputPath << ": "
               << artifact->graphs.size() << " graphs, "
               << artifact->tensors.size() << " tensors, backend "
               << artifact->backendName << ", batch " << artifact->batchSize
               << "\n";
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
  std::unique_ptr<ArtifactGraphSource> opened =
      driver::openArtifact(options.session, options.modelPath);
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
  std::unique_ptr<ArtifactGraphSource> opened =
      driver::openArtifact(options.session, options.modelPath);
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

  rt::Expected<frontend::Program> inputs = inputDeclarations(artifact);
  if (!inputs.ok())
    return reportError(inputs.takeError());
  rt::Dataset dataset;
  if (train::CodedError error = loadDataArguments(
          options.data, "--data", *inputs, {options.csvHeader}, dataset);
      !error.ok())
    return reportError(error);
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
  rt::Expected<Metrics> metrics = evaluator.evaluate(params);
  if (!metrics.ok())
    return reportError(metrics.takeError());
  llvm::outs() << train::formatMetrics(*metrics) << "\n";
  return Success;
}

} // namespace nnc::cli
