//===- RunSettings.h - The settings a training run keeps --------*- C++ -*-===//
//
// What a run was asked to do beyond its model and data: its length, batch,
// learning rate and schedule, and how its steps are made (accumulation,
// clipping, shuffling). A checkpoint keeps them (TrainingState.h), so that
// `--resume DIR` alone continues the run as it was going; each comes from
// the resuming command when it gives it, else from the checkpoint, else
// from the model's train section and the defaults below.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_RUNSETTINGS_H
#define NNC_TRAIN_RUNSETTINGS_H

#include "train/LearningRateSchedule.h"

#include "runtime/Status.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nnc::rt {
class JsonObject;
} // namespace nnc::rt

namespace nnc::train {

struct RunSettings {
  int64_t epochs = 1;
  /// As asked, before a run clamps it to its dataset's size.
  int64_t batch = 32;
  double baseLr = 0.01;
  ScheduleOptions schedule{"constant"};
  int64_t accumulate = 1;
  /// Global gradient-norm clipping; 0: none.
  double clipNorm = 0;
  bool shuffle = true;
  /// Leave out an epoch's last batch when it is short of a full one, as
  /// PyTorch's DataLoader(drop_last=True): every step then sees a full
  /// batch, which batch norm and small remainders want.
  bool dropLast = false;
  /// Steps between points of the loss curve; 0: none.
  int64_t evalEvery = 0;
};

/// Fails, naming the flag and the value ("--epochs must be at least 1,
/// not 0"), when a setting is out of range: epochs from 1 to 2^31, batch
/// from 1 to 2^40, a finite learning rate above 0, a known schedule with
/// its every setting in range (used or not: a checkpoint keeps them all),
/// accumulate from 1 to 2^31, a finite clip norm of 0 or more, an
/// evaluation interval of 0 or more.
rt::Error checkRunSettings(const RunSettings &settings);

/// Fails when --drop-last would leave an epoch without a batch: fewer
/// `samples` than `batch`. PyTorch's loader then trains nothing; a run
/// that trains nothing is a mistake worth saying.
rt::Error checkDropLastLeavesABatch(const RunSettings &settings,
                                    int64_t samples, int64_t batch);

/// Writes `settings` under the "run." keys of `json`: the form a
/// checkpoint's state.json and a training artifact keep them in.
void saveRunSettings(rt::JsonObject &json, const RunSettings &settings);

/// The settings saveRunSettings wrote into `json`; none when it holds none
/// (written before nnc kept them). Some keys without the others, a wrong
/// type or a setting out of range is an error whose message the caller
/// prefixes with the file it read.
rt::Expected<std::optional<RunSettings>>
loadRunSettings(const rt::JsonObject &json);

/// "--FLAG must be REQUIREMENT, not VALUE": a setting out of range, its
/// value shown by exactNumber.
rt::Error outOfRange(const char *flag, const char *requirement, double value);

/// `value` in the fewest digits that read back as the same double
/// ("0.0123456789", "1e-05"): how a setting is shown to be given again.
std::string exactNumber(double value);

} // namespace nnc::train

#endif // NNC_TRAIN_RUNSETTINGS_H
