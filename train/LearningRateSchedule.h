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
#include <string>

namespace nnc::train {

struct ScheduleOptions {
  /// constant, step or cosine; empty: none asked for (constant, or on
  /// --resume the checkpoint's).
  std::string kind;
  int64_t stepEpochs = 10; ///< step: multiply by gamma every N epochs
  double gamma = 0.1;
  double minLr = 0; ///< cosine: the final learning rate
  /// cosine: the steps it anneals over; 0 until the run that starts it
  /// sets its own total, which a checkpoint then keeps.
  int64_t totalSteps = 0;
};

/// The learning rate of `step` (1-based) in `epoch` (0-based), from the
/// rate `base`.
double learningRate(const ScheduleOptions &schedule, double base, int64_t epoch,
                    int64_t step);

} // namespace nnc::train

#endif // NNC_TRAIN_LEARNINGRATESCHEDULE_H
