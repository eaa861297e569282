//===- ModelSession.h - A model opened for compiling and running -*- C++ -*-===//
//
// The pipeline every executing subcommand shares. A session checks and
// lowers a model once; each compile() then takes a copy of the module,
// specialises the batch size, derives the requested graph (the forward
// function, its gradient, or a whole training step), and compiles it with
// the chosen backend plugin into a CompiledGraph that runs on the oneTBB
// executor. Training compiles the step twice (full and last partial batch)
// and the forward function for evaluation, all from one session.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_MODELSESSION_H
#define NNC_TOOLS_MODELSESSION_H

#include "tools/driver/FunctionCompiler.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/ModelLoader.h"
#include "tools/nnc/TrainNames.h"

#include "passes/Pipelines.h"
#include "runtime/PluginHost.h"
#include "runtime/Tensor.h"

#include "mlir/IR/MLIRContext.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nnc::cli {

/// Which function of the model to compile.
enum class GraphKind {
  Forward,      ///< @forward: outputs (and the loss when its inputs are fed)
  Gradient,     ///< @grad: the loss and a gradient per trainable parameter
  TrainingStep, ///< @train_step: loss, outputs, updated params and state
  /// The split training step of data-parallel training: @train_grads
  /// (loss, outputs, gradients, updated buffers) and @train_apply (updated
  /// params and state from given gradients).
  TrainingGradients,
  TrainingUpdate,
};

struct GraphRequest {
  GraphKind kind = GraphKind::Forward;
  /// The batch size to specialise to; 0 when the model has no batch symbol.
  int64_t batch = 0;
  /// Forward only: drop the loss (its inputs, the labels, are not fed).
  bool withoutLoss = false;
  /// Gradient only: inputs whose gradients are also wanted.
  std::vector<std::string> wrtInputs;
  /// Forward and Gradient: batch_norm and dropout as the training step
  /// runs them (batch statistics; dropping, with the mask of step 0).
  bool trainingMode = false;
  /// TrainingStep only: `nn-training-step` options overriding the model's
  /// train section, e.g. {"optimizer", "adam"}, {"lr", "0.01"}.
  std::map<std::string, std::string> trainingOptions;
  /// Extra parameters to freeze (glob patterns), on top of the model's.
  std::vector<std::string> freeze;
  /// Compute in f64 instead of f32 (finite-difference checks).
  bool promoteToF64 = false;
  /// The CPUs a compiled artifact's machine code must run on
  /// (`nnc compile --target-cpu`); empty: the backend's default.
  std::vector<std::string> targetCpus;
};

class ModelSession {
public:
  /// Checks and lowers `modelPath`, and finds the backend plugin. Prints
  /// diagnostics and returns null on failure.
  static std::unique_ptr<ModelSession> open(const SessionOptions &options,
                                            const std::string &modelPath);

  const frontend::Program &program() const { return model.program; }
  const std::string &backendName() const { return options.backend; }

  /// The backend plugin graphs are compiled with.
  const rt::LoadedPlugin &backend() const { return *plugin; }
  /// The threads its graphs run on (--threads, else every core).
  unsigned threads() const { return runtime->threads(); }

  /// Compiles the requested graph. Prints diagnostics (located at the DSL
  /// source for errors in the IR) and returns null on failure.
  std::unique_ptr<CompiledGraph> compile(const GraphRequest &request);

  /// The batch size `feeds` imply (the leading extent every fed input with
  /// the batch symbol shares), 0 when the model has none; prints an error
  /// and returns nullopt when inputs disagree.
  std::optional<int64_t>
  batchSizeOf(const std::map<std::string, rt::Tensor> &feeds) const;

  /// Names of the model's inputs, in declaration order.
  std::vector<std::string> inputNames() const;

  /// Inputs that only the loss reads (the labels).
  const std::vector<std::string> &lossOnlyInputs() const {
    return lossOnlyInputNames;
  }

  /// How to score the model's predictions, when its loss tells.
  const std::optional<AccuracySpec> &accuracy() const { return accuracySpec; }

private:
  ModelSession() = default;

  /// The inputs of `module`'s @forward that nothing but its loss reads
  /// (found once: it takes a copy of the module).
  static std::vector<std::string> findLossOnlyInputs(mlir::ModuleOp module);

  SessionOptions options;
  std::shared_ptr<rt::Session> runtime;
  LoadedModel model;
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  rt::PluginSet plugins;
  const rt::LoadedPlugin *plugin = nullptr;
  std::optional<AccuracySpec> accuracySpec;
  std::vector<std::string> lossOnlyInputNames;
};

/// The batch size that the `shapes` of fed inputs imply: the leading
/// extent every input with the batch symbol shares; 0 when the model has
/// none. An error when inputs disagree or none gives it.
rt::Expected<int64_t>
batchSizeOf(const frontend::Program &program,
            const std::map<std::string, rt::Shape> &shapes);

/// The compile pipeline's options (passes/Pipelines.h) with the graph
/// optimisations `optimizations` switches on.
CompilePipelineOptions
compilePipelineOptions(const OptimizationOptions &optimizations);

/// A lookup that serves inputs from `feeds` and every other role
/// (parameters, buffers) from `params`.
CompiledGraph::Lookup
feedsAndParams(const std::map<std::string, rt::Tensor> &feeds,
               const ParameterStore &params);

/// Opens a model that must have a loss: the commands that differentiate,
/// train or evaluate. `purpose` completes "the model has no loss to ...".
std::unique_ptr<ModelSession> openWithLoss(const SessionOptions &options,
                                           const std::string &modelPath,
                                           const char *purpose);

/// Reads `NAME=FILE.npy` arguments of `flag` into `tensors`. A malformed
/// argument is a usage error; an unreadable file a user error.
ExitCode readNamedTensors(const std::vector<std::string> &arguments,
                          const char *flag,
                          std::map<std::string, rt::Tensor> &tensors);

} // namespace nnc::cli

#endif // NNC_TOOLS_MODELSESSION_H
