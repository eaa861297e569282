//===- ConsoleModel.cpp - Models opened for a command ---------------------===//
//
// driver/OpenModel.h with its notices on stderr and its failure reported,
// as every command opens a model or an artifact.
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/Commands.h"

#include "train/ConsoleReporter.h"

namespace nnc::cli {

std::unique_ptr<ModelSession> openModel(const SessionOptions &options,
                                        const std::string &modelPath,
                                        const char *lossPurpose) {
  rt::Expected<std::unique_ptr<ModelSession>> session = driver::openModel(
      options, modelPath, lossPurpose, train::stderrNotices());
  if (!session.ok()) {
    reportError(session.takeError());
    return nullptr;
  }
  return std::move(*session);
}

std::unique_ptr<ArtifactGraphSource> openArtifact(const SessionOptions &options,
                                                  const std::string &path) {
  rt::Expected<std::unique_ptr<ArtifactGraphSource>> source =
      driver::openArtifact(options, path, train::stderrNotices());
  if (!source.ok()) {
    reportError(source.takeError());
    return nullptr;
  }
  return std::move(*source);
}

bool initializeParameters(ParameterStore &params,
                          const frontend::Program &program,
                          const std::string &dir, uint64_t seed) {
  rt::Error error = driver::initializeParameters(params, program, dir, seed,
                                                 train::stderrNotices());
  return error.ok() || (reportError(error), false);
}

} // namespace nnc::cli
