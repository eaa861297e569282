//===- ConsoleModel.cpp - Models opened for a command ---------------------===//
//
// driver/OpenModel.h with its notices on stderr and its failure reported,
// as every command opens a model or an artifact.
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/Commands.h"

#include "train/ConsoleReporter.h"

namespace nnc::cli {
namespace {

/// The opened object, or null with its failure on stderr.
template <typename T>
std::unique_ptr<T> orReported(rt::Expected<std::unique_ptr<T>> opened) {
  if (opened.ok())
    return std::move(*opened);
  reportError(opened.takeError());
  return nullptr;
}

} // namespace

std::unique_ptr<ModelSession> openModel(const SessionOptions &options,
                                        const std::string &modelPath,
                                        const char *lossPurpose) {
  return orReported(driver::openModel(options, modelPath, lossPurpose,
                                      train::stderrNotices()));
}

std::unique_ptr<ArtifactGraphSource> openArtifact(const SessionOptions &options,
                                                  const std::string &path) {
  return orReported(
      driver::openArtifact(options, path, train::stderrNotices()));
}

bool initializeParameters(ParameterStore &params,
                          const frontend::Program &program,
                          const std::string &dir,
                          std::optional<uint64_t> seed) {
  rt::Error error = driver::initializeParameters(params, program, dir, seed,
                                                 train::stderrNotices());
  return error.ok() || (reportError(error), false);
}

} // namespace nnc::cli
