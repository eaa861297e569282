//===- Trainer.cpp - The training loop ------------------------------------===//

#include "tools/nnc/Trainer.h"

#include "tools/nnc/ArtifactBuilder.h"
#include "tools/nnc/DataArguments.h"
#include "tools/nnc/Evaluator.h"
#include "tools/nnc/ModelSession.h"
#include "tools/nnc/OutputWriter.h"
#include "tools/nnc/ParameterStore.h"

#include "runtime/Artifact.h"
#include "runtime/BatchIterator.h"
#include "runtime/Checkpoint.h"
#include "runtime/ProgressBar.h"
#include "runtime/SvgPlot.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <iostream>

namespace nnc::cli {
namespace {

bool fail(const std::string &message) {
  llvm::errs() << "error: " << message << "\n";
  return false;
}

/// Prints a one-line error and gives the exit code of a user error.
ExitCode userError(const std::string &message) {
  fail(message);
  return UserError;
}

/// The learning rate of `step` (1-based) in `epoch` (0-based).
double learningRate(const ScheduleOptions &schedule, double base,
                    int64_t epoch, int64_t step, int64_t totalSteps) {
  if (schedule.kind == "step")
    return base * std::pow(schedule.gamma,
                           static_cast<double>(epoch / schedule.stepEpochs));
  if (schedule.kind == "cosine" && totalSteps > 1) {
    double t = static_cast<double>(step - 1) / (totalSteps - 1);
    return schedule.minLr +
           0.5 * (base - schedule.minLr) * (1 + std::cos(M_PI * t));
  }
  return base;
}

/// Everything a training run carries from step to step.
struct TrainingState {
  const frontend::Program *program = nullptr;
  ParameterStore params; ///< parameters and buffers
  std::map<std::string, rt::Tensor> optimizerState;
  rt::Tensor step; ///< i64 scalar, 1-based
  rt::Tensor lr;   ///< f32 scalar
  int64_t stepCount = 0;
  std::vector<double> trainLoss, evalLoss; ///< per finished epoch
  // Sums over the current epoch, kept in checkpoints for a mid-epoch resume.
  double epochLossSum = 0;
  int64_t epochSamples = 0, epochCorrect = 0, epochScored = 0;
};

/// Swaps the updated values a step returned into the state: the graph's
/// result tensors and the state's trade places, so nothing is copied.
bool swapInUpdates(CompiledGraph &graph, TrainingState &state) {
  for (CompiledGraph::Result &result : graph.results()) {
    rt::Tensor *target = nullptr;
    if (result.role == "param_update" || result.role == "buffer_update")
      target = state.params.find(result.name);
    else if (result.role == "opt_state_update") {
      auto it = state.optimizerState.find(result.name);
      target = it == state.optimizerState.end() ? nullptr : &it->second;
    } else {
      continue;
    }
    if (!target)
      return fail("the training step updates unknown '" + result.name + "'");
    std::swap(*target, result.tensor);
  }
  return true;
}

bool writeTrainingCheckpoint(const std::string &dir,
                             const TrainingState &state,
                             const rt::BatchIteratorState &position) {
  std::vector<rt::NamedTensorView> tensors;
  for (const auto &[name, tensor] : state.params.values())
    tensors.emplace_back("param." + name, tensor.view());
  for (const auto &[name, tensor] : state.optimizerState)
    tensors.emplace_back("opt." + name, tensor.view());
  rt::JsonObject json;
  json.setInteger("step", state.stepCount);
  json.setNumber("epoch_loss_sum", state.epochLossSum);
  json.setInteger("epoch_samples", state.epochSamples);
  json.setInteger("epoch_correct", state.epochCorrect);
  json.setInteger("epoch_scored", state.epochScored);
  json.setInteger("epochs_done", static_cast<int64_t>(state.trainLoss.size()));
  // JSON has no NaN: an epoch without evaluation has no eval entry.
  for (size_t i = 0; i < state.trainLoss.size(); ++i) {
    json.setNumber("history.train." + std::to_string(i), state.trainLoss[i]);
    if (i < state.evalLoss.size() && std::isfinite(state.evalLoss[i]))
      json.setNumber("history.eval." + std::to_string(i), state.evalLoss[i]);
  }
  rt::saveIteratorState(json, position);
  if (rt::Error error = rt::writeCheckpoint(dir, tensors, json); !error.ok())
    return fail(error.message());
  return true;
}

/// Loads a checkpoint written by writeTrainingCheckpoint into `state`; every
/// tensor must match the model's (name, dtype, shape).
bool restoreCheckpoint(const std::string &dir, TrainingState &state,
                       rt::BatchIteratorState &position) {
  rt::Expected<rt::Checkpoint> checkpoint = rt::readCheckpoint(dir);
  if (!checkpoint.ok())
    return fail(checkpoint.message());
  auto load = [&](const std::string &key, rt::Tensor &into) {
    const rt::Tensor *saved = checkpoint->tensor(key);
    if (!saved)
      return fail(dir + ": no '" + key + "' in the checkpoint");
    rt::Error same = rt::checkTensorType("'" + key + "'", saved->view(),
                                         into.view().dtype(),
                                         into.view().shape());
    if (!same.ok())
      return fail(dir + ": " + same.message());
    rt::Expected<rt::Tensor> copy = saved->clone();
    if (!copy.ok())
      return fail(copy.message());
    into = std::move(*copy);
    return true;
  };
  for (const auto &[name, tensor] : state.params.values())
    if (!load("param." + name, *state.params.find(name)))
      return false;
  for (auto &[name, tensor] : state.optimizerState)
    if (!load("opt." + name, tensor))
      return false;
  const rt::JsonObject &json = checkpoint->state;
  rt::Expected<int64_t> step = json.getInteger("step");
  rt::Expected<double> lossSum = json.getNumber("epoch_loss_sum");
  rt::Expected<int64_t> samples = json.getInteger("epoch_samples");
  rt::Expected<int64_t> correct = json.getInteger("epoch_correct");
  rt::Expected<int64_t> scored = json.getInteger("epoch_scored");
  rt::Expected<int64_t> epochsDone = json.getInteger("epochs_done");
  rt::Expected<rt::BatchIteratorState> iterator = rt::loadIteratorState(json);
  for (const std::string *message :
       {&step.message(), &lossSum.message(), &samples.message(),
        &correct.message(), &scored.message(), &epochsDone.message(),
        &iterator.message()})
    if (!message->empty())
      return fail(dir + "/state.json: " + *message);
  state.stepCount = *step;
  state.epochLossSum = *lossSum;
  state.epochSamples = *samples;
  state.epochCorrect = *correct;
  state.epochScored = *scored;
  for (int64_t i = 0; i < *epochsDone; ++i) {
    rt::Expected<double> train =
        json.getNumber("history.train." + std::to_string(i));
    rt::Expected<double> eval =
        json.getNumber("history.eval." + std::to_string(i));
    state.trainLoss.push_back(train.ok() ? *train : NAN);
    state.evalLoss.push_back(eval.ok() ? *eval : NAN);
  }
  position = *iterator;
  return true;
}

/// True when `path` names a training artifact rather than a checkpoint
/// folder.
bool isArtifactFile(const std::string &path) {
  return llvm::StringRef(path).ends_with(".nnx");
}

/// Reads the training artifact `path` for `--resume` and checks that it
/// belongs to `program`.
std::optional<rt::Artifact>
readTrainingArtifact(const std::string &path,
                     const frontend::Program &program) {
  rt::Expected<rt::Artifact> artifact = rt::readArtifact(path);
  if (!artifact.ok()) {
    fail(artifact.message());
    return std::nullopt;
  }
  if (!artifact->training || !artifact->graph("train_step")) {
    fail(path + ": not a training artifact (write one with nnc compile "
                "--train or nnc train --save-artifact)");
    return std::nullopt;
  }
  if (artifact->modelName != program.modelName) {
    fail(path + ": the artifact holds model '" + artifact->modelName +
         "', not '" + program.modelName + "'");
    return std::nullopt;
  }
  return std::move(*artifact);
}

/// Loads the parameters, buffers and optimizer state of a training
/// artifact into `state`; every tensor must match the model's (name, dtype,
/// shape), and the artifact must hold each one.
bool restoreArtifact(const std::string &path, const rt::Artifact &artifact,
                     TrainingState &state) {
  auto load = [&](const std::string &name, const char *role, rt::Tensor &into) {
    const rt::ArtifactTensor *saved = artifact.tensor(name);
    if (!saved || saved->role != role)
      return fail(path + ": no " + role + " '" + name +
                  "' in the artifact (was it trained with another optimizer "
                  "or model?)");
    rt::Error same =
        rt::checkTensorType("'" + name + "'", saved->tensor.view(),
                            into.view().dtype(), into.view().shape());
    if (!same.ok())
      return fail(path + ": " + same.message());
    rt::Expected<rt::Tensor> copy = saved->tensor.clone();
    if (!copy.ok())
      return fail(copy.message());
    into = std::move(*copy);
    return true;
  };
  for (const frontend::Argument &arg : state.program->arguments) {
    if (arg.role == frontend::Argument::Role::Input)
      continue;
    rt::Tensor *value = state.params.find(arg.name);
    if (value &&
        !load(arg.name,
              arg.role == frontend::Argument::Role::Param ? "param" : "buffer",
              *value))
      return false;
  }
  for (auto &[name, tensor] : state.optimizerState)
    if (!load(name, "opt_state", tensor))
      return false;
  // State the step does not use would be dropped silently.
  for (const rt::ArtifactTensor &tensor : artifact.tensors)
    if (tensor.role == "opt_state" && !state.optimizerState.count(tensor.name))
      return fail(path + ": optimizer state '" + tensor.name +
                  "' is not this training step's (was it trained with another "
                  "optimizer?)");
  state.stepCount = artifact.training->step;
  return true;
}

/// Writes the training artifact of --save-artifact: the graphs of
/// `nnc compile --train` at the run's batch size and training options, the
/// trained parameters, the optimizer state and the counters. Only at an
/// epoch boundary, since the artifact records no position within an epoch.
bool saveTrainingArtifact(ModelSession &session, const TrainOptions &options,
                          const GraphRequest &stepRequest, int64_t batch,
                          uint64_t seed, double baseLr,
                          const TrainingState &state,
                          const rt::BatchIteratorState &position) {
  if (position.position != 0)
    return fail("--save-artifact: the run stopped inside epoch " +
                std::to_string(position.epoch + 1) +
                "; an artifact resumes only at an epoch boundary (use "
                "--checkpoint to stop mid-epoch)");
  ArtifactRecipe recipe;
  recipe.modelPath = options.modelPath;
  recipe.batch = session.program().batchSymbol.empty() ? 0 : batch;
  recipe.seed = seed;
  recipe.paramsDir = options.paramsDir;
  recipe.optimizations = options.session.optimizations;
  recipe.trainStep = stepRequest;
  recipe.learningRate = baseLr;
  for (const auto &[key, value] : stepRequest.trainingOptions)
    recipe.extraFlags.emplace_back(key, value);
  if (!stepRequest.freeze.empty())
    recipe.extraFlags.emplace_back("freeze",
                                   llvm::join(stepRequest.freeze, ","));
  std::optional<rt::Artifact> artifact =
      buildArtifact(session, recipe, state.params);
  if (!artifact)
    return false;
  for (rt::ArtifactTensor &tensor : artifact->tensors) {
    if (tensor.role != "opt_state")
      continue;
    auto it = state.optimizerState.find(tensor.name);
    if (it == state.optimizerState.end())
      return fail("the training step has unknown optimizer state '" +
                  tensor.name + "'");
    rt::Expected<rt::Tensor> copy = it->second.clone();
    if (!copy.ok())
      return fail(copy.message());
    tensor.tensor = std::move(*copy);
  }
  artifact->training->step = state.stepCount;
  artifact->training->epoch = position.epoch;
  if (rt::Error error = rt::writeArtifact(options.saveArtifact, *artifact);
      !error.ok())
    return fail(error.message());
  llvm::outs() << "wrote the training artifact " << options.saveArtifact
               << " (step " << state.stepCount << ", epoch " << position.epoch
               << "); continue with --resume " << options.saveArtifact << "\n";
  return true;
}

template <typename T>
T settingOr(const frontend::TrainingConfig &config, const char *key,
            T fallback) {
  auto it = config.settings.find(key);
  if (it == config.settings.end())
    return fallback;
  if (auto *value = std::get_if<int64_t>(&it->second))
    return static_cast<T>(*value);
  return fallback;
}

} // namespace

ExitCode runTrain(const TrainOptions &options) {
  std::unique_ptr<ModelSession> session =
      openWithLoss(options.session, options.modelPath, "train");
  if (!session)
    return UserError;
  const frontend::Program &program = session->program();
  const frontend::TrainingConfig &config = program.training;
  // Resuming from a training artifact: its batch size, seed and learning
  // rate are the defaults, so that the run goes on as it was started.
  std::optional<rt::Artifact> resumeArtifact;
  if (!options.resumeDir.empty() && isArtifactFile(options.resumeDir)) {
    resumeArtifact = readTrainingArtifact(options.resumeDir, program);
    if (!resumeArtifact)
      return UserError;
  }
  int64_t epochs = options.epochs.value_or(settingOr<int64_t>(config, "epochs", 1));
  int64_t batch = options.batch.value_or(settingOr<int64_t>(config, "batch", 32));
  uint64_t seed = options.seed.value_or(settingOr<uint64_t>(config, "seed", 0));
  auto lrIt = config.hyper.find("lr");
  double baseLr = options.lr.value_or(lrIt == config.hyper.end() ? 0.01
                                                                 : lrIt->second);
  if (resumeArtifact) {
    const rt::ArtifactTraining &training = *resumeArtifact->training;
    if (!options.batch && resumeArtifact->batchSize > 0)
      batch = resumeArtifact->batchSize;
    if (!options.seed)
      seed = training.seed;
    if (!options.lr && training.learningRate > 0)
      baseLr = training.learningRate;
  }
  if (epochs < 1 || batch < 1 || !(baseLr > 0)) {
    llvm::errs() << "error: --epochs and --batch must be positive and --lr "
                    "above 0\n";
    return UsageError;
  }

  CsvArguments csv{options.csvHeader};
  rt::Dataset trainSet, evalSet;
  if (ExitCode code =
          loadDataArguments(options.data, "--data", program, csv, trainSet))
    return code;
  if (ExitCode code = loadDataArguments(options.evalData, "--eval-data",
                                        program, csv, evalSet))
    return code;
  for (const std::string &name : session->inputNames()) {
    if (!trainSet.column(name)) {
      llvm::errs() << "error: missing --data " << name << "=FILE (inputs: "
                   << llvm::join(session->inputNames(), ", ") << ")\n";
      return UserError;
    }
    if (evalSet.numColumns() && !evalSet.column(name)) {
      llvm::errs() << "error: missing --eval-data " << name << "=FILE\n";
      return UserError;
    }
  }
  int64_t samples = trainSet.numSamples();
  if (samples == 0) {
    llvm::errs() << "error: the training data has no samples\n";
    return UserError;
  }
  batch = std::min(batch, samples);

  GraphRequest request;
  request.kind = GraphKind::TrainingStep;
  request.freeze = options.freeze;
  if (options.optimizer)
    request.trainingOptions["optimizer"] = *options.optimizer;
  if (options.clipNorm > 0)
    request.trainingOptions["clip-norm"] = std::to_string(options.clipNorm);
  auto compileStep = [&](int64_t size) {
    request.batch = program.batchSymbol.empty() ? 0 : size;
    return session->compile(request);
  };
  std::unique_ptr<CompiledGraph> fullStep = compileStep(batch);
  if (!fullStep)
    return UserError;
  std::unique_ptr<CompiledGraph> partialStep;
  if (samples % batch) {
    partialStep = compileStep(samples % batch);
    if (!partialStep)
      return UserError;
  }

  TrainingState state;
  state.program = &program;
  if (!state.params.initialize(program, options.paramsDir, seed))
    return UserError;
  for (const CompiledGraph::Argument &arg : fullStep->arguments()) {
    if (arg.role != "opt_state")
      continue;
    rt::Expected<rt::Tensor> zeros = rt::Tensor::create(arg.dtype, arg.shape);
    if (!zeros.ok())
      return userError(zeros.message());
    state.optimizerState.insert_or_assign(arg.name, std::move(*zeros));
  }
  rt::Expected<rt::Tensor> stepTensor = rt::Tensor::create(rt::DType::I64, {});
  rt::Expected<rt::Tensor> lrTensor = rt::Tensor::create(rt::DType::F32, {});
  if (!stepTensor.ok() || !lrTensor.ok())
    return UserError;
  state.step = std::move(*stepTensor);
  state.lr = std::move(*lrTensor);

  rt::BatchOptions batchOptions;
  batchOptions.batchSize = batch;
  batchOptions.shuffle = options.shuffle;
  batchOptions.seed = seed;
  rt::Expected<rt::BatchIterator> batches =
      rt::BatchIterator::create(trainSet, batchOptions);
  if (!batches.ok())
    return userError(batches.message());
  if (resumeArtifact) {
    if (!restoreArtifact(options.resumeDir, *resumeArtifact, state))
      return UserError;
    rt::BatchIteratorState position;
    position.epoch = resumeArtifact->training->epoch;
    position.seed = resumeArtifact->training->seed;
    if (rt::Error error = batches->restore(position); !error.ok())
      return userError(options.resumeDir + ": " + error.message());
  } else if (!options.resumeDir.empty()) {
    rt::BatchIteratorState position;
    if (!restoreCheckpoint(options.resumeDir, state, position))
      return UserError;
    if (rt::Error error = batches->restore(position); !error.ok())
      return userError(options.resumeDir + ": " + error.message());
  }
  std::string checkpointDir = options.checkpointDir;

  std::optional<Evaluator> evaluator;
  if (evalSet.numColumns())
    evaluator.emplace(*session, evalSet, std::min<int64_t>(
                                             batch, evalSet.numSamples()));
  const std::optional<AccuracySpec> &accuracy = session->accuracy();
  rt::ProgressOptions progressOptions;
  progressOptions.terminal = rt::isTerminal(1);
  progressOptions.linesEveryBatches = std::max<int64_t>(
      1, batches->batchesPerEpoch() / 4);
  rt::ProgressBar progress(std::cout, progressOptions);
  int64_t totalSteps = epochs * batches->batchesPerEpoch();

  for (int64_t epoch = batches->state().epoch; epoch < epochs; ++epoch) {
    progress.startEpoch(epoch + 1, epochs, samples);
    while (true) {
      rt::Expected<bool> more = batches->next();
      if (!more.ok())
        return userError(more.message());
      if (!*more)
        break;
      const rt::Batch &current = batches->batch();
      CompiledGraph &step =
          current.size() == batch ? *fullStep : *partialStep;
      ++state.stepCount;
      state.step.view().data<int64_t>()[0] = state.stepCount;
      state.lr.view().data<float>()[0] = static_cast<float>(learningRate(
          options.schedule, baseLr, epoch, state.stepCount, totalSteps));
      bool ran = step.run(
          [&](const std::string &role,
              const std::string &name) -> const rt::Tensor * {
            if (role == "input")
              return current.column(name);
            if (role == "opt_state") {
              auto it = state.optimizerState.find(name);
              return it == state.optimizerState.end() ? nullptr : &it->second;
            }
            if (role == "step")
              return &state.step;
            if (role == "lr")
              return &state.lr;
            return state.params.find(name);
          },
          session->threads());
      if (!ran || !swapInUpdates(step, state))
        return UserError;
      CompiledGraph::Result *loss = step.findResult("loss", "loss");
      if (!loss)
        return userError("the training step returns no loss");
      double lossValue = scalarValue(loss->tensor);
      if (!std::isfinite(lossValue)) {
        llvm::errs() << "error: the loss diverged (" << lossValue << ") at step "
                     << state.stepCount << "; try a lower --lr\n";
        return UserError;
      }
      state.epochLossSum += lossValue * current.size();
      state.epochSamples += current.size();
      if (accuracy) {
        CompiledGraph::Result *predictions =
            step.findResult("output", accuracy->outputName);
        const rt::Tensor *labels = current.column(accuracy->labelInput);
        if (predictions && labels) {
          auto [right, total] =
              countCorrect(*accuracy, predictions->tensor, *labels);
          state.epochCorrect += right;
          state.epochScored += total;
        }
      }
      rt::ProgressMetrics running;
      running.loss = state.epochLossSum / state.epochSamples;
      if (state.epochScored)
        running.accuracy =
            static_cast<double>(state.epochCorrect) / state.epochScored;
      progress.update(batches->state().position == 0 ? samples
                                                     : batches->state().position,
                      running);
      if (!checkpointDir.empty() && options.checkpointEvery > 0 &&
          state.stepCount % options.checkpointEvery == 0 &&
          !writeTrainingCheckpoint(checkpointDir, state, batches->state()))
        return UserError;
      if (options.maxSteps > 0 && state.stepCount >= options.maxSteps) {
        std::cout.flush();
        if (!checkpointDir.empty() &&
            !writeTrainingCheckpoint(checkpointDir, state, batches->state()))
          return UserError;
        if (!options.saveArtifact.empty() &&
            !saveTrainingArtifact(*session, options, request, batch, seed,
                                  baseLr, state, batches->state()))
          return UserError;
        llvm::outs() << "stopped after " << state.stepCount << " steps"
                     << (checkpointDir.empty()
                             ? std::string()
                             : "; resume with --resume " + checkpointDir)
                     << "\n";
        return Success;
      }
    }

    rt::ProgressMetrics trainMetrics;
    trainMetrics.loss = state.epochLossSum / std::max<int64_t>(1, state.epochSamples);
    if (state.epochScored)
      trainMetrics.accuracy =
          static_cast<double>(state.epochCorrect) / state.epochScored;
    std::optional<rt::ProgressMetrics> evalMetrics;
    if (evaluator) {
      std::optional<Metrics> metrics = evaluator->evaluate(state.params);
      if (!metrics)
        return UserError;
      evalMetrics = rt::ProgressMetrics{metrics->loss, metrics->accuracy};
    }
    progress.finishEpoch(trainMetrics, evalMetrics);
    state.trainLoss.push_back(*trainMetrics.loss);
    state.evalLoss.push_back(evalMetrics ? *evalMetrics->loss : NAN);
    state.epochLossSum = 0;
    state.epochSamples = state.epochCorrect = state.epochScored = 0;
    if (!checkpointDir.empty() &&
        !writeTrainingCheckpoint(checkpointDir, state, batches->state()))
      return UserError;
  }
  std::cout.flush();

  if (!options.saveArtifact.empty() &&
      !saveTrainingArtifact(*session, options, request, batch, seed, baseLr,
                            state, batches->state()))
    return UserError;
  if (!options.saveDir.empty()) {
    if (!state.params.save(options.saveDir))
      return UserError;
    llvm::outs() << "saved " << state.params.values().size()
                 << " parameters and buffers to " << options.saveDir << "\n";
  }
  if (!options.plotPath.empty()) {
    std::vector<double> evalLoss = evaluator ? state.evalLoss
                                             : std::vector<double>();
    if (rt::Error error = rt::writeLossChart(options.plotPath, state.trainLoss,
                                             evalLoss);
        !error.ok())
      return userError(error.message());
    llvm::outs() << "wrote the loss chart to " << options.plotPath << "\n";
  }
  return Success;
}

ExitCode runEval(const EvalOptions &options) {
  std::unique_ptr<ModelSession> session =
      openWithLoss(options.session, options.modelPath, "evaluate");
  if (!session)
    return UserError;
  const frontend::Program &program = session->program();
  rt::Dataset dataset;
  if (ExitCode code = loadDataArguments(options.data, "--data", program,
                                        {options.csvHeader}, dataset))
    return code;
  for (const std::string &name : session->inputNames())
    if (!dataset.column(name)) {
      llvm::errs() << "error: missing --data " << name << "=FILE (inputs: "
                   << llvm::join(session->inputNames(), ", ") << ")\n";
      return UserError;
    }
  if (dataset.numSamples() == 0) {
    llvm::errs() << "error: the data has no samples\n";
    return UserError;
  }
  ParameterStore params;
  if (!params.initialize(program, options.paramsDir, 0))
    return UserError;
  Evaluator evaluator(*session,
                      dataset, std::min(std::max<int64_t>(1, options.batch),
                                        dataset.numSamples()));
  std::optional<Metrics> metrics = evaluator.evaluate(params);
  if (!metrics)
    return UserError;
  llvm::outs() << "samples " << metrics->samples << "  loss "
               << llvm::format("%.6f", metrics->loss);
  if (metrics->accuracy)
    llvm::outs() << "  accuracy " << llvm::format("%.4f", *metrics->accuracy);
  llvm::outs() << "\n";
  return Success;
}

} // namespace nnc::cli
