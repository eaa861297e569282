//===- OpenModel.cpp - A model session, and its notices -------------------===//

#include "driver/OpenModel.h"

#include "driver/Trainer.h"

#include "runtime/Checkpoint.h"

#include "llvm/ADT/StringExtras.h"

#include <algorithm>

namespace nnc::driver {

rt::Expected<std::unique_ptr<driver::ModelSession>>
openModel(const train::SessionOptions &options, const std::string &modelPath,
          const char *lossPurpose, const train::Notices &notices) {
  WarningHandler onWarning = notices.diagnostic;
  rt::Expected<std::unique_ptr<driver::ModelSession>> session =
      lossPurpose
          ? driver::openWithLoss(options, modelPath, lossPurpose, onWarning)
          : driver::ModelSession::open(options, modelPath, onWarning);
  if (!session.ok())
    return session.takeError();
  for (const std::string &warning : (*session)->pluginWarnings())
    notices.warn(warning);
  notices.show("backend: " + (*session)->backendName() + "\n");
  return session;
}

rt::Expected<std::unique_ptr<train::ArtifactGraphSource>>
openArtifact(const train::SessionOptions &options, const std::string &path,
             const train::Notices &notices) {
  rt::Expected<std::unique_ptr<train::ArtifactGraphSource>> source =
      train::ArtifactGraphSource::open(path, train::runtimeOptions(options),
                                       options.plugins);
  if (!source.ok())
    return source.takeError();
  // The artifact runs on the backend it was compiled for; another named
  // would be ignored, and a comparison of backends would compare one
  // with itself.
  if (!options.backend.empty() && options.backend != (*source)->backendName())
    return rt::Error::failure(
        "--backend " + options.backend + " does not apply to " + path +
        ", compiled for backend '" + (*source)->backendName() +
        "' (compile it again for another)");
  for (const std::string &warning : (*source)->warnings())
    notices.warn(warning);
  notices.show("backend: " + (*source)->backendName() + " (from " + path +
               ")\n");
  return source;
}

rt::Error initializeParameters(train::ParameterStore &params,
                               const frontend::Program &program,
                               const std::string &dir,
                               std::optional<uint64_t> seed,
                               const train::Notices &notices) {
  rt::Error error = params.initialize(
      program, dir, seed.value_or(trainSectionSeed(program.training)));
  const std::vector<std::string> &missing = params.notFoundInDir();
  // A checkpoint names its files param.NAME.npy: none is a parameter's.
  if (error.ok() && !missing.empty() &&
      missing.size() == params.values().size() && rt::holdsCheckpointState(dir))
    return rt::Error::failure(
        "--params " + dir +
        ": a training checkpoint (--checkpoint), not a folder of parameters "
        "(--save); continue the run with nnc train --resume " +
        dir + ", or give --params the folder its --save wrote");
  for (const std::string &name : missing)
    notices.show("note: no '" + name + ".npy' in '" + dir +
                 "'; using its initializer\n");
  // Perhaps the file meant: names are case-sensitive.
  if (!missing.empty() && !params.unusedInDir().empty())
    notices.show(
        "note: '" + dir + "' also holds " +
        llvm::join(params.unusedInDir(), ", ") +
        (params.unusedInDir().size() == 1 ? ", which names" : ", which name") +
        " no parameter or buffer of the model\n");
  // A weight matrix left at zero keeps its units identical, whatever the
  // training: the state of a model from `nnc import` run without the
  // --params it wrote, which declares its weights without initializers.
  std::vector<std::string> zeroWeights;
  for (const frontend::Argument &arg : program.arguments)
    if (arg.role == frontend::Argument::Role::Param &&
        arg.type.shape.size() >= 2 && !arg.init.written && !arg.init.values &&
        (dir.empty() ||
         std::find(missing.begin(), missing.end(), arg.name) != missing.end()))
      zeroWeights.push_back(arg.name);
  if (error.ok() && !zeroWeights.empty())
    notices.warn("'" + zeroWeights.front() + "'" +
                 (zeroWeights.size() > 1
                      ? " and " + std::to_string(zeroWeights.size() - 1) +
                            " more weight matrices have"
                      : " has") +
                 " no initializer and no value from --params, so " +
                 (zeroWeights.size() > 1 ? "they start" : "it starts") +
                 " at zero (a model from nnc import takes all its weights, "
                 "biases and statistics too, with --params DIR)");
  return error;
}

} // namespace nnc::driver
