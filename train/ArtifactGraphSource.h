//===- ArtifactGraphSource.h - Graphs loaded from an artifact ---*- C++ -*-===//
//
// The graphs of a compiled artifact (.nnx), for `run`, `eval` and
// `train --resume` on it: the file is read and checked, its backend's
// plugin alone is loaded (its runtime-only build when installed), and each
// graph is deserialized on first use. Nothing here compiles or touches
// MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_ARTIFACTGRAPHSOURCE_H
#define NNC_TRAIN_ARTIFACTGRAPHSOURCE_H

#include "train/GraphSource.h"

#include "runtime/Artifact.h"
#include "runtime/PluginHost.h"
#include "runtime/Session.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nnc::train {

class ArtifactGraphSource : public GraphSource {
public:
  /// Reads and checks the artifact at `path` and loads its backend's
  /// plugin (rt::openArtifactBackend: the `--plugin` files, the runtime-only
  /// build, the full plugin) into the session its graphs run in. What went
  /// wrong with other plugins on the way is in warnings().
  static rt::Expected<std::unique_ptr<ArtifactGraphSource>>
  open(const std::string &path, const rt::SessionOptions &options,
       const std::vector<std::string> &pluginFiles);

  /// Plugins that failed to load while the backend was looked for, for the
  /// caller to show.
  const std::vector<std::string> &warnings() const {
    return runtime->plugins().warnings;
  }

  const std::string &path() const { return file; }
  const rt::Artifact &artifact() const { return contents; }
  /// The names of the artifact's outputs (of any of its graphs).
  std::vector<std::string> outputNames() const;
  /// Mutable, so that a resumed run can move the tensors out and back.
  rt::Artifact &artifact() { return contents; }
  const rt::LoadedPlugin &plugin() const { return *backend; }

  /// Graph `name`, loaded on first use and kept; an error when the artifact
  /// has none or it does not load.
  rt::Expected<CompiledGraph *> graph(const std::string &name);

  /// "train_step" for the artifact's batch size, "train_step@SIZE" for
  /// another (the last partial batch of the run that wrote the artifact).
  rt::Expected<CompiledGraph *> trainingStep(int64_t size) override;
  /// "forward" for the artifact's batch size, "forward@SIZE" for another.
  bool hasForward(int64_t size) const override;
  rt::Expected<CompiledGraph *> forward(int64_t size) override;
  const std::optional<AccuracySpec> &accuracy() const override {
    return accuracySpec;
  }
  unsigned threads() const override { return runtime->threads(); }

  /// The runtime session its graphs run in.
  const std::shared_ptr<rt::Session> &runtimeSession() const { return runtime; }
  std::string backendName() const override { return backend->name(); }

private:
  ArtifactGraphSource() = default;

  std::string file;
  rt::Artifact contents;
  /// Owned by `runtime`.
  const rt::LoadedPlugin *backend = nullptr;
  std::map<std::string, std::unique_ptr<CompiledGraph>> loaded;
  std::optional<AccuracySpec> accuracySpec;
  std::shared_ptr<rt::Session> runtime;
};

/// The name of the training step of an artifact for `size` samples.
std::string trainingStepName(const rt::Artifact &artifact, int64_t size);

} // namespace nnc::train

#endif // NNC_TRAIN_ARTIFACTGRAPHSOURCE_H
