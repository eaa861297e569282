//===- LearningRateSchedule.cpp - The learning rate step by step ----------===//

#include "train/LearningRateSchedule.h"

#include <algorithm>
#include <cmath>

namespace nnc::train {

ScheduleOptions resolveSchedule(const ScheduleRequest &asked,
                                const ScheduleOptions &resumed) {
  ScheduleOptions schedule = resumed;
  if (asked.kind && *asked.kind != resumed.kind)
    schedule = ScheduleOptions{*asked.kind};
  if (asked.stepEpochs)
    schedule.stepEpochs = *asked.stepEpochs;
  if (asked.gamma)
    schedule.gamma = *asked.gamma;
  if (asked.minLr)
    schedule.minLr = *asked.minLr;
  return schedule;
}

double learningRate(const ScheduleOptions &schedule, double base, int64_t epoch,
                    int64_t step) {
  if (schedule.kind == "step")
    return base * std::pow(schedule.gamma,
                           static_cast<double>(epoch / schedule.stepEpochs));
  if (schedule.kind == "cosine" && schedule.totalSteps > 1) {
    // Past the horizon (a resumed run given more epochs) it stays at the
    // final rate rather than rising again.
    double t = std::min(1.0, static_cast<double>(step - 1) /
                                 static_cast<double>(schedule.totalSteps - 1));
    return schedule.minLr +
           0.5 * (base - schedule.minLr) * (1 + std::cos(M_PI * t));
  }
  return base;
}

} // namespace nnc::train
