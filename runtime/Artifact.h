//===- Artifact.h - Compiled artifacts (.nnx) -------------------*- C++ -*-===//
//
// A compiled artifact is one FlatBuffers file (schema: artifact/nnx.fbs,
// documented in docs/artifact.md) holding what a deployed model needs to
// run without the compiler: each compiled graph's execution plan and the
// backend's serialized executable for it, the parameters and buffers (and
// optimizer state and counters for a training artifact), the model's
// inputs and outputs, and metadata that makes the file self-describing.
//
// This is the in-memory form, plain structs, MLIR-free like the rest of the
// runtime. readArtifact() trusts nothing: it runs the FlatBuffers verifier,
// refuses a newer format version, then checks every index, size, shape and
// name (each plan through verifyExecutionPlan) before returning, so a
// truncated, bit-flipped or hand-crafted file is a one-line error, never a
// crash. Loading the executables is ArtifactLoader.h's job.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_ARTIFACT_H
#define NNC_RUNTIME_ARTIFACT_H

#include "runtime/BindingRole.h"
#include "runtime/ExecutionPlan.h"
#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nnc::rt {

/// The format version this runtime writes and the newest it reads. 2: a
/// plan may update a state in place (an Output value's PlanValue::reuses),
/// which version 1 readers refuse. 3: an Arena value may view a graph input
/// (viewedGraphInputs), which a version 2 reader would place in the arena.
inline constexpr uint32_t kArtifactFormatVersion = 3;

/// What a compiled graph computes.
enum class ArtifactGraphKind : uint8_t {
  Forward,      ///< Outputs and the loss; the labels are fed.
  Predict,      ///< Outputs only; the loss and its labels dropped.
  TrainingStep, ///< Loss, outputs, updated parameters and state.
};

/// "forward", "predict" or "train_step".
const char *artifactGraphKindName(ArtifactGraphKind kind);

/// One compiled graph.
struct ArtifactGraph {
  /// Unique in the artifact; by convention the kind's name, with "@B" for
  /// an extra batch size ("forward@1").
  std::string name;
  ArtifactGraphKind kind = ArtifactGraphKind::Forward;
  /// The batch size the graph was specialised to; 0 when the model has no
  /// batch dimension.
  int64_t batchSize = 0;
  ExecutionPlan plan;
  /// The backend's serialized executable (nnc_serialize_extension).
  std::string executable;
};

/// A named tensor the graphs read: a Param, Buffer or OptState.
struct ArtifactTensor {
  std::string name;
  BindingRole role = BindingRole::None;
  Tensor tensor;
};

/// An input or output of the model, for people and for `nnc run`.
struct ArtifactPort {
  std::string name;
  BindingRole role = BindingRole::None; ///< Input, Output or Loss
  DType dtype = DType::F32;
  /// With the batch dimension specialised to the artifact's batch size.
  Shape shape;
  /// True when the leading dimension follows the batch: the batch itself,
  /// or for an output a multiple or share of it (after a reshape).
  bool batched = false;
};

/// The counters of a training artifact.
struct ArtifactTraining {
  int64_t step = 0;  ///< Training steps done.
  int64_t epoch = 0; ///< Epochs done.
  uint64_t seed = 0; ///< The run's seed (shuffling).
  double learningRate = 0;
  /// The run's settings as JSON text (train/RunSettings.h reads it);
  /// empty when the artifact records none.
  std::string runSettings;
};

/// How `nnc eval` scores predictions (see AccuracySpec in tools/nnc).
struct ArtifactAccuracy {
  bool threshold = false; ///< false: argmax
  std::string outputName;
  std::string labelInput;
  /// Argmax: positions with this label are not scored (the loss's
  /// ignore_index).
  std::optional<int64_t> ignoreIndex;
};

