//===- ModelSession.h - A model opened for compiling ------------*- C++ -*-===//
//
// The pipeline every executing subcommand shares. A session checks and
// lowers a model once; each compile() then takes a copy of the module,
// specialises the batch size, derives the requested graph (the forward
// function, its gradient, or a whole training step), and compiles it with
// the chosen backend plugin into a CompiledGraph that runs on the oneTBB
// executor. Training compiles the step twice (full and last partial batch)
// and the forward function for evaluation, all from one session.
//
// The session prints nothing: failures are values, with a model's errors
// rendered against its source, and warnings go to the handler the caller
// installs.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DRIVER_MODELSESSION_H
#define NNC_DRIVER_MODELSESSION_H

#include "driver/FunctionCompiler.h"
#include "driver/ModelLoader.h"
#include "driver/SourceDiagnosticHandler.h"
#include "train/Accuracy.h"
#include "train/CompiledGraph.h"
#include "train/ParameterStore.h"
#include "train/TrainOptions.h"

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

namespace nnc::driver {

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

/// Whether a batch of one sample would leave some batch_norm of `program`
/// one value per channel, which training cannot normalise: one over [B, C]
/// (or [B, C, 1, 1]); one over images has a value per pixel.
bool batchNormNeedsTwoSamples(const frontend::Program &program);

class ModelSession {
public:
  /// Checks and lowers `modelPath`, and finds the backend plugin.
  /// `onWarning` receives the warnings of this and every later compile.
  static rt::Expected<std::unique_ptr<ModelSession>>
  open(const train::SessionOptions &options, const std::string &modelPath,
       WarningHandler onWarning = {});

  const frontend::Program &program() const { return model.program; }
  const std::string &backendName() const { return options.backend; }

  /// The backend plugin graphs are compiled with.
  const rt::LoadedPlugin &backend() const { return *plugin; }
  /// The threads its graphs run on (--threads, else every core).
  unsigned threads() const { return runtime->threads(); }

  /// What plugin discovery skipped, and why (e.g. a wrong ABI version).
  const std::vector<std::string> &pluginWarnings() const {
    return runtime->plugins().warnings;
  }

  /// Compiles the requested graph; errors in the IR are rendered at the
  /// DSL source.
  rt::Expected<std::unique_ptr<train::CompiledGraph>>
  compile(const GraphRequest &request);

  /// The batch size `feeds` imply (the leading extent every fed input with
  /// the batch symbol shares), 0 when the model has none; an error when
  /// inputs disagree.
  rt::Expected<int64_t>
  batchSizeOf(const std::map<std::string, rt::Tensor> &feeds) const;

  /// The forward graph `feeds` call for: every input must be fed but the
  /// labels, without which the loss is left out; the batch size is the
  /// feeds'. Unknown and missing inputs are errors.
  rt::Expected<GraphRequest>
  forwardRequest(const std::map<std::string, rt::Tensor> &feeds) const;

  /// Names of the model's inputs, in declaration order.
  std::vector<std::string> inputNames() const;

  /// Inputs that only the loss reads (the labels).
  const std::vector<std::string> &lossOnlyInputs() const {
    return lossOnlyInputNames;
  }

  /// How to score the model's predictions, when its loss tells.
  const std::optional<train::AccuracySpec> &accuracy() const {
    return accuracySpec;
  }

private:
  ModelSession() = default;

  /// The inputs of `module`'s @forward that nothing but its loss reads
  /// (found once: it takes a copy of the module).
  static std::vector<std::string> findLossOnlyInputs(mlir::ModuleOp module);

  train::SessionOptions options;
  WarningHandler onWarning;
  std::shared_ptr<rt::Session> runtime;
  LoadedModel model;
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  /// Owned by `runtime`, with the other plugins found.
  const rt::LoadedPlugin *plugin = nullptr;
  std::optional<train::AccuracySpec> accuracySpec;
  std::vector<std::string> lossOnlyInputNames;
};

/// The batch size that the `shapes` of fed inputs imply: the leading
/// extent every input with the batch symbol shares; 0 when the model has
/// none. An error when inputs disagree or none gives it.
rt::Expected<int64_t>
batchSizeOf(const frontend::Program &program,
            const std::map<std::string, rt::Shape> &shapes);

/// Fails unless every tensor in `inputs` has its input's declared dtype and
/// shape, the batch dimension taking any extent: what a run checks, done
/// before a graph is compiled for the batch size the tensors give, so that
/// a wrong feature count costs no compile.
rt::Error
checkInputTypes(const frontend::Program &program,
                const std::map<std::string, rt::ConstTensorView> &inputs);

/// Fails when an input of `program` declared without the batch dimension,
/// in a model that has one (a mask, part of the model rather than data),
/// holds NaN in `inputs`, as train and eval refuse it; infinities pass.
rt::Error
checkSharedInputs(const frontend::Program &program,
                  const std::map<std::string, rt::ConstTensorView> &inputs);

/// The compile pipeline's options (passes/Pipelines.h) with the graph
/// optimisations `optimizations` switches on.
CompilePipelineOptions
compilePipelineOptions(const train::OptimizationOptions &optimizations);

/// A lookup that serves inputs from `feeds` and every other role
/// (parameters, buffers) from `params`.
train::CompiledGraph::Lookup
feedsAndParams(const std::map<std::string, rt::Tensor> &feeds,
               const train::ParameterStore &params);

/// Opens a model that must have a loss: to differentiate, train or
/// evaluate it. `purpose` completes "the model has no loss to ...".
rt::Expected<std::unique_ptr<ModelSession>>
openWithLoss(const train::SessionOptions &options, const std::string &modelPath,
             const char *purpose, WarningHandler onWarning = {});

} // namespace nnc::driver

#endif // NNC_DRIVER_MODELSESSION_H
