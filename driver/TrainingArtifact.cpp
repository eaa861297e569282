//===- TrainingArtifact.cpp - nnc train --resume FILE.nnx -----------------===//

#include "driver/TrainingArtifact.h"

#include "driver/ArtifactBuilder.h"
#include "driver/ModelLoader.h"
#include "driver/OpenModel.h"
#include "train/ArtifactGraphSource.h"
#include "train/DataArguments.h"
#include "train/ResumedSettings.h"
#include "train/TrainingRun.h"

#include "runtime/Artifact.h"
#include "runtime/FileIO.h"
#include "runtime/FlatJson.h"

#include "llvm/ADT/StringExtras.h"

namespace nnc::driver {

using namespace nnc::train;
namespace {

/// The settings of the run that wrote a training artifact; none when it
/// records none.
rt::Expected<std::optional<RunSettings>>
artifactRunSettings(const rt::ArtifactTraining &training,
                    const std::string &path) {
  if (training.runSettings.empty())
    return std::optional<RunSettings>();
  auto corrupt = [&](const std::string &message) {
    return rt::Error::failure(path + ": corrupt training artifact: " + message);
  };
  rt::Expected<rt::JsonObject> json =
      rt::JsonObject::parse(training.runSettings, "run settings");
  if (!json.ok())
    return corrupt(json.message());
  rt::Expected<std::optional<RunSettings>> settings = loadRunSettings(*json);
  if (!settings.ok())
    return corrupt(settings.message());
  return settings;
}

/// The value of compile flag `key`, empty when the artifact has none.
std::string compileFlag(const rt::Artifact &artifact, const std::string &key) {
  for (const auto &[name, value] : artifact.compileFlags)
    if (name == key)
      return value;
  return "";
}

/// Fails, with a usage error, on a flag of this run that would change the
/// compiled training step: resuming runs the step as it was compiled.
CodedError checkFlagsFit(const TrainOptions &options,
                         const rt::Artifact &artifact,
                         const std::string &path) {
  auto conflict = [&](const std::string &flag, const std::string &compiled) {
    return CodedError::usage(flag + " does not apply to --resume " + path +
                             ", whose training step is compiled with " +
                             compiled +
                             "; train from the model source to change it");
  };
  auto compiledWith = [&](const char *key, const char *otherwise) {
    std::string value = compileFlag(artifact, key);
    return value.empty() ? std::string(otherwise) : key + ("=" + value);
  };
  if (options.batch && artifact.batchSize > 0 &&
      *options.batch != artifact.batchSize)
    return conflict("--batch " + std::to_string(*options.batch),
                    "batch=" + std::to_string(artifact.batchSize));
  if (options.optimizer &&
      *options.optimizer != compileFlag(artifact, "optimizer"))
    return conflict("--optimizer " + *options.optimizer,
                    compiledWith("optimizer", "the model's optimizer"));
  if (options.clipNorm.value_or(0) > 0 &&
      std::to_string(*options.clipNorm) != compileFlag(artifact, "clip-norm"))
    return conflict("--clip-norm", compiledWith("clip-norm", "no clipping"));
  if (!options.freeze.empty() &&
      llvm::join(options.freeze, ",") != compileFlag(artifact, "freeze"))
    return conflict("--freeze", compiledWith("freeze", "the model's freezes"));
  if (!options.paramsDir.empty())
    return CodedError::usage("--params does not apply to --resume " + path +
                             ", which holds the parameters it continues from");
  // Accumulation and a hook on the gradients need the step split at its
  // gradients, which an artifact does not hold.
  if (options.accumulate.value_or(1) > 1)
    return conflict("--accumulate " + std::to_string(*options.accumulate),
                    "one optimizer update per batch");
  if (options.hooks.afterGradients || options.hooks.exchange ||
      options.distributed.enabled)
    return CodedError::usage(
        std::string(options.distributed.enabled ? "--distributed"
                                                : "a hook on the gradients") +
        " does not apply to --resume " + path +
        ", whose training step is compiled fused; train from the model "
        "source to split it");
  const OptimizationOptions &opt = options.session.optimizations;
  for (auto [name, on] :
       {std::pair<const char *, bool>{"canonicalize", opt.canonicalize},
        {"cse", opt.cse},
        {"simplify", opt.simplify},
        {"fuse", opt.fuse},
        {"in-place", opt.inPlace}})
    if (!on && compileFlag(artifact, name) != "off")
      return conflict(std::string("--no-") + name,
                      std::string(name) + "=" + compileFlag(artifact, name));
  return CodedError();
}

/// Checks that `modelPath` is the source the artifact was compiled from:
/// the model's name, then the graph hash of its text and the artifact's
/// flags. Reads the model with the frontend alone (no MLIR). Sets `epochs`
/// to the model's train-section epochs, if any.
rt::Error checkModelSource(const std::string &modelPath,
                           const rt::Artifact &artifact,
                           const std::string &path,
                           std::optional<int64_t> &epochs) {
  rt::Expected<driver::LoadedModel> model = driver::loadModel(modelPath);
  if (!model.ok())
    return model.takeError();
  const frontend::Program &program = model->program;
  if (program.modelName != artifact.modelName)
    return rt::Error::failure(path + ": the artifact holds model '" +
                              artifact.modelName + "', not '" +
                              program.modelName + "'");
  rt::Expected<rt::InputFile> file = rt::InputFile::open(modelPath);
  if (!file.ok())
    return file.takeError();
  rt::Expected<std::string> text = file->readAll(uint64_t(1) << 30);
  if (!text.ok())
    return text.takeError();
  std::string hash = driver::graphHash(*text, artifact.compileFlags);
  if (hash != artifact.graphHash)
    return rt::Error::failure(path + ": compiled from another version of " +
                              modelPath + " (graph hash " + artifact.graphHash +
                              ", the source gives " + hash +
                              "); resume without the model, or train from it");
  auto setting = program.training.settings.find("epochs");
  if (setting != program.training.settings.end())
    if (auto *value = std::get_if<int64_t>(&setting->second))
      epochs = *value;
  return rt::Error::success();
}

/// The run's parameters, buffers and optimizer state from the artifact
/// (copies), checking that it holds every one `step` reads.
rt::Error stateFromArtifact(const rt::Artifact &artifact,
                            const CompiledGraph &step, const std::string &path,
                            TrainingState &state) {
  for (const rt::ArtifactTensor &tensor : artifact.tensors) {
    rt::Expected<rt::Tensor> copy = tensor.tensor.clone();
    if (!copy.ok())
      return copy.takeError();
    if (tensor.role == rt::BindingRole::OptState)
      state.optimizerState.insert_or_assign(tensor.name, std::move(*copy));
    else
      state.params.set(tensor.name, std::move(*copy));
  }
  for (const CompiledGraph::Argument &arg : step.arguments()) {
    bool held = arg.role == rt::BindingRole::OptState
                    ? state.optimizerState.count(arg.name) > 0
                    : state.params.find(arg.name) != nullptr;
    if (arg.role != rt::BindingRole::Input &&
        arg.role != rt::BindingRole::Step && arg.role != rt::BindingRole::Lr &&
        !held)
      return rt::Error::failure(path + ": the training step reads " +
                                rt::roleName(arg.role) + " '" + arg.name +
                                "', which the artifact does not hold");
  }
  state.stepCount = artifact.training->step;
  return createStepScalars(state);
}

/// --save-artifact of a resumed run: the artifact it resumed, with the
/// run's values and counters in place of the old ones. The graphs are the
/// same, so the file is what a run from source would write.
rt::Error saveResumedArtifact(ArtifactGraphSource &source,
                              const TrainOptions &options,
                              const TrainingRun &run,
                              const TrainingState &state,
                              const rt::BatchIteratorState &position) {
  if (rt::Error error = checkEpochBoundary(position); !error.ok())
    return error;
  rt::Artifact &artifact = source.artifact();
  for (rt::ArtifactTensor &tensor : artifact.tensors) {
    const rt::Tensor *value = state.params.find(tensor.name);
    if (tensor.role == rt::BindingRole::OptState) {
      auto it = state.optimizerState.find(tensor.name);
      value = it == state.optimizerState.end() ? nullptr : &it->second;
    }
    if (!value)
      return rt::Error::failure(std::string("the run has no value for ") +
                                rt::roleName(tensor.role) + " '" + tensor.name +
                                "'");
    rt::Expected<rt::Tensor> copy = value->clone();
    if (!copy.ok())
      return copy.takeError();
    tensor.tensor = std::move(*copy);
  }
  for (auto &[key, value] : artifact.compileFlags)
    if (key == "seed")
      value = std::to_string(run.seed);
  artifact.training->seed = run.seed;
  artifact.training->learningRate = run.baseLr;
  return writeTrainingArtifact(artifact, options.saveArtifact, state, position,
                               run.settings);
}

} // namespace

bool isTrainingArtifactPath(const std::string &path) {
  return rt::isArtifactFile(path);
}

CodedError resumeFromArtifact(const TrainOptions &options,
                              TrainingState *trained) {
  const std::string &path = options.resumeDir;
  rt::Expected<std::unique_ptr<ArtifactGraphSource>> opened =
      openArtifact(options.session, path, options.hooks.notices());
  if (!opened.ok())
    return opened.takeError();
  ArtifactGraphSource &source = **opened;
  const rt::Artifact &artifact = source.artifact();
  if (!artifact.training || !artifact.graph("train_step"))
    return rt::Error::failure(path +
                              ": not a training artifact (write one with "
                              "nnc compile --train or nnc train "
                              "--save-artifact)");
  if (CodedError error = checkFlagsFit(options, artifact, path); !error.ok())
    return error;
  std::optional<int64_t> modelEpochs;
  if (!options.modelPath.empty())
    if (rt::Error error =
            checkModelSource(options.modelPath, artifact, path, modelEpochs);
        !error.ok())
      return error;
  rt::Expected<InputDeclarations> inputs = inputDeclarations(artifact);
  if (!inputs.ok())
    return inputs.takeError();

  // The artifact's counters continue; its seed and learning rate are the
  // defaults, and with no --epochs (nor a model saying) one more epoch.
  const rt::ArtifactTraining &training = *artifact.training;
  TrainingRun run;
  run.graphs = &source;
  run.epochs =
      options.epochs.value_or(modelEpochs.value_or(training.epoch + 1));
  run.seed = options.seed.value_or(training.seed);
  // 0: the model named no rate (the reader refuses a negative or
  // non-finite one).
  run.baseLr = options.lr.value_or(
      training.learningRate > 0 ? training.learningRate : 0.01);
  // The shuffling, last batch, evaluation interval and schedule of the run
  // that wrote it, where the command gives none (an artifact of `nnc
  // compile --train` or of an older nnc records none: the defaults). Its
  // step is compiled with its clipping, if any.
  rt::Expected<std::optional<RunSettings>> recorded =
      artifactRunSettings(training, path);
  if (!recorded.ok())
    return recorded.takeError();
  run.settings = recorded->value_or(RunSettings());
  takeLoopSettings(options, recorded->has_value(), run.settings,
                   run.resumedSettings);
  run.settings.epochs = run.epochs;
  run.settings.baseLr = run.baseLr;
  // The batch as asked, which the settings keep (RunSettings::batch), so
  // that the artifact this run writes holds what a run straight through
  // would: --batch, else the recorded run's, else the artifact's (32 for a
  // model without a batch dimension, which has one step for any number of
  // samples).
  run.settings.batch = options.batch.value_or(
      *recorded ? (*recorded)->batch
                : (artifact.batchSize > 0 ? artifact.batchSize : 32));
  if (rt::Error error = checkRunSettings(run.settings); !error.ok())
    return CodedError::usage(error.message());
  if (CodedError error = loadTrainingData(options, *inputs, run); !error.ok())
    return error;
  run.batch = artifact.batchSize > 0
                  ? artifact.batchSize
                  : std::min(run.settings.batch, run.trainSet.numSamples());
  if (rt::Error error = checkDropLastLeavesABatch(
          run.settings, run.trainSet.numSamples(), run.batch);
      !error.ok())
    return CodedError::usage(error.message());
  run.evalBatch = artifact.batchSize > 0
                      ? artifact.batchSize
                      : std::min(run.batch, run.evalSet.numSamples());

  rt::Expected<CompiledGraph *> step = source.graph("train_step");
  if (!step.ok())
    return step.takeError();
  if (rt::Error error = stateFromArtifact(artifact, **step, path, run.state);
      !error.ok())
    return error;
  rt::BatchIteratorState position;
  position.epoch = training.epoch;
  position.seed = run.seed;
  run.resumeAt = position;
  run.state.historyStartEpoch = training.epoch;
  run.saveArtifact = [&](const TrainingState &state,
                         const rt::BatchIteratorState &at) {
    return saveResumedArtifact(source, options, run, state, at);
  };
  if (rt::Error error = runTrainingLoop(run, options, options.hooks);
      !error.ok())
    return error;
  if (trained)
    *trained = std::move(run.state);
  return CodedError();
}

} // namespace nnc::driver
