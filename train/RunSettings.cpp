//===- RunSettings.cpp - The settings a training run keeps ----------------===//

#include "train/RunSettings.h"

#include "runtime/FlatJson.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace nnc::train {
namespace {

constexpr int64_t kMostCount = int64_t(1) << 31, kMostBatch = int64_t(1) << 40;

bool finiteAtLeast(double value, double least) {
  return std::isfinite(value) && value >= least;
}

/// "--FLAG must be at least 1, not 0", or at most `most`, for a count.
rt::Error countOutOfRange(const char *flag, int64_t value, int64_t most) {
  return value < 1
             ? outOfRange(flag, "at least 1", static_cast<double>(value))
             : outOfRange(flag,
                          most == kMostBatch ? "at most 2^40" : "at most 2^31",
                          static_cast<double>(value));
}

} // namespace

rt::Error outOfRange(const char *flag, const char *requirement, double value) {
  return rt::Error::failure(std::string(flag) + " must be " + requirement +
                            ", not " + exactNumber(value));
}

std::string exactNumber(double value) {
  char text[32];
  std::to_chars_result end = std::to_chars(text, text + sizeof(text), value);
  return std::string(text, end.ptr);
}

rt::Error checkRunSettings(const RunSettings &settings) {
  if (settings.epochs < 1 || settings.epochs > kMostCount)
    return countOutOfRange("--epochs", settings.epochs, kMostCount);
  if (settings.batch < 1 || settings.batch > kMostBatch)
    return countOutOfRange("--batch", settings.batch, kMostBatch);
  if (!(settings.baseLr > 0) || std::isinf(settings.baseLr))
    return outOfRange("--lr", "a finite number above 0", settings.baseLr);
  // The step reads the rate as a 32-bit float, where a larger one is
  // infinite.
  if (settings.baseLr > std::numeric_limits<float>::max())
    return outOfRange("--lr", "at most 3.4028235e38, the largest 32-bit float",
                      settings.baseLr);
  const ScheduleOptions &schedule = settings.schedule;
  if (schedule.kind != "constant" && schedule.kind != "step" &&
      schedule.kind != "cosine")
    return rt::Error::failure(
        "--schedule must be constant, step or cosine, not '" + schedule.kind +
        "'");
  // learningRate divides the epoch by stepEpochs.
  if (schedule.stepEpochs < 1 || schedule.stepEpochs > kMostCount)
    return countOutOfRange("--lr-step-epochs", schedule.stepEpochs, kMostCount);
  if (!(schedule.gamma > 0) || std::isinf(schedule.gamma))
    return outOfRange("--lr-gamma", "a finite number above 0", schedule.gamma);
  if (!finiteAtLeast(schedule.minLr, 0))
    return outOfRange("--lr-min", "a finite number of 0 or more",
                      schedule.minLr);
  // A step count, as the checkpoint's own is bounded.
  if (schedule.totalSteps < 0 || schedule.totalSteps > (int64_t(1) << 53))
    return outOfRange("the cosine schedule's steps", "from 0 to 2^53",
                      static_cast<double>(schedule.totalSteps));
  if (settings.accumulate < 1 || settings.accumulate > kMostCount)
    return countOutOfRange("--accumulate", settings.accumulate, kMostCount);
  if (!finiteAtLeast(settings.clipNorm, 0))
    return outOfRange("--clip-norm", "0 (no clipping) or more",
                      settings.clipNorm);
  if (settings.evalEvery < 0)
    return outOfRange("--eval-every", "0 or more",
                      static_cast<double>(settings.evalEvery));
  return rt::Error::success();
}

rt::Error checkDropLastLeavesABatch(const RunSettings &settings,
                                    int64_t samples, int64_t batch) {
  if (!settings.dropLast || samples >= batch)
    return rt::Error::success();
  return rt::Error::failure(
      "--drop-last leaves no batch: the " + std::to_string(samples) +
      " training samples are fewer than a batch of " + std::to_string(batch));
}

