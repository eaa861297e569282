//===- OpenModel.cpp - A model session, its failures reported -------------===//

#include "driver/OpenModel.h"

#include "train/ExitCode.h"

#include "llvm/Support/raw_ostream.h"

namespace nnc::driver {

std::unique_ptr<driver::ModelSession>
openModel(const train::SessionOptions &options, const std::string &modelPath,
          const char *lossPurpose) {
  auto printWarning = [](const std::string &rendered) {
    llvm::errs() << rendered;
  };
  rt::Expected<std::unique_ptr<driver::ModelSession>> session =
      lossPurpose
          ? driver::openWithLoss(options, modelPath, lossPurpose, printWarning)
          : driver::ModelSession::open(options, modelPath, printWarning);
  if (!session.ok()) {
    train::reportError(session.takeError());
    return nullptr;
  }
  for (const std::string &warning : (*session)->pluginWarnings())
    llvm::errs() << "warning: " << warning << "\n";
  llvm::errs() << "backend: " << (*session)->backendName() << "\n";
  return std::move(*session);
}

std::unique_ptr<train::ArtifactGraphSource>
openArtifact(const train::SessionOptions &options, const std::string &path) {
  rt::Expected<std::unique_ptr<train::ArtifactGraphSource>> source =
      train::ArtifactGraphSource::open(path, train::runtimeOptions(options),
                                       options.plugins);
  if (!source.ok()) {
    train::reportError(source.takeError());
    return nullptr;
  }
  for (const std::string &warning : (*source)->warnings())
    llvm::errs() << "warning: " << warning << "\n";
  // On stderr, so that stdout stays what the command produces.
  llvm::errs() << "backend: " << (*source)->backendName() << " (from " << path
               << ")\n";
  return std::move(*source);
}

std::unique_ptr<train::CompiledGraph>
compileGraph(driver::ModelSession &session,
             const driver::GraphRequest &request) {
  rt::Expected<std::unique_ptr<train::CompiledGraph>> graph =
      session.compile(request);
  if (!graph.ok()) {
    train::reportError(graph.takeError());
    return nullptr;
  }
  return std::move(*graph);
}

bool initializeParameters(train::ParameterStore &params,
                          const frontend::Program &program,
                          const std::string &dir, uint64_t seed) {
  rt::Error error = params.initialize(program, dir, seed);
  for (const std::string &name : params.notFoundInDir())
    llvm::errs() << "note: no '" << name << ".npy' in '" << dir
                 << "'; using its initializer\n";
  if (!error.ok()) {
    train::reportError(error);
    return false;
  }
  return true;
}

} // namespace nnc::driver
