//===- ResumedSettings.cpp - What a resumed run takes of its settings -----===//

#include "train/ResumedSettings.h"

namespace nnc::train {

void takeLoopSettings(const TrainOptions &options, bool resumed,
                      RunSettings &settings, std::vector<std::string> &taken) {
  takeSetting(settings.shuffle, options.shuffle, resumed, !settings.shuffle,
              "--no-shuffle", taken);
  takeSetting(settings.dropLast, options.dropLast, resumed, settings.dropLast,
              "--drop-last", taken);
  takeSetting(settings.evalEvery, options.evalEvery, resumed,
              settings.evalEvery != 0,
              "--eval-every " + std::to_string(settings.evalEvery), taken);
  ScheduleOptions saved = settings.schedule;
  settings.schedule = resolveSchedule(options.schedule, saved);
  if (resumed && !options.schedule.kind && saved.kind != "constant") {
    const ScheduleOptions &schedule = settings.schedule;
    std::string flags = "--schedule " + schedule.kind;
    if (schedule.kind == "step" && !options.schedule.stepEpochs)
      flags += " --lr-step-epochs " + std::to_string(schedule.stepEpochs);
    if (schedule.kind == "step" && !options.schedule.gamma)
      flags += " --lr-gamma " + exactNumber(schedule.gamma);
    if (schedule.kind == "cosine" && !options.schedule.minLr)
      flags += " --lr-min " + exactNumber(schedule.minLr);
    taken.push_back(flags);
  }
}

} // namespace nnc::train