void saveRunSettings(rt::JsonObject &json, const RunSettings &settings) {
  json.setInteger("run.epochs", settings.epochs);
  json.setInteger("run.batch", settings.batch);
  json.setNumber("run.lr", settings.baseLr);
  json.setString("run.schedule", settings.schedule.kind);
  json.setInteger("run.schedule.step_epochs", settings.schedule.stepEpochs);
  json.setNumber("run.schedule.gamma", settings.schedule.gamma);
  json.setNumber("run.schedule.min_lr", settings.schedule.minLr);
  json.setInteger("run.schedule.total_steps", settings.schedule.totalSteps);
  json.setInteger("run.accumulate", settings.accumulate);
  json.setNumber("run.clip_norm", settings.clipNorm);
  json.setInteger("run.shuffle", settings.shuffle ? 1 : 0);
  json.setInteger("run.eval_every", settings.evalEvery);
  json.setInteger("run.drop_last", settings.dropLast ? 1 : 0);
}

rt::Expected<std::optional<RunSettings>>
loadRunSettings(const rt::JsonObject &json) {
  const char *const keys[] = {"run.epochs",
                              "run.batch",
                              "run.lr",
                              "run.schedule",
                              "run.schedule.step_epochs",
                              "run.schedule.gamma",
                              "run.schedule.min_lr",
                              "run.schedule.total_steps",
                              "run.accumulate",
                              "run.clip_norm",
                              "run.shuffle"};
  // Checkpoints came before their settings did, and artifacts later; one
  // that has some of them has lost the others.
  size_t present = 0;
  for (const char *key : keys)
    present += json.contains(key) ? 1 : 0;
  if (present == 0)
    return std::optional<RunSettings>();
  for (const char *key : keys)
    if (!json.contains(key))
      return rt::Error::failure(
          "'" + std::string(key) +
          "' is missing, beside the run's other settings");
  rt::Expected<int64_t> epochs = json.getInteger("run.epochs");
  rt::Expected<int64_t> batch = json.getInteger("run.batch");
  rt::Expected<double> lr = json.getNumber("run.lr");
  rt::Expected<std::string> kind = json.getString("run.schedule");
  rt::Expected<int64_t> stepEpochs =
      json.getInteger("run.schedule.step_epochs");
  rt::Expected<double> gamma = json.getNumber("run.schedule.gamma");
  rt::Expected<double> minLr = json.getNumber("run.schedule.min_lr");
  rt::Expected<int64_t> totalSteps =
      json.getInteger("run.schedule.total_steps");
  rt::Expected<int64_t> accumulate = json.getInteger("run.accumulate");
  rt::Expected<double> clipNorm = json.getNumber("run.clip_norm");
  rt::Expected<int64_t> shuffle = json.getInteger("run.shuffle");
  for (const std::string *message :
       {&epochs.message(), &batch.message(), &lr.message(), &kind.message(),
        &stepEpochs.message(), &gamma.message(), &minLr.message(),
        &totalSteps.message(), &accumulate.message(), &clipNorm.message(),
        &shuffle.message()})
    if (!message->empty())
      return rt::Error::failure(*message);
  if (*shuffle != 0 && *shuffle != 1)
    return rt::Error::failure("'run.shuffle' is " + std::to_string(*shuffle) +
                              ", not 0 or 1");
  RunSettings settings;
  settings.epochs = *epochs;
  settings.batch = *batch;
  settings.baseLr = *lr;
  settings.schedule = {*kind, *stepEpochs, *gamma, *minLr, *totalSteps};
  settings.accumulate = *accumulate;
  settings.clipNorm = *clipNorm;
  settings.shuffle = *shuffle == 1;
  // Kept since after the others: absent from older checkpoints.
  if (json.contains("run.eval_every")) {
    rt::Expected<int64_t> evalEvery = json.getInteger("run.eval_every");
    if (!evalEvery.ok())
      return rt::Error::failure(evalEvery.message());
    settings.evalEvery = *evalEvery;
  }
  if (json.contains("run.drop_last")) {
    rt::Expected<int64_t> dropLast = json.getInteger("run.drop_last");
    if (!dropLast.ok())
      return rt::Error::failure(dropLast.message());
    if (*dropLast != 0 && *dropLast != 1)
      return rt::Error::failure("'run.drop_last' is " +
                                std::to_string(*dropLast) + ", not 0 or 1");
    settings.dropLast = *dropLast == 1;
  }
  // What a run checks of its flags, checked of what it would take instead.
  if (rt::Error error = checkRunSettings(settings); !error.ok())
    return rt::Error::failure("the run's settings: " + error.message());
  return std::optional<RunSettings>(settings);
}

} // namespace nnc::train
