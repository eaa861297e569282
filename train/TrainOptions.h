//===- TrainOptions.h - What a user asks of a session and a run -*- C++ -*-===//
//
// The options of a training run, and of the session whose graphs it runs,
// as plain structs: the command line fills them (tools/nnc/CommandLine.h),
// and so does the Python module.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_TRAINOPTIONS_H
#define NNC_TRAIN_TRAINOPTIONS_H

#include "train/LearningRateSchedule.h"
#include "train/ProfileReport.h"
#include "train/TrainingHooks.h"

#include "runtime/Session.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nnc::train {

/// Graph optimisations, each on by default and switched off by its own
/// flag (`--no-fuse`, ...), so that a suspected miscompile can be bisected.
struct OptimizationOptions {
  bool canonicalize = true;
  bool cse = true;
  bool simplify = true;
  bool fuse = true;
  bool inPlace = true;

  /// Whether every optimisation is on: what an artifact was compiled with
  /// is fixed, so a switch turned off cannot apply to it.
  bool allOn() const {
    return canonicalize && cse && simplify && fuse && inPlace;
  }
};

/// What every executing subcommand takes from the global options.
struct SessionOptions {
  /// Empty: the preferred backend (rt::PluginSet::preferred).
  std::string backend;
  /// 0: every core.
  unsigned threads = 0;
  std::vector<std::string> plugins;
  OptimizationOptions optimizations;
  /// Whether the backend may use its kernel cache on disk (--no-cache).
  bool kernelCache = true;
};

/// What of `options` the runtime session takes (runtime/Session.h).
inline rt::SessionOptions runtimeOptions(const SessionOptions &options) {
  return {options.threads, options.kernelCache};
}

/// Data-parallel training over MPI (docs/distributed.md).
struct DistributedOptions {
  bool enabled = false;
  /// Gradients are all-reduced in buckets of about this many megabytes.
  double bucketMb = 25;
  /// Seconds one collective may take before the job is ended.
  double commTimeoutSeconds = 300;
};

/// `nnc eval`: mean loss and accuracy over a dataset.
struct EvalOptions {
  SessionOptions session;
  std::string modelPath;
  std::vector<std::string> data;
  bool csvHeader = false;
  std::string paramsDir;
  int64_t batch = 256;
};

struct TrainOptions {
  SessionOptions session;
  std::string modelPath;
  std::vector<std::string> data;     ///< NAME=FILE (npy, IDX, CSV)
  std::vector<std::string> evalData; ///< the held-out set, same form
  /// Samples by input name, in memory, beside (or instead of) `data` and
  /// `evalData`: what an embedding caller such as the Python module has
  /// rather than files. The loader copies them.
  std::map<std::string, rt::Tensor> dataTensors, evalDataTensors;
  bool csvHeader = false;
  // Unset values come from the checkpoint a run resumes, if any, else
  // from the model's train section and the defaults (RunSettings.h).
  std::optional<int64_t> epochs;
  std::optional<int64_t> batch;
  std::optional<double> lr;
  std::optional<std::string> optimizer;
  std::optional<uint64_t> seed;
  /// Global gradient-norm clipping; 0: none.
  std::optional<double> clipNorm;
  ScheduleRequest schedule;
  std::vector<std::string> freeze;
  std::string paramsDir;
  std::string saveDir;
  std::string checkpointDir;
  int64_t checkpointEvery = 0; ///< steps; 0: only at the end of each epoch
  /// Steps between points of the loss curve (the training loss over those
  /// steps, and the evaluation loss); 0: none. Not given: the checkpoint's
  /// resumed, else none.
  std::optional<int64_t> evalEvery;
  /// Stop after this many steps in all (0: no limit), checkpointing first,
  /// so that a later --resume continues the run.
  int64_t maxSteps = 0;
  /// A checkpoint folder, or a training artifact (FILE.nnx: `nnc compile
  /// --train` or --save-artifact) whose parameters, optimizer state and
  /// counters the run continues from.
  std::string resumeDir;
  /// Write a training artifact here at the end of the run (at an epoch
  /// boundary), which `--resume FILE.nnx` continues.
  std::string saveArtifact;
  std::string plotPath;
  /// --report: the run as one HTML page (TrainingReport.h).
  std::string reportPath;
  /// The training step's profile over the run: --profile, --trace.
  ProfileRequest profile;
  std::optional<bool> shuffle;
  /// --drop-last: RunSettings::dropLast.
  std::optional<bool> dropLast;
  DistributedOptions distributed;
  /// Batches whose gradients add up to one optimizer step (1: every batch
  /// is a step).
  std::optional<int64_t> accumulate;
  /// The caller's hooks into the loop (TrainingHooks.h), such as the
  /// Python module's history; the command runs its console reporter's
  /// beside them.
  TrainingHooks hooks;
};

} // namespace nnc::train

#endif // NNC_TRAIN_TRAINOPTIONS_H
