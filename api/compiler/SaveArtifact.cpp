//===- SaveArtifact.cpp - A compiled model as a deployable artifact -------===//
//
// The artifact `nnc compile` writes (driver/ArtifactBuilder.h), holding the
// model's current parameters, so that libnnc runs what was trained here
// without the compiler.
//
//===----------------------------------------------------------------------===//

#include "api/compiler/CompiledModelImpl.h"

#include "driver/ArtifactBuilder.h"

#include "runtime/Artifact.h"

using namespace nnc;

Status CompiledModel::saveArtifact(const std::string &path) {
  if (Status reentered = impl->checkNotInTrain("saveArtifact"); !reentered)
    return reentered;
  std::lock_guard<std::mutex> turn(impl->turn);
  const frontend::Program &program = impl->session->program();
  driver::ArtifactRecipe recipe;
  recipe.modelPath = impl->modelPath;
  if (!program.batchSymbol.empty())
    recipe.batch =
        impl->options.batch ? impl->options.batch : trainBatchOf(program, 1);
  recipe.seed = impl->seed;
  rt::Expected<rt::Artifact> artifact =
      driver::buildArtifact(*impl->session, recipe, impl->params);
  if (!artifact.ok())
    return failureOf(artifact.takeError());
  if (rt::Error error = rt::writeArtifact(path, *artifact); !error.ok())
    return failureLine(error.message());
  return Status();
}
