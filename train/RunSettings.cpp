//===- RunSettings.cpp - The settings a training run keeps ----------------===//

#include "train/RunSettings.h"

#include <charconv>
#include <cmath>
#include <cstdio>

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

} // namespace nnc::train
