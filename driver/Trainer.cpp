//===- Trainer.cpp - nnc train and nnc eval from a model ------------------===//
//
// Sets up a training run from the model source: the session compiles the
// training step (and the forward function for evaluation), parameters
// start from their initializers or --params, optimizer state from zero, or
// both from a checkpoint folder. `--resume FILE.nnx` goes to
// TrainingArtifact.cpp instead, which runs the artifact's compiled graphs.
// It prints nothing (Trainer.h).
//
//===----------------------------------------------------------------------===//

#include "driver/Trainer.h"
#include "driver/OpenModel.h"

#include "distributed/DataParallel.h"
#include "driver/ArtifactBuilder.h"
#include "driver/ModelGraph.h"
#include "driver/ModelSession.h"
#include "driver/SessionGraphSource.h"
#include "driver/TrainingArtifact.h"
#include "train/DataArguments.h"
#include "train/Evaluator.h"
#include "train/ResumedSettings.h"
#include "train/TrainingReport.h"
#include "train/TrainingRun.h"

#include "frontend/Sema.h"

#include "runtime/Artifact.h"

#include "llvm/ADT/StringExtras.h"

#include <algorithm>
#include <cmath>

namespace nnc::driver {

using namespace nnc::train;
namespace {

/// Writes the training artifact of --save-artifact: the graphs of
/// `nnc compile --train` at the run's batch size and training options, the
/// trained parameters, the optimizer state and the counters, and the step
/// for the run's last partial batch, so that `--resume FILE.nnx` on the
/// same data needs no compiler. Only at an epoch boundary, since the
/// artifact records no position within an epoch.
rt::Error saveTrainingArtifact(ModelSession &session,
                               const TrainOptions &options,
                               const GraphRequest &stepRequest,
                               const TrainingRun &run,
                               const TrainingState &state,
                               const rt::BatchIteratorState &position) {
  if (rt::Error error = checkEpochBoundary(position); !error.ok())
    return error;
  int64_t batch = run.batch;
  ArtifactRecipe recipe;
  recipe.modelPath = options.modelPath;
  recipe.batch = session.program().batchSymbol.empty() ? 0 : batch;
  recipe.seed = run.seed;
  recipe.paramsDir = options.paramsDir;
  recipe.optimizations = options.session.optimizations;
  recipe.trainStep = stepRequest;
  recipe.learningRate = run.baseLr;
  if (!session.program().batchSymbol.empty())
    recipe.partialTrainBatch = run.trainSet.numSamples() % batch;
  for (const auto &[key, value] : stepRequest.trainingOptions)
    recipe.extraFlags.emplace_back(key, value);
  if (!stepRequest.freeze.empty())
    recipe.extraFlags.emplace_back("freeze",
                                   llvm::join(stepRequest.freeze, ","));
  rt::Expected<rt::Artifact> artifact =
      buildArtifact(session, recipe, state.params);
  if (!artifact.ok())
    return artifact.takeError();
  for (rt::ArtifactTensor &tensor : artifact->tensors) {
    if (tensor.role != rt::BindingRole::OptState)
      continue;
    auto it = state.optimizerState.find(tensor.name);
    if (it == state.optimizerState.end())
      return rt::Error::failure(
          "the training step has unknown optimizer state '" + tensor.name +
          "'");
    rt::Expected<rt::Tensor> copy = it->second.clone();
    if (!copy.ok())
      return copy.takeError();
    tensor.tensor = std::move(*copy);
  }
  return writeTrainingArtifact(*artifact, options.saveArtifact, state, position,
                               run.settings);
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

/// The run's settings: flags, else those of the checkpoint resumed, else
/// the model's train section.
rt::Error applySettings(const TrainOptions &options,
                        const frontend::TrainingConfig &config,
                        TrainingRun &run) {
  std::optional<RunSettings> saved;
  if (run.checkpoint) {
    rt::Expected<std::optional<RunSettings>> settings =
        checkpointRunSettings(*run.checkpoint);
    if (!settings.ok())
      return settings.takeError();
    saved = *settings;
  }
  RunSettings settings;
  if (saved) {
    settings = *saved;
  } else {
    settings.epochs = settingOr<int64_t>(config, "epochs", settings.epochs);
    settings.batch = settingOr<int64_t>(config, "batch", settings.batch);
    // Under --optimizer, that optimizer's own default rate.
    std::map<std::string, double> hyper =
        frontend::hyperFor(config, run.optimizer);
    if (auto lr = hyper.find("lr"); lr != hyper.end())
      settings.baseLr = lr->second;
  }
  // Each setting the command gives wins. One it leaves out that a
  // checkpoint gave is named, exactly enough to be given again (those the
  // model cannot set, only when not at their defaults).
  std::vector<std::string> &taken = run.resumedSettings;
  bool resumed = saved.has_value();
  takeSetting(settings.epochs, options.epochs, resumed, true,
              "--epochs " + std::to_string(settings.epochs), taken);
  takeSetting(settings.batch, options.batch, resumed, true,
              "--batch " + std::to_string(settings.batch), taken);
  takeSetting(settings.baseLr, options.lr, resumed, true,
              "--lr " + exactNumber(settings.baseLr), taken);
  takeSetting(settings.accumulate, options.accumulate, resumed,
              settings.accumulate != 1,
              "--accumulate " + std::to_string(settings.accumulate), taken);
  takeSetting(settings.clipNorm, options.clipNorm, resumed,
              settings.clipNorm != 0,
              "--clip-norm " + exactNumber(settings.clipNorm), taken);
  takeLoopSettings(options, resumed, settings, taken);
  run.settings = settings;
  run.epochs = settings.epochs;
  run.batch = settings.batch;
  run.baseLr = settings.baseLr;
  run.seed = options.seed.value_or(trainSectionSeed(config));
  return rt::Error::success();
}

/// Parameters from `initial`, else from their initializers or --params,
/// optimizer state from zero; then, with --resume DIR, everything from the
/// checkpoint.
rt::Error initializeState(const TrainOptions &options,
                          const frontend::Program &program,
                          const ParameterStore *initial, CompiledGraph &step,
                          TrainingRun &run) {
  TrainingState &state = run.state;
  if (initial) {
    for (const auto &[name, tensor] : initial->values()) {
      rt::Expected<rt::Tensor> copy = tensor.clone();
      if (!copy.ok())
        return copy.takeError();
      state.params.set(name, std::move(*copy));
    }
  } else if (rt::Error error =
                 initializeParameters(state.params, program, options.paramsDir,
                                      run.seed, options.hooks.notices());
             !error.ok()) {
    return error;
  }
  if (rt::Error error = zeroOptimizerState(step, state); !error.ok())
    return error;
  if (rt::Error error = createStepScalars(state); !error.ok())
    return error;
  if (!run.checkpoint)
    return rt::Error::success();
  rt::BatchIteratorState position;
  std::vector<std::string> unused;
  rt::Error error =
      restoreCheckpoint(*run.checkpoint, state, position, &unused);
  run.checkpoint.reset();
  // A change of --optimizer (or --freeze) may be meant; it is not silent.
  if (!unused.empty() && options.hooks.onWarning)
    options.hooks.onWarning(
        options.resumeDir +
        ": this run's optimizer does not use the "
        "checkpoint's '" +
        unused.front() + "'" +
        (unused.size() > 1
             ? " and " + std::to_string(unused.size() - 1) + " more"
             : std::string()) +
        " (another --optimizer or --freeze than the run that wrote it); it "
        "continues without them");
  if (!error.ok())
    return error;
  // The seed draws each epoch's order: the epoch in progress keeps the
  // one that drew it, and a --seed of the command orders the epochs after.
  if (options.seed && *options.seed != position.seed) {
    if (position.position > 0)
      return rt::Error::failure(
          "--seed " + std::to_string(*options.seed) + ": " + options.resumeDir +
          " stopped inside an epoch that seed " +
          std::to_string(position.seed) +
          " ordered; resume without --seed, or from a checkpoint at an "
          "epoch's end");
    position.seed = *options.seed;
  }
  run.seed = position.seed;
  run.resumeAt = position;
  return rt::Error::success();
}

/// Why a batch of one sample (a rank's share of one, on `ranks` ranks)
/// would meet a batch_norm that cannot train on it, failing to compile
/// mid-epoch after the epoch's work; empty when none would. A run resumed
/// at `resumeAt` inside an epoch, perhaps at another --batch, ends that
/// epoch with what is left of it.
std::string
batchOfOneProblem(const frontend::Program &program, const TrainingRun &run,
                  int ranks,
                  const std::optional<rt::BatchIteratorState> &resumeAt) {
  if (!batchNormNeedsTwoSamples(program))
    return "";
  int64_t samples = run.trainSet.numSamples();
  int64_t last = run.settings.dropLast ? 0 : samples % run.batch;
  int64_t left = 0;
  if (resumeAt && resumeAt->position > 0 && resumeAt->position < samples &&
      !run.settings.dropLast)
    left = samples - resumeAt->position;
  const char *which[] = {"each batch", "the last batch",
                         "the last batch of the epoch resumed"};
  int64_t sizes[] = {run.batch, last, left % run.batch};
  for (int i = 0; i < 3; ++i) {
    // Some rank's share holds exactly one sample.
    if (sizes[i] <= 0 || sizes[i] / ranks > 1)
      continue;
    std::string counted = i < 2 ? std::to_string(samples) + " samples"
                                : std::to_string(left) + " samples left";
    if (ranks == 1)
      return std::string(which[i]) + " holds one sample (" + counted +
             " at --batch " + std::to_string(run.batch) +
             "), and batch normalization trains on two values or more per "
             "channel; use a --batch that leaves none or two or more over, "
             "or --drop-last";
    return "--distributed: " + std::to_string(ranks) + " ranks share " +
           which[i] + " of " + std::to_string(sizes[i]) + " samples (" +
           counted + " at --batch " + std::to_string(run.batch) +
           "), leaving a rank one sample, and batch normalization trains on "
           "two or more; use a --batch (and a data size) that gives every "
           "rank two, or fewer ranks" +
           (i == 0 ? "" : ", or --drop-last");
  }
  return "";
}

/// `nnc train --distributed`: the loop of one rank of the MPI job, data
/// parallelism plugged into its hooks (dist::DataParallel). A failure
/// that leaves the other ranks waiting ends the job.
CodedError trainDataParallel(const TrainOptions &options,
                             const frontend::Program &program,
                             SessionGraphSource &graphs, TrainingRun &run) {
  rt::Expected<std::unique_ptr<dist::DataParallel>> joined =
      dist::DataParallel::join(options.distributed);
  if (!joined.ok()) {
    CodedError error(joined.takeError());
    if (!dist::builtWithMpi())
      error.code = UsageError;
    return error;
  }
  dist::DataParallel &job = **joined;
  run.joinedJob = true;
  auto endJob = [&](rt::Error error) -> CodedError {
    if (job.ranks() > 1) {
      // The job's other ranks print too: say which one this is.
      if (error.message().rfind("rank ", 0) != 0)
        error =
            std::move(error).withContext("rank " + std::to_string(job.rank()));
      if (options.hooks.onJobAbort)
        options.hooks.onJobAbort(error);
      job.abortJob();
    }
    return error;
  };
  rt::Expected<CompiledGraph *> update = graphs.trainingUpdate();
  if (!update.ok())
    return endJob(update.takeError());
  // Every rank checks the same things; a mismatch ends every rank alike.
  if (rt::Error error = job.checkSameJob(
          dist::jobFingerprint(options, run.settings, run.seed, run.trainSet));
      !error.ok()) {
    if (job.broken())
      return endJob(std::move(error));
    return error;
  }
  if (rt::Error error =
          initializeState(options, program, nullptr, **update, run);
      !error.ok())
    return endJob(std::move(error));
  if (rt::Error error = job.shareRootState(run.state, run.resumeAt);
      !error.ok())
    return endJob(std::move(error));
  // Checked once the ranks agree on the job and on where it resumes, so
  // that every rank finds it alike and ends without waiting for another.
  if (std::string problem =
          batchOfOneProblem(program, run, job.ranks(), run.resumeAt);
      !problem.empty()) {
    CodedError error = CodedError::usage(problem);
    error.shownElsewhere = !job.isRoot();
    return error;
  }
  // Rank 0 alone reports, evaluates and writes; every rank computes its
  // share of each batch and sums its gradients with the others'.
  TrainingHooks hooks = job.hooksOf(options.hooks);
  if (hooks.onMessage)
    hooks.onMessage("distributed: " + std::to_string(job.ranks()) +
                    (job.ranks() == 1 ? " rank" : " ranks") +
                    ", each with a share of every batch of " +
                    std::to_string(run.batch));
  rt::Error error = runTrainingLoop(run, options, hooks);
  if (error.ok())
    return CodedError();
  // A failed step, and a failure of rank 0's own work (its outputs, its
  // evaluation), leave the other ranks waiting in a collective until
  // --comm-timeout: they end the job. A failure every rank meets alike (a
  // diverged loss, the data) is told once, by rank 0.
  if (!run.diverged && (run.failedMidStep || job.isRoot()))
    return endJob(std::move(error));
  CodedError coded(std::move(error));
  coded.shownElsewhere = !job.isRoot();
  return coded;
}

/// `nnc train --distributed`, `--accumulate K` or a gradient hook: the
/// same loop, its step split at the gradients (train/SplitStep.h).
CodedError trainSplit(const TrainOptions &options,
                      const frontend::Program &program,
                      const ParameterStore *initial, SessionGraphSource &graphs,
                      TrainingRun &run) {
  if (!options.saveArtifact.empty())
    return CodedError::usage(
        "--distributed and --accumulate do not combine with --save-artifact: "
        "a training artifact holds the fused step");
  for (const frontend::Argument &arg : program.arguments)
    if (arg.role == frontend::Argument::Role::Buffer)
      run.bufferNames.push_back(arg.name);
  run.splitGraphs = &graphs;
  if (options.distributed.enabled)
    return trainDataParallel(options, program, graphs, run);
  rt::Expected<CompiledGraph *> update = graphs.trainingUpdate();
  if (!update.ok())
    return update.takeError();
  if (rt::Error error =
          initializeState(options, program, initial, **update, run);
      !error.ok())
    return error;
  return CodedError(runTrainingLoop(run, options, options.hooks));
}

/// Trains the model open in `session`: from `initial` when given (and then
/// in this process alone), else from the initializers, --params or
/// --resume.
/// Leaves the final state in `run.state`.
CodedError trainInSession(ModelSession &session, const TrainOptions &options,
                          const ParameterStore *initial, TrainingRun &run) {
  const frontend::Program &program = session.program();
  run.optimizer = options.optimizer.value_or(program.training.optimizer);
  run.reportGraph = [path = options.modelPath] {
    return driver::modelGraphDot(path);
  };
  if (!options.resumeDir.empty()) {
    rt::Expected<rt::Checkpoint> checkpoint =
        rt::readCheckpoint(options.resumeDir);
    if (!checkpoint.ok())
      return checkpoint.takeError();
    run.checkpoint = std::move(*checkpoint);
  }
  if (rt::Error error = applySettings(options, program.training, run);
      !error.ok())
    return error;
  // The model's train section may set what the flags would.
  if (rt::Error error = checkRunSettings(run.settings); !error.ok())
    return CodedError::usage(error.message());
  if (CodedError error =
          loadTrainingData(options, inputDeclarations(program), run);
      !error.ok())
    return error;
  if (rt::Error error = checkDropLastLeavesABatch(
          run.settings, run.trainSet.numSamples(), run.batch);
      !error.ok())
    return CodedError::usage(error.message());
  if (run.batch > run.trainSet.numSamples() && options.hooks.onWarning)
    options.hooks.onWarning("a batch of " + std::to_string(run.batch) +
                            " is more than the " +
                            std::to_string(run.trainSet.numSamples()) +
                            " training samples: each batch holds all of them");
  run.batch = std::min(run.batch, run.trainSet.numSamples());
  // A data-parallel job checks once its ranks agree on where it resumes.
  if (!options.distributed.enabled) {
    std::optional<rt::BatchIteratorState> resumeAt;
    if (run.checkpoint)
      if (rt::Expected<rt::BatchIteratorState> position =
              rt::loadIteratorState(run.checkpoint->state);
          position.ok())
        resumeAt = *position;
    if (std::string problem =
            batchOfOneProblem(program, run, /*ranks=*/1, resumeAt);
        !problem.empty())
      return CodedError::usage(problem);
  }
  if (run.evalSet.numColumns())
    run.evalBatch = std::min(run.batch, run.evalSet.numSamples());

  GraphRequest request;
  request.freeze = options.freeze;
  if (options.optimizer) {
    request.trainingOptions["optimizer"] = *options.optimizer;
    // The train section's hyperparameters are its optimizer's: another
    // takes its own defaults, and what the section wrote that it takes.
    for (const auto &[key, value] :
         frontend::hyperFor(program.training, *options.optimizer)) {
      std::string option = key; // weight_decay is the pass's weight-decay
      std::replace(option.begin(), option.end(), '_', '-');
      request.trainingOptions[option] = exactNumber(value);
    }
  }
  if (run.settings.clipNorm > 0)
    request.trainingOptions["clip-norm"] =
        std::to_string(run.settings.clipNorm);
  SessionGraphSource graphs(session, request);
  run.graphs = &graphs;
  for (const frontend::Argument &arg : program.arguments) {
    bool frozen = arg.frozen;
    for (const std::string &pattern : options.freeze)
      frozen = frozen || frontend::matchesGlob(pattern, arg.name);
    if (arg.role == frontend::Argument::Role::Param && frozen)
      run.frozen.push_back(arg.name);
  }
  size_t params =
      std::count_if(program.arguments.begin(), program.arguments.end(),
                    [](const frontend::Argument &arg) {
                      return arg.role == frontend::Argument::Role::Param;
                    });
  if (params > 0 && run.frozen.size() == params && options.hooks.onWarning)
    options.hooks.onWarning(
        "every parameter is frozen (--freeze, or freeze in the model), so "
        "training changes none of them");
  // Data-parallel training, gradient accumulation, a hook on the
  // gradients and a caller's gradient exchange run the step split at the
  // gradients.
  if (options.distributed.enabled && initial)
    return CodedError::usage("a model trained in place trains in this "
                             "process alone; --distributed does not apply");
  if (options.distributed.enabled || run.settings.accumulate > 1 ||
      options.hooks.afterGradients || options.hooks.exchange)
    return trainSplit(options, program, initial, graphs, run);
  // The full step first: its arguments say which optimizer state to make.
  rt::Expected<CompiledGraph *> step = graphs.trainingStep(run.batch);
  if (!step.ok())
    return step.takeError();
  if (rt::Error error = initializeState(options, program, initial, **step, run);
      !error.ok())
    return error;
  run.saveArtifact = [&](const TrainingState &state,
                         const rt::BatchIteratorState &position) {
    return saveTrainingArtifact(session, options, request, run, state,
                                position);
  };
  return CodedError(runTrainingLoop(run, options, options.hooks));
}

/// The settings that need no model: out of range, a usage error before
/// anything is opened. The loop's own (checkLoopOptions), and the
/// optimizer's name, which the train section is checked against too.
CodedError checkSettings(const TrainOptions &options) {
  if (rt::Error error = checkLoopOptions(options); !error.ok())
    return CodedError::usage(error.message());
  const std::vector<std::string> &optimizers = frontend::optimizerNames();
  if (options.optimizer && std::find(optimizers.begin(), optimizers.end(),
                                     *options.optimizer) == optimizers.end())
    return CodedError::usage("--optimizer must be one of " +
                             llvm::join(optimizers, ", ") + "; got '" +
                             *options.optimizer + "'");
  return rt::Error::success();
}

} // namespace

uint64_t trainSectionSeed(const frontend::TrainingConfig &config) {
  return settingOr<uint64_t>(config, "seed", 0);
}

/// `error`, met before this process joined the other ranks of a job that
/// mpirun started, named for the rank: each rank meets such a failure on
/// its own and prints it, and a data file missing on one machine only
/// must say which. Source diagnostics, which name their file and line,
/// are left as they are.
CodedError namedForRank(const TrainOptions &options, CodedError error) {
  int rank = dist::launcherRank();
  if (error.ok() || !options.distributed.enabled || rank < 0 ||
      error.error.isRendered() || error.error.message().rfind("rank ", 0) == 0)
    return error;
  error.error =
      std::move(error.error).withContext("rank " + std::to_string(rank));
  return error;
}

CodedError trainModel(const TrainOptions &options, TrainingState *trained) {
  if (CodedError error = checkSettings(options); !error.ok())
    return namedForRank(options, std::move(error));
  if (isTrainingArtifactPath(options.resumeDir))
    return resumeFromArtifact(options, trained);
  if (options.modelPath.empty())
    return CodedError::usage("nnc train needs MODEL.nn, or --resume FILE.nnx "
                             "(see 'nnc train --help')");
  rt::Expected<std::unique_ptr<ModelSession>> session = openModel(
      options.session, options.modelPath, "train", options.hooks.notices());
  if (!session.ok())
    return namedForRank(options, session.takeError());
  TrainingRun run;
  CodedError error = trainInSession(**session, options, nullptr, run);
  if (error.ok() && trained)
    *trained = std::move(run.state);
  return run.joinedJob ? std::move(error) : namedForRank(options, error);
}

CodedError trainModel(ModelSession &session, ParameterStore &params,
                      const TrainOptions &options) {
  if (CodedError error = checkSettings(options); !error.ok())
    return error;
  if (!session.program().hasLoss)
    return rt::Error::failure("the model has no loss to train");
  if (!options.resumeDir.empty())
    return CodedError::usage(
        "a model trained in place continues from its own parameters; "
        "--resume does not apply");
  TrainingRun run;
  CodedError error = trainInSession(session, options, &params, run);
  // The steps taken stay, also when a callback or hook ended the run;
  // after a diverged loss the parameters hold its NaN, and the model keeps
  // the values it had.
  bool whole = run.state.params.values().size() == params.values().size();
  if (error.ok() || (whole && !run.diverged && run.state.stepCount > 0))
    params = std::move(run.state.params);
  return error;
}

rt::Expected<Metrics> evaluateModel(const EvalOptions &options,
                                    const Notices &notices) {
  if (options.batch < 1)
    return rt::Error::failure("--batch must be positive");
  rt::Expected<std::unique_ptr<ModelSession>> opened =
      openModel(options.session, options.modelPath, "evaluate", notices);
  if (!opened.ok())
    return opened.takeError();
  ModelSession &session = **opened;
  const frontend::Program &program = session.program();
  rt::Dataset dataset;
  if (CodedError error =
          loadDataArguments(options.data, "--data", inputDeclarations(program),
                            {options.csvHeader}, dataset);
      !error.ok())
    return std::move(error.error);
  for (const std::string &name : session.inputNames())
    if (!dataset.column(name))
      return rt::Error::failure("missing --data " + name + "=FILE (inputs: " +
                                llvm::join(session.inputNames(), ", ") + ")");
  if (dataset.numSamples() == 0)
    return rt::Error::failure("the data has no samples");
  ParameterStore params;
  if (rt::Error error = initializeParameters(params, program, options.paramsDir,
                                             std::nullopt, notices);
      !error.ok())
    return error;
  // The scores of untrained weights read as a model that learnt nothing;
  // nothing else would show it.
  if (parametersAreUntrained(program, options.paramsDir, params))
    notices.warn("no trained parameters (" +
                 (options.paramsDir.empty()
                      ? std::string("no --params given")
                      : "none in '" + options.paramsDir +
                            "'; give the folder nnc train --save wrote") +
                 "): the weights evaluated are their initializers' values");
  SessionGraphSource graphs(session, GraphRequest());
  Evaluator evaluator(graphs, dataset,
                      std::min(options.batch, dataset.numSamples()));
  return evaluator.evaluate(params);
}

} // namespace nnc::driver
