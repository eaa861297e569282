//===- compiler.h - Compiling and training models in C++ -------*- C++ -*-===//
//
// The C++ API of libnnc_compiler: compile a model (.nn or .onnx) in this
// process, run it, take the gradient of its loss, train it, read and write
// its parameters, evaluate it over a dataset, and save it as an artifact
// that libnnc (nnc.h) runs without the compiler.
//
//   #include <nnc/compiler.h>
//   nnc::Status status;
//   std::unique_ptr<nnc::CompiledModel> model =
//       nnc::CompiledModel::compile("mlp_digits.nn", status);
//   std::map<std::string, nnc::Tensor> grads;
//   status = model->grad({{"x", x}, {"labels", labels}}, grads);
//   // grads["loss"], grads["grad_w1"], ...
//   nnc::TrainOptions train;
//   train.epochs = 2;
//   status = model->train({{"x", x}, {"labels", labels}}, train);
//   status = model->saveArtifact("mlp.nnx"); // for nnc::Model::load
//
// libnnc_compiler links the compiler and Debian's LLVM and MLIR shared
// libraries; a program that only runs artifacts links libnnc alone. Nothing
// here prints or exits: every failure is a Status, whose message holds the
// compiler's diagnostics when the model is at fault. See docs/embedding.md;
// find_package(nnc COMPONENTS compiler) gives the target nnc::compiler.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_API_COMPILER_H
#define NNC_API_COMPILER_H

#include "nnc.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nnc {

struct CompileOptions {
  /// The backend plugin that compiles the graphs ("cpu", "ref"); empty: the
  /// preferred one found.
  std::string backend;
  /// Set: the forward function is compiled for this batch size by
  /// compile(), so that its errors show there, and saveArtifact() compiles
  /// for it. 0: graphs are compiled at the first run of each batch size,
  /// and an artifact takes the batch of the model's train section (else 1).
  int64_t batch = 0;
  /// Most threads a run uses; 0: every core.
  unsigned threads = 0;
  /// Mixed into every parameter initializer's seed, as `nnc train --seed`;
  /// unset: the model's train section's `seed`, else 0, so that the
  /// parameters start where `nnc train` starts them.
  std::optional<uint64_t> seed;
  /// Backend plugin files to consider besides the install's.
  std::vector<std::string> plugins;
};

/// The mean loss and accuracy of a model over a dataset.
struct Metrics {
  double loss = 0;
  /// Set when the model's loss says how to score predictions (softmax
  /// cross-entropy: the argmax; binary cross-entropy: a 0.5 threshold).
  std::optional<double> accuracy;
  int64_t samples = 0;
};

/// Memory nnc owns, lent to a callback for the length of the call, which
/// may write into it: dense, C order.
struct MutableTensorView {
  void *data = nullptr;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
};

/// What an optimizer step of CompiledModel::train gave.
struct StepResult {
  int64_t step = 0;  ///< 1-based, over the whole run
  int64_t epoch = 0; ///< 1-based
  double loss = 0;   ///< the mean over the step's samples
  int64_t samples = 0;
};

/// How CompiledModel::train trains. Unset values come from the model's
/// train section, then from `nnc train`'s defaults, so that a run here is
/// the run `nnc train` makes with the same settings.
struct TrainOptions {
  std::optional<int64_t> epochs;
  /// Samples per step; the last step of an epoch may have fewer.
  std::optional<int64_t> batch;
  std::optional<double> lr;
  /// "sgd", "momentum", "nesterov", "adam" or "adamw" (docs/dsl.md).
  std::optional<std::string> optimizer;
  /// Shuffling; unset: the seed the parameters were drawn with (that of
  /// CompileOptions::seed), as `nnc train` shuffles with its --seed.
  std::optional<uint64_t> seed;
  /// Glob patterns of parameters to hold fixed ("block_*.w1").
  std::vector<std::string> freeze;
  bool shuffle = true;
  /// Leave out each epoch's last batch when it is short of a full one.
  bool dropLast = false;
  /// Batches whose gradients add up to one optimizer step (`--accumulate`);
  /// each step then runs as two graphs, as with afterGradients.
  int64_t accumulate = 1;
  /// Scales the gradients down to this global norm when above it
  /// (`--clip-norm`); 0: no clipping.
  double clipNorm = 0;
  /// The learning rate over the run (`--schedule`, docs/training.md):
  /// "constant" (or empty), "step" (times lrGamma every lrStepEpochs
  /// epochs) or "cosine" (down to lrMin).
  std::string schedule;
  int64_t lrStepEpochs = 10;
  double lrGamma = 0.1, lrMin = 0;
  /// Held-out data, by input name, evaluated after every epoch.
  std::map<std::string, TensorView> evalData;
  /// Called with each optimizer step's gradients, by parameter name, the
  /// mean over the step's samples, before the optimizer applies them: what
  /// it writes there is what the update uses (clipping, noise, logging).
  /// Setting it runs each step as two graphs, the gradients and then the
  /// update, where without it one fused graph does both, a little faster.
  /// A failure ends training with that status; an exception ends it with
  /// "the afterGradients callback threw: WHAT" (see train()).
  std::function<Status(int64_t step,
                       const std::map<std::string, MutableTensorView> &)>
      afterGradients;
  /// Called at the end of every optimizer step, on the calling thread. An
  /// exception ends training with "the onStep callback threw: WHAT".
  std::function<void(const StepResult &)> onStep;
};

