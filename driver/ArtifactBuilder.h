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

/// What `nnc compile` is asked for.
struct CompileRequest {
  /// The model file, hashed into graph_hash.
  std::string modelPath;
  /// Also compile the training step (a training artifact).
  bool train = false;
  /// Unset: the model's train section's batch, else 1.
  std::optional<int64_t> batch;
  /// With `train`: also compile the step for a last partial batch of this
  /// many samples; 0 for none.
  int64_t lastBatch = 0;
  /// Recorded as the "params" flag.
  std::string paramsDir;
  /// Unset: the model's train section's seed, as `nnc train` takes it.
  std::optional<uint64_t> seed;
  train::OptimizationOptions optimizations;
  /// The CPUs the machine code must run on; empty: the backend's default.
  std::vector<std::string> targetCpus;
};

/// The batch size `request` compiles `program` for: --batch, else the
/// model's train section's, else 1; 0 for a model without a batch
/// dimension. Fails when --batch or --last-batch is out of range, a
/// mistake on the command line (nnc compile exits 2 for it).
rt::Expected<int64_t> compileBatch(const frontend::Program &program,
                                   const CompileRequest &request);

/// The artifact `nnc compile` writes: the graphs of docs/artifact.md for
/// `request`, with `params`. A batch size that is not positive, and a last
/// batch without a training step or not smaller than the batch, are errors.
rt::Expected<rt::Artifact> compileArtifact(ModelSession &session,
                                           const CompileRequest &request,
                                           const train::ParameterStore &params);

/// True when the model has parameters whose values come from their
/// initializers (not an imported model's trained weights): an inference
/// artifact of them, without --params, is rarely what was meant.
bool hasInitializedParameters(const frontend::Program &program);

/// True when no trained value reached `params`: no `dir` was given for a
/// model with initialized parameters, or `dir` held none of them. Only
/// poor results would show it otherwise.
bool parametersAreUntrained(const frontend::Program &program,
                            const std::string &dir,
                            const train::ParameterStore &params);

/// The graph_hash of an artifact compiled from model source `source` with
/// `flags` (its compile_flags): rt::artifactDigest of the source and every
/// flag that shapes the graphs (all but "params" and "seed").
std::string
graphHash(const std::string &source,
          const std::vector<std::pair<std::string, std::string>> &flags);

} // namespace nnc::driver

#endif // NNC_DRIVER_ARTIFACTBUILDER_H
