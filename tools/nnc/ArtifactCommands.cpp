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
#include "train/ArtifactRuns.h"
#include "train/DataArguments.h"
#include "train/OutputPaths.h"
#include "train/ProfileReport.h"

#include "runtime/Artifact.h"
#include "runtime/ArtifactLoader.h"

#include "llvm/Support/raw_ostream.h"

namespace nnc::cli {
ExitCode runCompile(const CompileOptions &options) {
  const driver::CompileRequest &request = options.request;
  if (rt::Error error =
          train::checkOutputFile(options.outputPath, {request.modelPath});
      !error.ok())
    return reportError(error);
  std::unique_ptr<ModelSession> session = openModel(
      options.session, request.modelPath, request.train ? "train" : nullptr);
  if (!session)
    return UserError;
  const frontend::Program &program = session->program();
  // Out of range for this model: a usage error, before reading parameters.
  if (rt::Expected<int64_t> batch = driver::compileBatch(program, request);
      !batch.ok())
    return reportError(train::CodedError::usage(batch.message()));
  ParameterStore params;
  if (!initializeParameters(params, program, request.paramsDir, request.seed))
    return UserError;
  rt::Expected<rt::Artifact> artifact =
      driver::compileArtifact(*session, request, params);
  if (!artifact.ok())
    return reportError(artifact.takeError());
  // Nothing but poor results would show it otherwise.
  if (request.paramsDir.empty() && !request.train &&
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

ExitCode runArtifact(const RunOptions &options) {
  if (!options.paramsDir.empty() || !options.paramsOutDir.empty())
    return reportUserError(
        "--params and --params-out do not apply to an artifact, "
        "which holds its parameters");
  if (options.seed || !options.session.optimizations.allOn())
    return reportUserError("--seed and the --no-* optimisation switches do "
                           "not apply to an artifact, compiled already");
  std::map<std::string, rt::Tensor> feeds;
  if (ExitCode code = readNamedTensors(options.inputs, "--input", feeds))
    return code;
  std::unique_ptr<ArtifactGraphSource> opened =
      openArtifact(options.session, options.modelPath);
  if (!opened)
    return UserError;
  if (rt::Error error = train::checkOutputFolderFiles(
          options.outputDir, opened->outputNames(), {options.modelPath},
          options.inputs, {{"--trace", options.profile.tracePath}});
      !error.ok())
    return reportError(error);
  std::unique_ptr<rt::KernelProfiler> profiler = options.profile.makeProfiler();
  rt::Expected<train::ArtifactRun> run =
      train::runArtifact(*opened, feeds, profiler.get());
  if (!run.ok())
    return reportError(run.takeError());
  const rt::ExecutionPlan &plan = run->graph->plan;
  if (!showOutputs(options.outputDir, train::outputsOf(*run),
                   {options.modelPath}, options.inputs))
    return UserError;
  if (!profiler)
    return Success;
  return reportProfile(
      options.profile, *profiler, plan, *run->function.executable,
      run->function.session->threads(), "the run of " + run->graph->name,
      opened->artifact().modelName, llvm::outs());
}

ExitCode evalArtifact(const EvalOptions &options) {
  if (!options.paramsDir.empty())
    return reportUserError(
        "--params does not apply to an artifact, which holds its "
        "parameters");
  if (!options.session.optimizations.allOn())
    return reportUserError("the --no-* optimisation switches do not apply to "
                           "an artifact, compiled already");
  std::unique_ptr<ArtifactGraphSource> opened =
      openArtifact(options.session, options.modelPath);
  if (!opened)
    return UserError;
  rt::Expected<train::InputDeclarations> inputs =
      inputDeclarations(opened->artifact());
  if (!inputs.ok())
    return reportError(inputs.takeError());
  rt::Dataset dataset;
  if (train::CodedError error = loadDataArguments(
          options.data, "--data", *inputs, {options.csvHeader}, dataset);
      !error.ok())
    return reportError(error);
  rt::Expected<Metrics> metrics = train::evaluateArtifact(*opened, dataset);
  if (!metrics.ok())
    return reportError(metrics.takeError());
  llvm::outs() << train::formatMetrics(*metrics) << "\n";
  return Success;
}

} // namespace nnc::cli