/// What an epoch of CompiledModel::train gave.
struct EpochResult {
  int64_t epoch = 0; ///< 1-based
  double loss = 0;   ///< the mean over the epoch's samples
  std::optional<double> accuracy;
  std::optional<double> evalLoss, evalAccuracy;
};

/// A model compiled in this process, with its parameters. Graphs are
/// compiled on first use, one per batch size and kind, and kept. Calls on
/// one model take turns; several models may run at once.
class NNC_API CompiledModel {
public:
  /// Reads, checks and lowers the model at `path` (.nn, or .onnx with its
  /// weights), finds its backend, and initializes its parameters from their
  /// declared initializers. Null on failure, with `status` holding the
  /// diagnostics.
  static std::unique_ptr<CompiledModel>
  compile(const std::string &path, Status &status,
          const CompileOptions &options = {});
  ~CompiledModel();

  /// The model's inputs, labels included, in declaration order. The batch
  /// dimension, which takes any size, is -1.
  const std::vector<Port> &inputs() const;
  /// The model's outputs, without the loss; the batch dimension is -1.
  const std::vector<Port> &outputs() const;
  /// The backend that compiles the graphs.
  const std::string &backend() const;
  /// The warnings so far, each once: the compiler's, rendered against the
  /// source, and those of training runs. The list returned never changes
  /// and lives as long as the model, so it may be read while another
  /// thread runs, trains or compiles the model; a later call returns a
  /// longer list when warnings came since.
  const std::vector<std::string> &warnings() const;

  /// Runs the forward function once. `inputs` are read in place and set
  /// the batch size; every input must be given, except the loss's labels,
  /// without which the loss is left out, as `nnc run` does. `results` gets
  /// the outputs (and "loss") by name, in memory nnc allocated; a failed
  /// run (or grad) leaves it empty.
  Status run(const std::map<std::string, TensorView> &inputs,
             std::map<std::string, Tensor> &results);

  /// The loss and its gradient with respect to every trainable parameter,
  /// as "loss" and "grad_NAME" in `results`; every input must be given.
  /// `trainingMode` runs batch_norm on batch statistics and dropout
  /// dropping, as a training step does. Fails when the model has no loss.
  Status grad(const std::map<std::string, TensorView> &inputs,
              std::map<std::string, Tensor> &results,
              bool trainingMode = false);

  /// The qualified names of the parameters and buffers ("block_3.w1").
  std::vector<std::string> parameterNames() const;
  /// A copy of a parameter's (or buffer's) value.
  Status parameter(const std::string &name, Tensor &value) const;
  /// Replaces a parameter's value; its dtype and shape must not change,
  /// and it must be finite, as `--params` requires: NaN fails, and so does
  /// an infinity unless `name` is a buffer (a mask's -inf).
  Status setParameter(const std::string &name, const TensorView &value);

  /// Writes every parameter and buffer to `dir`/NAME.npy, the layout of
  /// `nnc train --save` and `--params`; makes `dir` if needed.
  Status saveParameters(const std::string &dir) const;
  /// Reads every parameter and buffer from `dir`/NAME.npy. Nothing changes
  /// unless every file is there with the right dtype and shape and finite
  /// values (as for setParameter).
  Status loadParameters(const std::string &dir);

  /// The mean loss (and accuracy) over `data`, every input by name with
  /// all samples along the batch dimension, run in batches of `batch`
  /// samples (0: the model's train batch, else 256), the last one partial.
  /// The data must be finite, as `nnc eval` requires.
  Status evaluate(const std::map<std::string, TensorView> &data,
                  Metrics &metrics, int64_t batch = 0);

  /// Trains the model's parameters in place on `data`, every input by
  /// name with all samples along the batch dimension: the training step
  /// of `nnc train`, compiled for each call (a second call finds its
  /// kernels in the backend's kernel cache). Optimizer state starts from
  /// zero on each call. `onEpoch`, when set, is called after every epoch
  /// (and its evaluation) on the calling thread. The data is copied and
  /// must be finite (a NaN is named with its input and sample).
  ///
  /// A callback (onEpoch, options.onStep, options.afterGradients) that
  /// throws ends training there: the exception is caught inside the
  /// library, which takes no further step and releases the model, and the
  /// status reads "the onEpoch callback threw: WHAT" (what() of a
  /// std::exception; "threw an exception" for anything else). The steps
  /// taken before it stay in the parameters.
  ///
  /// A callback that calls this model on its own thread gets a failed
  /// status, as train() holds the model until it returns; one that hands
  /// such a call to another thread and waits for it waits for ever, since
  /// that call waits for train() to return.
  Status train(const std::map<std::string, TensorView> &data,
               const TrainOptions &options = {},
               const std::function<void(const EpochResult &)> &onEpoch = {});
  /// Compiles the artifact `nnc compile` writes, with the current
  /// parameters, and writes it to `path` for nnc::Model::load. Its batch
  /// size is CompileOptions::batch (see there).
  Status saveArtifact(const std::string &path);

  struct Impl;

private:
  CompiledModel();
  std::unique_ptr<Impl> impl;
};

} // namespace nnc

#endif // NNC_API_COMPILER_H
