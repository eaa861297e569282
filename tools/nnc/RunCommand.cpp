//===- RunCommand.cpp - nnc run -------------------------------------------===//
//
// Compiles a model for the batch size of its inputs, runs it once on a
// backend and writes one .npy per output.
//
//===----------------------------------------------------------------------===//

#include "driver/ModelSession.h"
#include "driver/OpenModel.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/LibraryNames.h"
#include "tools/nnc/NamedTensors.h"
#include "train/OutputPaths.h"
#include "train/ProfileReport.h"

#include "llvm/Support/raw_ostream.h"

namespace nnc::cli {

ExitCode runRun(const RunOptions &options) {
  std::map<std::string, rt::Tensor> feeds;
  if (ExitCode code = readNamedTensors(options.inputs, "--input", feeds))
    return code;
  std::unique_ptr<ModelSession> session =
      openModel(options.session, options.modelPath);
  if (!session)
    return UserError;

  rt::Expected<GraphRequest> request = session->forwardRequest(feeds);
  if (!request.ok())
    return reportError(request.takeError());

  ParameterStore params;
  if (!initializeParameters(params, session->program(), options.paramsDir,
                            options.seed))
    return UserError;
  rt::Expected<std::unique_ptr<CompiledGraph>> compiled =
      session->compile(*request);
  if (!compiled.ok())
    return reportError(compiled.takeError());
  std::unique_ptr<CompiledGraph> graph = std::move(*compiled);
  for (auto [dir, names] : {std::pair(options.outputDir, graph->resultNames()),
                            std::pair(options.paramsOutDir, params.names())})
    if (rt::Error error = train::checkOutputFolderFiles(
            dir, names, {options.modelPath}, options.inputs,
            {{"--trace", options.profile.tracePath}});
        !error.ok())
      return reportError(error);
  std::unique_ptr<rt::KernelProfiler> profiler = options.profile.makeProfiler();
  graph->setProfiler(profiler.get());
  if (rt::Error error = graph->run(feedsAndParams(feeds, params)); !error.ok())
    return reportUserError(error.message());

  if (!showOutputs(options.outputDir, train::outputsOf(graph->results()),
                   {options.modelPath}, options.inputs))
    return UserError;
  if (!options.paramsOutDir.empty())
    if (rt::Error error = params.save(options.paramsOutDir, {options.modelPath},
                                      options.inputs);
        !error.ok())
      return reportError(error);
  if (!profiler)
    return Success;
  graph->setProfiler(nullptr);
  return reportProfile(options.profile, *profiler, graph->plan(),
                       graph->executable(), session->threads(), "the run",
                       session->program().modelName, llvm::outs());
}

} // namespace nnc::cli
