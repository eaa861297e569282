//===- ResumedSettings.h - What a resumed run takes of its settings -*- C++
//-*-===//
//
// A run resumed from a checkpoint folder or a training artifact continues
// with the settings of the run that wrote it, unless its command gives
// others; the loop then names the ones it took ("--no-shuffle"), exactly
// enough to be given again.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_RESUMEDSETTINGS_H
#define NNC_TRAIN_RESUMEDSETTINGS_H

#include "train/RunSettings.h"
#include "train/TrainOptions.h"

#include <optional>
#include <string>
#include <vector>

namespace nnc::train {

/// Sets `setting` to `given` when the command gives it; otherwise, in a
/// `resumed` run, `setting` keeps the saved value and, when `worthSaying`
/// (not the default), `flag` goes to `taken`.
template <typename Setting, typename Given>
void takeSetting(Setting &setting, const std::optional<Given> &given,
                 bool resumed, bool worthSaying, std::string flag,
                 std::vector<std::string> &taken) {
  if (given)
    setting = *given;
  else if (resumed && worthSaying)
    taken.push_back(std::move(flag));
}

/// Sets the settings that order the batches and the rate (shuffling,
/// dropping an epoch's short last batch, the evaluation interval and the
/// schedule) from `options` where it gives them. `settings` holds the
/// saved ones of a run `resumed` (else the defaults); each saved one the
/// command leaves out that is not the default goes to `taken` as its flag.
void takeLoopSettings(const TrainOptions &options, bool resumed,
                      RunSettings &settings, std::vector<std::string> &taken);

} // namespace nnc::train

#endif // NNC_TRAIN_RESUMEDSETTINGS_H
