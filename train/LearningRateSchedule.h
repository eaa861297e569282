//===- LearningRateSchedule.h - The learning rate step by step --*- C++ -*-===//
//
// A schedule changes the learning rate, a scalar input of the training
// step, never the compiled graph. It is part of what a checkpoint keeps
// (TrainingState.h's RunSettings): a run resumed without --schedule
// continues the schedule it was written with, over the same horizon, as
// restoring PyTorch's scheduler state does.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_LEARNINGRATESCHEDULE_H
#define NNC_TRAIN_LEARNINGRATESCHEDULE_H

#include <cstdint>
#include <optional>
#include <string>

namespace nnc::train {

struct ScheduleOptions {
  std::string kind = "constant"; ///< constant, step or cosine
  int64_t stepEpochs = 10; ///< step: multiply by gamma every N epochs
  double gamma = 0.1;
  double minLr = 0; ///< cosine: the final learning rate
  /// cosine: the steps it anneals over; 0 until the run that starts it
  /// sets its own total, which a checkpoint then keeps.
  int64_t totalSteps = 0;
};

/// A schedule as a command asks for it: what it leaves out comes from the
/// checkpoint a run resumes, else from ScheduleOptions' defaults.
struct ScheduleRequest {
  std::optional<std::string> kind;
  std::optional<int64_t> stepEpochs;
  std::optional<double> gamma, minLr;
};

/// The schedule `asked` over `resumed` (the checkpoint's, or constant): a
/// kind other than the resumed one starts afresh from the defaults; each
/// setting given replaces the resumed one, the horizon kept.
ScheduleOptions resolveSchedule(const ScheduleRequest &asked,
                                const ScheduleOptions &resumed);

/// The learning rate of `step` (1-based) in `epoch` (0-based), from the
/// rate `base`.
double learningRate(const ScheduleOptions &schedule, double base, int64_t epoch,
                    int64_t step);

} // namespace nnc::train

#endif // NNC_TRAIN_LEARNINGRATESCHEDULE_H
