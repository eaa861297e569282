//===- ArtifactGraphSource.cpp - Graphs loaded from an artifact -----------===//

#include "train/ArtifactGraphSource.h"

#include "runtime/ArtifactLoader.h"

namespace nnc::train {
namespace {

/// The graph of `base` for `size` samples: `base` itself at the artifact's
/// batch size (and for every size when the model has no batch dimension),
/// "base@SIZE" otherwise, as `nnc compile` names forward@1.
std::string sizedName(const rt::Artifact &artifact, const std::string &base,
                      int64_t size) {
  if (artifact.batchSize == 0 || size == artifact.batchSize)
    return base;
  return base + "@" + std::to_string(size);
}

} // namespace

std::string trainingStepName(const rt::Artifact &artifact, int64_t size) {
  return sizedName(artifact, "train_step", size);
}

rt::Expected<std::unique_ptr<ArtifactGraphSource>>
ArtifactGraphSource::open(const std::string &path,
                          const rt::SessionOptions &options,
                          const std::vector<std::string> &pluginFiles) {
  rt::Expected<rt::Artifact> read = rt::readArtifact(path);
  if (!read.ok())
    return read.takeError();
  std::unique_ptr<ArtifactGraphSource> source(new ArtifactGraphSource());
  source->file = path;
  source->contents = std::move(*read);
  rt::Expected<rt::ArtifactBackend> backend =
      rt::openArtifactBackend(source->contents, options, pluginFiles);
  if (!backend.ok())
    return backend.takeError().withContext(path);
  source->runtime = std::move(backend->session);
  source->backend = backend->plugin;
  if (const std::optional<rt::ArtifactAccuracy> &accuracy =
          source->contents.accuracy)
    source->accuracySpec = AccuracySpec{
        accuracy->threshold ? AccuracySpec::Kind::Threshold
                            : AccuracySpec::Kind::Argmax,
        accuracy->outputName, accuracy->labelInput, accuracy->ignoreIndex};
  return source;
}

rt::Expected<CompiledGraph *>
ArtifactGraphSource::graph(const std::string &name) {
  std::unique_ptr<CompiledGraph> &slot = loaded[name];
  if (slot)
    return slot.get();
  const rt::ArtifactGraph *stored = contents.graph(name);
  if (!stored)
    return rt::Error::failure(file + ": no graph '" + name + "'");
  rt::Expected<std::unique_ptr<CompiledGraph>> graph =
      CompiledGraph::load(*stored, *backend, runtime);
  if (!graph.ok())
    return graph.takeError();
  slot = std::move(*graph);
  return slot.get();
}

rt::Expected<CompiledGraph *> ArtifactGraphSource::trainingStep(int64_t size) {
  std::string name = trainingStepName(contents, size);
  if (!contents.graph(name))
    return rt::Error::failure(
        file + ": no training step for a batch of " + std::to_string(size) +
        " samples (the artifact's batch size is " +
        std::to_string(contents.batchSize) +
        "; a last partial batch needs train_step@" + std::to_string(size) +
        ", which nnc train --save-artifact writes for its data and nnc "
        "compile --train --last-batch " +
        std::to_string(size) + " compiles)");
  return graph(name);
}

bool ArtifactGraphSource::hasForward(int64_t size) const {
  return contents.graph(sizedName(contents, "forward", size)) != nullptr;
}

rt::Expected<CompiledGraph *> ArtifactGraphSource::forward(int64_t size) {
  return graph(sizedName(contents, "forward", size));
}

std::vector<std::string> ArtifactGraphSource::outputNames() const {
  std::vector<std::string> names;
  for (const rt::ArtifactPort &port : contents.outputs)
    names.push_back(port.name);
  return names;
}

} // namespace nnc::train
