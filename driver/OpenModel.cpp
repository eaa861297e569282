//===- OpenModel.cpp - A model session, and its notices -------------------===//

#include "driver/OpenModel.h"

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
                               const std::string &dir, uint64_t seed,
                               const train::Notices &notices) {
  rt::Error error = params.initialize(program, dir, seed);
  for (const std::string &name : params.notFoundInDir())
    notices.show("note: no '" + name + ".npy' in '" + dir +
                 "'; using its initializer\n");
  return error;
}

} // namespace nnc::driver
