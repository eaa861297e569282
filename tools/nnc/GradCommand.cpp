//===- GradCommand.cpp - nnc grad -----------------------------------------===//
//
// Runs the gradient graph once: the loss and the gradient of every trainable
// parameter, each written as a .npy.
//
//===----------------------------------------------------------------------===//

#include "driver/ModelSession.h"
#include "driver/OpenModel.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/LibraryNames.h"
#include "tools/nnc/NamedTensors.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

namespace nnc::cli {

ExitCode runGrad(const GradOptions &options) {
  std::map<std::string, rt::Tensor> feeds;
  if (ExitCode code = readNamedTensors(options.inputs, "--input", feeds))
    return code;
  std::unique_ptr<ModelSession> session =
      openModel(options.session, options.modelPath, "differentiate");
  if (!session)
    return UserError;
  // Checked here, before compiling, so that a mistyped name is a flag
  // mistake and not a diagnostic at the model's first line.
  std::vector<std::string> inputs = session->inputNames();
  for (const std::string &name : options.wrtInputs)
    if (!llvm::is_contained(inputs, name))
      return reportError(train::CodedError::usage(
          "--wrt " + name + " is not an input of the model (inputs: " +
          llvm::join(inputs, ", ") + ")"));
  rt::Expected<int64_t> batch = session->batchSizeOf(feeds);
  if (!batch.ok())
    return reportError(batch.takeError());

  ParameterStore params;
  if (!initializeParameters(params, session->program(), options.paramsDir,
                            options.seed))
    return UserError;
  GraphRequest request;
  request.kind = GraphKind::Gradient;
  request.batch = *batch;
  request.freeze = options.freeze;
  request.wrtInputs = options.wrtInputs;
  request.trainingMode = options.trainingMode;
  rt::Expected<std::unique_ptr<CompiledGraph>> compiled =
      session->compile(request);
  if (!compiled.ok())
    return reportError(compiled.takeError());
  std::unique_ptr<CompiledGraph> graph = std::move(*compiled);
  if (rt::Error error = graph->run(feedsAndParams(feeds, params)); !error.ok())
    return reportUserError(error.message());
  if (!showOutputs(options.outputDir, train::outputsOf(graph->results()),
                   {options.modelPath}, options.inputs))
    return UserError;
  return Success;
}

} // namespace nnc::cli