struct Artifact {
  uint32_t formatVersion = kArtifactFormatVersion;
  /// The nnc that wrote it, e.g. "0.1.0".
  std::string nncVersion;
  std::string backendName;
  std::string backendVersion;
  uint32_t abiMajor = 0, abiMinor = 0;
  /// "x86_64-unknown-linux-gnu".
  std::string targetTriple;
  /// CPU features the executables need ("avx2"); empty for the ref
  /// interpreter.
  std::vector<std::string> cpuFeatures;
  /// True when the executables hold machine code for `targetTriple` alone.
  bool machineCode = false;
  /// The CPUs the machine code is compiled for, best first; a loader runs
  /// the first the host supports. `cpuFeatures` is what all of them need.
  struct CodeTarget {
    std::string cpu;
    std::vector<std::string> features;
  };
  std::vector<CodeTarget> codeTargets;
  /// The settings it was compiled with, in order ("batch" = "32").
  std::vector<std::pair<std::string, std::string>> compileFlags;
  /// artifactDigest of the model source and the flags.
  std::string graphHash;
  std::string modelName;
  int64_t batchSize = 0;
  std::vector<ArtifactPort> inputs, outputs;
  std::vector<ArtifactGraph> graphs;
  std::vector<ArtifactTensor> tensors;
  std::optional<ArtifactTraining> training;
  std::optional<ArtifactAccuracy> accuracy;

  /// The graph named `name`, or null.
  const ArtifactGraph *graph(const std::string &name) const;
  /// The tensor named `name`, or null.
  const ArtifactTensor *tensor(const std::string &name) const;
  ArtifactTensor *tensor(const std::string &name);
};

/// The artifact as FlatBuffers bytes. Fails when a tensor is too large for
/// the format (FlatBuffers buffers stay under 2 GiB).
Expected<std::string> serializeArtifact(const Artifact &artifact);

/// Writes the artifact to `path` atomically (temporary file, fsync,
/// rename), so a crash leaves the old file or the new one.
Error writeArtifact(const std::string &path, const Artifact &artifact);

/// Parses and checks `size` bytes (see the file comment). Errors are one
/// line, e.g. "not an nnc artifact (no NNX1 identifier)", "corrupt or
/// truncated artifact (FlatBuffers verification failed)", "format version 2
/// is newer than this runtime reads (1)".
Expected<Artifact> parseArtifact(const void *data, size_t size);

/// Reads and parses the artifact at `path`; errors start with the path.
Expected<Artifact> readArtifact(const std::string &path);

/// Whether `path` names an artifact rather than model source: its name
/// ends in .nnx, or it is a regular file whose first bytes hold the NNX1
/// identifier (an artifact under any name). What the commands that take
/// either go by; the file is not checked further.
bool isArtifactFile(const std::string &path);

/// Whether `bytes`, the start of a file, hold the NNX1 identifier.
bool hasArtifactIdentifier(std::string_view bytes);

/// The 64-bit FNV-1a digest of `size` bytes: any change of a single byte
/// changes it (so does any bit flip); not a cryptographic hash.
uint64_t fnv1a64(const void *bytes, size_t size);

/// fnv1a64 of `text` as 16 hex digits: identifies a graph's inputs (model
/// source, flags).
std::string artifactDigest(const std::string &text);

/// Fails unless this CPU runs the code of at least one of `artifact`'s
/// code targets (any artifact without them passes), naming what each
/// needs: "the artifact holds code for x86-64-v4 only, which requires CPU
/// feature 'avx512f', which this CPU lacks".
Error checkCodeTargets(const Artifact &artifact);

/// The triple of the machine this runtime was built for, e.g.
/// "x86_64-unknown-linux-gnu".
std::string hostTargetTriple();

/// The CPU features checkCpuFeatures can test, in a fixed order ("sse4.2",
/// "avx", "avx2", "fma", "bmi", "bmi2", "avx512f", ...): the names
/// cpuFeatures and code targets use.
std::vector<std::string> checkableCpuFeatures();

/// Fails, naming the first one, when this CPU lacks a feature `features`
/// lists (names of checkableCpuFeatures()); an unknown name is an error
/// too.
Error checkCpuFeatures(const std::vector<std::string> &features);

} // namespace nnc::rt

#endif // NNC_RUNTIME_ARTIFACT_H
