//===- TrainingProfile.cpp - What a training run's kernels cost -----------===//

#include "train/TrainingProfile.h"

namespace nnc::train {

TrainingProfile::TrainingProfile(bool record, CompiledGraph *fullStep,
                                 SplitStep *split, int64_t batch,
                                 const ProfileRequest &request,
                                 unsigned threads, const TrainingHooks &hooks)
    : fullStep(fullStep), split(split), batch(batch), request(request),
      threads(threads), hooks(hooks) {
  covered =
      !split
          ? "the training steps of batch " + std::to_string(batch)
          : "the gradient steps of " + std::to_string(split->shareSize(batch)) +
                " samples (" +
                (split->processes() > 1 ? "rank 0's shard of each batch of " +
                                              std::to_string(batch)
                                        : "each batch") +
                ")";
  if (!record)
    return;
  gradients.emplace(request.traceSlices());
  if (fullStep) {
    fullStep->setProfiler(&*gradients);
  } else if (split) {
    update.emplace();
    split->recordProfiles(batch, &*gradients, &*update);
  }
}

TrainingProfile::~TrainingProfile() {
  if (rt::Error error = report(); !error.ok())
    warn({error.message()});
}

CompiledGraph *TrainingProfile::profiledStep() const {
  if (fullStep)
    return fullStep;
  return split ? split->profiledGradients() : nullptr;
}

void TrainingProfile::warn(const std::vector<std::string> &warnings) const {
  if (hooks.onWarning)
    for (const std::string &warning : warnings)
      hooks.onWarning(warning);
}

std::optional<rt::GraphProfile> TrainingProfile::summary() const {
  CompiledGraph *graph = profiledStep();
  if (!gradients || !graph)
    return std::nullopt;
  std::vector<std::string> warnings;
  std::vector<std::string> kernels =
      backendSummaries(graph->executable(), warnings);
  warn(warnings);
  rt::GraphProfile profile = rt::summarizeProfile(
      *gradients, graph->plan(), static_cast<int>(threads), kernels);
  profile.peakGflops = machinePeakGflops(threads);
  return profile;
}

rt::Error TrainingProfile::render(const ProfileRequest &shown,
                                  const rt::KernelProfiler &records,
                                  CompiledGraph &graph,
                                  const std::string &heading) const {
  std::vector<std::string> warnings;
  rt::Expected<std::string> text =
      renderProfile(shown, records, graph.plan(), graph.executable(), threads,
                    heading, "nnc train", warnings);
  warn(warnings);
  if (!text.ok())
    return text.takeError();
  if (!text->empty() && hooks.onMessage) {
    // A message is a line without its newline.
    text->pop_back();
    hooks.onMessage(*text);
  }
  return rt::Error::success();
}

rt::Error TrainingProfile::report() {
  if (!gradients || reported)
    return rt::Error::success();
  reported = true;
  if (fullStep)
    fullStep->setProfiler(nullptr);
  else if (split)
    split->recordProfiles(batch, nullptr, nullptr);
  CompiledGraph *graph = profiledStep();
  if (!request.any() || !graph)
    return rt::Error::success();
  if (rt::Error error = render(request, *gradients, *graph, covered);
      !error.ok() || !split)
    return error;
  if (!request.table)
    return rt::Error::success();
  ProfileRequest table;
  table.table = true;
  return render(table, *update, split->update(), "the optimizer updates");
}

} // namespace nnc::train
