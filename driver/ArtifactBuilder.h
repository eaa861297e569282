//===- ArtifactBuilder.h - Building a compiled artifact ---------*- C++ -*-===//
//
// The artifact `nnc compile` writes and `nnc train --save-artifact` writes
// at the end of a run: the same graphs, ports and tensors from one function,
// so that both files run and resume alike (docs/artifact.md).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DRIVER_ARTIFACTBUILDER_H
#define NNC_DRIVER_ARTIFACTBUILDER_H

#include "driver/ModelSession.h"
#include "train/ParameterStore.h"
#include "train/TrainOptions.h"

#include "runtime/Artifact.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nnc::driver {

/// What an artifact is built from, besides the session and the parameters.
struct ArtifactRecipe {
  /// The model file, hashed into graph_hash.
  std::string modelPath;
  /// The batch size (0 for a model without a batch dimension).
  int64_t batch = 0;
  uint64_t seed = 0;
  /// The session's graph optimisations, recorded as flags.
  train::OptimizationOptions optimizations;
  /// Recorded as the "params" flag.
  std::string paramsDir;
  /// Set: also compile this training step (its batch is overridden by
  /// `batch`), making a training artifact with zeroed optimizer state and
  /// counters.
  std::optional<GraphRequest> trainStep;
  /// With trainStep: also compile the step for a last partial batch of
  /// this many samples ("train_step@SIZE"); 0 for none.
  int64_t partialTrainBatch = 0;
  /// The learning rate recorded in a training artifact.
  double learningRate = 0;
  /// Appended to the compile flags (and hashed), e.g. {"optimizer", "adam"}.
  std::vector<std::pair<std::string, std::string>> extraFlags;
  /// The CPUs the machine code must run on; empty: the backend's default.
  std::vector<std::string> targetCpus;
};

/// Compiles the graphs of docs/artifact.md ("forward", "predict",
/// "forward@1", with a training step "train_step") and fills an artifact
/// with them and with `params`.
rt::Expected<rt::Artifact> buildArtifact(ModelSession &session,
                                         const ArtifactRecipe &recipe,
                                         const train::ParameterStore &params);

/// The graph_hash of an artifact compiled from model source `source` with
/// `flags` (its compile_flags): rt::artifactDigest of the source and every
/// flag that shapes the graphs (all but "params" and "seed").
std::string
graphHash(const std::string &source,
          const std::vector<std::pair<std::string, std::string>> &flags);

} // namespace nnc::driver

#endif // NNC_DRIVER_ARTIFACTBUILDER_H
