//===- Commands.h - The nnc subcommands -------------------------*- C++ -*-===//
//
// Each subcommand is a function over a plain options struct, so options
// travel explicitly from the parsed command line and nothing is global.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_COMMANDS_H
#define NNC_TOOLS_COMMANDS_H

#include "driver/ArtifactBuilder.h"
#include "driver/Benchmark.h"
#include "driver/GradientCheck.h"
#include "tools/nnc/LibraryNames.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nnc::cli {

/// driver::openModel with its notices on stderr; prints what failed and
/// returns null on failure.
std::unique_ptr<ModelSession> openModel(const SessionOptions &options,
                                        const std::string &modelPath,
                                        const char *lossPurpose = nullptr);

/// driver::openArtifact with its notices on stderr; prints what failed and
/// returns null on failure.
std::unique_ptr<ArtifactGraphSource> openArtifact(const SessionOptions &options,
                                                  const std::string &path);

/// driver::initializeParameters with its notes on stderr; prints what
/// failed and returns false on failure.
bool initializeParameters(ParameterStore &params,
                          const frontend::Program &program,
                          const std::string &dir, std::optional<uint64_t> seed);

/// train::writeOutputs, their lines on stdout; prints what failed and
/// returns false on failure.
bool showOutputs(const std::string &dir,
                 const std::vector<train::OutputTensor> &outputs,
                 const std::vector<std::string> &files,
                 const std::vector<std::string> &namedFiles);

/// train::renderProfile on `os`, its warnings on stderr; prints what failed
/// (the trace not written) and returns UserError on failure.
ExitCode reportProfile(const ProfileRequest &request,
                       const rt::KernelProfiler &profiler,
                       const rt::ExecutionPlan &plan,
                       const rt::PluginExecutable &executable, unsigned threads,
                       const std::string &what, const std::string &modelName,
                       llvm::raw_ostream &os);

/// `nnc train`: driver::trainModel with a console reporter.
ExitCode runTrain(TrainOptions options);

/// `nnc eval MODEL.nn`: prints driver::evaluateModel's metrics.
ExitCode runEval(const EvalOptions &options);

struct CheckOptions {
  std::string modelPath;
};

/// `nnc check MODEL.nn`: parse, check and verify; prints a one-line summary.
ExitCode runCheck(const CheckOptions &options);

struct ImportOptions {
  std::string modelPath;
  std::string outputPath;
  std::string paramsOutDir;
  /// --dynamic-batch (onnx::ImportOptions::firstAxisIsBatch).
  bool firstAxisIsBatch = false;
};

/// `nnc import MODEL.onnx -o MODEL.nn --params-out DIR [--dynamic-batch]`:
/// writes the translated program and its weights, or nothing when anything
/// fails.
ExitCode runImport(const ImportOptions &options);

struct IrOptions {
  std::string modelPath;
  std::string stage = "frontend";
  bool dot = false;
  /// Print each op's DSL source location (`loc(...)`) too.
  bool locations = false;
  /// Specialise the batch dimension to this size first (0: keep `?`).
  int64_t batch = 0;
  /// Print kernel count, arena bytes and FLOPs per function instead of IR.
  bool stats = false;
  /// With `stats`: one JSON object per function.
  bool json = false;
  OptimizationOptions optimizations;
};

/// `nnc ir MODEL.nn`: prints the verified IR after a stage, or Graphviz.
ExitCode runIr(const IrOptions &options);

struct BackendsOptions {
  /// Plugin files named with --plugin, loaded after the plugin folders.
  std::vector<std::string> pluginFiles;
};

/// `nnc backends`: lists the backend plugins found, one per line (name,
/// version, ABI version, description, file); fails when a --plugin file
/// does not load.
ExitCode runBackends(const BackendsOptions &options);

struct RunOptions {
  SessionOptions session;
  std::string modelPath;
  std::vector<std::string> inputs; ///< NAME=FILE.npy
  std::string paramsDir;
  std::string paramsOutDir;
  std::optional<uint64_t> seed; ///< unset: the train section's
  std::string outputDir;
  /// The run's profile: --profile, --trace FILE.json (models, not
  /// artifacts).
  ProfileRequest profile;
};

/// `nnc run MODEL.nn`: runs the model once and writes OUTPUT.npy files.
ExitCode runRun(const RunOptions &options);

struct GenerateOptions {
  SessionOptions session;
  std::string modelPath;
  std::string paramsDir;
  std::string prompt;
  int64_t tokens = 100;
  double temperature = 1.0;
  int64_t topK = 0;
  uint64_t seed = 0;
};

/// `nnc generate MODEL.nn`: samples text from a byte-level language model.
ExitCode runGenerate(const GenerateOptions &options);

struct GradOptions {
  SessionOptions session;
  std::string modelPath;
  std::vector<std::string> inputs; ///< NAME=FILE.npy
  std::string paramsDir;
  std::optional<uint64_t> seed; ///< unset: the train section's
  std::vector<std::string> freeze;
  std::vector<std::string> wrtInputs;
  std::string outputDir;
  /// --training-mode: batch_norm and dropout as in the training step.
  bool trainingMode = false;
};

/// `nnc grad MODEL.nn`: writes loss.npy and grad_NAME.npy per trainable
/// parameter (and per input named with --wrt).
ExitCode runGrad(const GradOptions &options);

struct GradcheckOptions {
  SessionOptions session;
  std::string modelPath;
  std::vector<std::string> inputs; ///< NAME=FILE.npy; others are generated
  std::string paramsDir;
  /// Largest relative error accepted.
  double tolerance = 1e-6;
  /// Its inputs are read from `inputs`.
  driver::GradientCheckOptions check;
};

/// `nnc gradcheck MODEL.nn`: compares the gradient graph with central
/// finite differences, both in f64, per parameter; exit 1 beyond tolerance.
ExitCode runGradcheck(const GradcheckOptions &options);

struct BenchOptions {
  SessionOptions session;
  std::string modelPath;
  /// Its profiler is set from `profile`.
  driver::BenchmarkOptions benchmark;
  /// One JSON object on one line instead of text.
  bool json = false;
  /// The timed runs' profile: --profile, --trace FILE.json.
  ProfileRequest profile;
};

/// `nnc bench MODEL.nn`: compiles the forward function (or the training
/// step) for a batch size, runs it on generated inputs and reports the
/// compile time and the median, min and max step time and samples/s.
ExitCode runBench(const BenchOptions &options);

struct CompileOptions {
  SessionOptions session;
  std::string outputPath; ///< FILE.nnx
  /// Its optimisations are the session's.
  driver::CompileRequest request;
};

/// `nnc compile MODEL.nn -o FILE.nnx`: compiles the forward graph (and with
/// `train` the training step) and writes an artifact (docs/artifact.md).
ExitCode runCompile(const CompileOptions &options);

struct InspectOptions {
  std::string artifactPath;
  /// Also list every value and kernel of each plan.
  bool plan = false;
  /// When set, write each target's shared objects under this folder.
  std::string dumpCodeDir;
};

/// `nnc inspect FILE.nnx`: prints what the artifact holds, after checking it.
ExitCode runInspect(const InspectOptions &options);

/// `nnc run FILE.nnx`: runRun for an artifact; loads, never compiles.
ExitCode runArtifact(const RunOptions &options);

/// `nnc eval FILE.nnx`: runEval for an artifact.
ExitCode evalArtifact(const EvalOptions &options);

} // namespace nnc::cli

#endif // NNC_TOOLS_COMMANDS_H
