//===- TrainingState.cpp - What a training run carries --------------------===//

#include "train/TrainingState.h"

#include "runtime/Checkpoint.h"

#include <cmath>
#include <initializer_list>
#include <type_traits>

namespace nnc::train {
const rt::Tensor *findStateTensor(const TrainingState &state,
                                  rt::BindingRole role,
                                  const std::string &name) {
  if (role == rt::BindingRole::OptState) {
    auto it = state.optimizerState.find(name);
    return it == state.optimizerState.end() ? nullptr : &it->second;
  }
  if (role == rt::BindingRole::Step)
    return &state.step;
  if (role == rt::BindingRole::Lr)
    return &state.lr;
  return state.params.find(name);
}

rt::Error createStepScalars(TrainingState &state) {
  rt::Expected<rt::Tensor> step = rt::Tensor::create(rt::DType::I64, {});
  if (!step.ok())
    return step.takeError();
  rt::Expected<rt::Tensor> lr = rt::Tensor::create(rt::DType::F32, {});
  if (!lr.ok())
    return lr.takeError();
  state.step = std::move(*step);
  state.lr = std::move(*lr);
  return rt::Error::success();
}

rt::Error zeroOptimizerState(const CompiledGraph &step, TrainingState &state) {
  for (const CompiledGraph::Argument &arg : step.arguments()) {
    if (arg.role != rt::BindingRole::OptState)
      continue;
    rt::Expected<rt::Tensor> zeros = rt::Tensor::create(arg.dtype, arg.shape);
    if (!zeros.ok())
      return zeros.takeError();
    state.optimizerState.insert_or_assign(arg.name, std::move(*zeros));
  }
  return rt::Error::success();
}

/// Swaps the updated values a step returned into the state: the graph's
/// result tensors and the state's trade places, so nothing is copied.
CompiledGraph::StateLookup statesOf(TrainingState &state) {
  return [&state](rt::BindingRole role, const std::string &name) {
    switch (role) {
    case rt::BindingRole::Param:
    case rt::BindingRole::Buffer:
      return state.params.find(name);
    case rt::BindingRole::OptState: {
      auto it = state.optimizerState.find(name);
      return it == state.optimizerState.end() ? nullptr : &it->second;
    }
    default:
      return static_cast<rt::Tensor *>(nullptr);
    }
  };
}

rt::Error swapInUpdates(CompiledGraph &graph, TrainingState &state) {
  for (CompiledGraph::Result &result : graph.results()) {
    if (result.inPlace)
      continue;
    rt::Tensor *target = nullptr;
    if (result.role == rt::BindingRole::ParamUpdate ||
        result.role == rt::BindingRole::BufferUpdate)
      target = state.params.find(result.name);
    else if (result.role == rt::BindingRole::OptStateUpdate) {
      auto it = state.optimizerState.find(result.name);
      target = it == state.optimizerState.end() ? nullptr : &it->second;
    } else {
      continue;
    }
    if (!target)
      return rt::Error::failure("the training step updates unknown '" +
                                result.name + "'");
    std::swap(*target, result.tensor);
  }
  return rt::Error::success();
}

rt::Error writeTrainingCheckpoint(const std::string &dir,
                                  const TrainingState &state,
                                  const rt::BatchIteratorState &position,
                                  const RunSettings &settings) {
  std::vector<rt::NamedTensorView> tensors;
  for (const auto &[name, tensor] : state.params.values())
    tensors.emplace_back("param." + name, tensor.view());
  for (const auto &[name, tensor] : state.optimizerState)
    tensors.emplace_back("opt." + name, tensor.view());
  rt::JsonObject json;
  json.setInteger("step", state.stepCount);
  json.setNumber("epoch_loss_sum", state.epochLossSum);
  json.setInteger("epoch_samples", state.epochSamples);
  json.setInteger("epoch_correct", state.epochCorrect);
  json.setInteger("epoch_scored", state.epochScored);
  json.setInteger("epochs_done", static_cast<int64_t>(state.trainLoss.size()));
  if (state.historyStartEpoch != 0)
    json.setInteger("history_start_epoch", state.historyStartEpoch);
  // JSON has no NaN: an epoch without evaluation has no eval entry.
  for (size_t i = 0; i < state.trainLoss.size(); ++i) {
    json.setNumber("history.train." + std::to_string(i), state.trainLoss[i]);
    if (i < state.evalLoss.size() && std::isfinite(state.evalLoss[i]))
      json.setNumber("history.eval." + std::to_string(i), state.evalLoss[i]);
    for (auto [name, values] :
         {std::pair{"history.train_accuracy.", &state.trainAccuracy},
          std::pair{"history.eval_accuracy.", &state.evalAccuracy}})
      if (i < values->size() && std::isfinite((*values)[i]))
        json.setNumber(name + std::to_string(i), (*values)[i]);
  }
  json.setNumber("interval_loss_sum", state.intervalLossSum);
  json.setInteger("interval_samples", state.intervalSamples);
  json.setInteger("interval_correct", state.intervalCorrect);
  json.setInteger("interval_scored", state.intervalScored);
  json.setNumber("lr", state.lr.view().data<float>()[0]);
  json.setInteger("lr_changes", static_cast<int64_t>(state.lrChanges.size()));
  for (size_t i = 0; i < state.lrChanges.size(); ++i) {
    std::string key = "lr_change." + std::to_string(i);
    json.setInteger(key + ".step", state.lrChanges[i].step);
    json.setNumber(key + ".from", state.lrChanges[i].from);
    json.setNumber(key + ".to", state.lrChanges[i].to);
  }
  json.setInteger("curve_points", static_cast<int64_t>(state.curve.size()));
  for (size_t i = 0; i < state.curve.size(); ++i) {
    const TrainingState::CurvePoint &point = state.curve[i];
    std::string key = "curve." + std::to_string(i);
    json.setInteger(key + ".step", point.step);
    json.setNumber(key + ".train", point.trainLoss);
    json.setNumber(key + ".lr", point.lr);
    // JSON has no NaN: what was not measured is left out.
    for (auto [name, value] :
         {std::pair{".eval", point.evalLoss},
          std::pair{".train_accuracy", point.trainAccuracy},
          std::pair{".eval_accuracy", point.evalAccuracy}})
      if (std::isfinite(value))
        json.setNumber(key + name, value);
  }
  rt::saveIteratorState(json, position);
  saveRunSettings(json, settings);
  return rt::writeCheckpoint(dir, tensors, json);
}

void TrainingState::setLearningRate(double value, bool atJump) {
  float &current = lr.view().data<float>()[0];
  // The tensor still holds the step before's rate: none before step 1, and
  // 0 after resuming from a checkpoint that did not keep it.
  double before = current;
  if (atJump && stepCount > 1 && before != 0 &&
      std::abs(value - before) > kLrChangeShare * std::abs(before))
    lrChanges.push_back({stepCount, before, value});
  current = static_cast<float>(value);
}

rt::Expected<std::optional<RunSettings>>
checkpointRunSettings(const rt::Checkpoint &checkpoint) {
  rt::Expected<std::optional<RunSettings>> settings =
      loadRunSettings(checkpoint.state);
  if (!settings.ok())
    return rt::Error::failure(
        checkpoint.path +
        "/state.json: corrupt checkpoint: " + settings.message());
  return settings;
}

rt::Error restoreCheckpoint(const rt::Checkpoint &checkpoint,
                            TrainingState &state,
                            rt::BatchIteratorState &position,
                            std::vector<std::string> *unused) {
  const std::string &dir = checkpoint.path;
  // What a missing tensor says about the run that wrote the checkpoint.
  auto missing = [&](const std::string &key) {
    std::string message = dir + ": no '" + key + "' in the checkpoint";
    if (key.rfind("opt.", 0) != 0)
      return rt::Error::failure(message + " (a checkpoint of another model?)");
    // "opt.PARAM.SLOT": which slots the checkpoint has for PARAM.
    std::string param = key.substr(4, key.rfind('.') - 4);
    std::vector<std::string> slots;
    for (const auto &[name, tensor] : checkpoint.tensors)
      if (name.rfind("opt." + param + ".", 0) == 0)
        slots.push_back(name);
    if (slots.empty())
      return rt::Error::failure(
          message + ": it holds no optimizer state for '" + param +
          "', as when the run that wrote it had '" + param +
          "' frozen; resume with the same --freeze");
    return rt::Error::failure(message + ": it holds '" + slots.front() +
                              "', another optimizer's state; resume with the "
                              "same --optimizer");
  };
  auto load = [&](const std::string &key, rt::Tensor &into) -> rt::Error {
    const rt::Tensor *saved = checkpoint.tensor(key);
    if (!saved)
      return missing(key);
    rt::Error same =
        rt::checkTensorType("'" + key + "'", saved->view(), into.view().dtype(),
                            into.view().shape());
    if (!same.ok())
      return std::move(same).withContext(dir);
    rt::Expected<rt::Tensor> copy = saved->clone();
    if (!copy.ok())
      return copy.takeError();
    into = std::move(*copy);
    return rt::Error::success();
  };
  for (const auto &[name, tensor] : state.params.values())
    if (rt::Error error = load("param." + name, *state.params.find(name));
        !error.ok())
      return error;
  for (auto &[name, tensor] : state.optimizerState)
    if (rt::Error error = load("opt." + name, tensor); !error.ok())
      return error;
  if (unused)
    for (const auto &[name, tensor] : checkpoint.tensors)
      if (name.rfind("opt.", 0) == 0 &&
          !state.optimizerState.count(name.substr(4)))
        unused->push_back(name);
  const rt::JsonObject &json = checkpoint.state;
  // state.json carries no checksum: its counters are checked against what
  // a run can have written before they size anything, so that a damaged
  // file is a one-line error rather than a loop that never ends.
  auto corrupt = [&](const std::string &message) {
    return rt::Error::failure(checkpoint.path +
                              "/state.json: corrupt checkpoint: " + message);
  };
  rt::Expected<int64_t> step = json.getInteger("step");
  rt::Expected<double> lossSum = json.getNumber("epoch_loss_sum");
  rt::Expected<int64_t> samples = json.getInteger("epoch_samples");
  rt::Expected<int64_t> correct = json.getInteger("epoch_correct");
  rt::Expected<int64_t> scored = json.getInteger("epoch_scored");
  rt::Expected<int64_t> epochsDone = json.getInteger("epochs_done");
  rt::Expected<rt::BatchIteratorState> iterator = rt::loadIteratorState(json);
  for (const std::string *message :
       {&step.message(), &lossSum.message(), &samples.message(),
        &correct.message(), &scored.message(), &epochsDone.message(),
        &iterator.message()})
    if (!message->empty())
      return corrupt(*message);
  for (auto [key, value] :
       {std::pair{"step", *step}, std::pair{"epoch_samples", *samples},
        std::pair{"epoch_correct", *correct},
        std::pair{"epoch_scored", *scored},
        std::pair{"epochs_done", *epochsDone}})
    if (value < 0)
      return corrupt("negative '" + std::string(key) + "' " +
                     std::to_string(value));
  // No run takes 2^53 steps (a float counts them exactly below that); a
  // larger count would overflow as training goes on.
  if (*step > (int64_t(1) << 53))
    return corrupt("'step' is " + std::to_string(*step) +
                   ", more than any run takes");
  // Every finished epoch wrote its training loss, so the history's entries
  // bound the count.
  for (int64_t i = 0; i < *epochsDone; ++i)
    if (!json.contains("history.train." + std::to_string(i)))
      return corrupt("'epochs_done' is " + std::to_string(*epochsDone) +
                     " but 'history.train." + std::to_string(i) +
                     "' is missing");
  state.stepCount = *step;
  state.epochLossSum = *lossSum;
  state.epochSamples = *samples;
  state.epochCorrect = *correct;
  state.epochScored = *scored;
  // A key that a run without evaluation, or an older nnc, leaves out reads
  // as `fallback`; one that is there must hold a number (an integer for an
  // integer fallback), or the file is damaged: a history read as missing
  // would be lost at the next write.
  auto optionalKey = [&](const std::string &key,
                         auto fallback) -> rt::Expected<decltype(fallback)> {
    if (!json.contains(key))
      return fallback;
    rt::Expected<decltype(fallback)> value = [&] {
      if constexpr (std::is_same_v<decltype(fallback), double>)
        return json.getNumber(key);
      else
        return json.getInteger(key);
    }();
    if (!value.ok())
      return corrupt(value.message());
    return value;
  };
  auto optionalNumber = [&](const std::string &key, double fallback) {
    return optionalKey(key, fallback);
  };
  auto optionalInteger = [&](const std::string &key, int64_t fallback) {
    return optionalKey(key, fallback);
  };
  rt::Expected<int64_t> historyStart =
      optionalInteger("history_start_epoch", 0);
  if (!historyStart.ok())
    return historyStart.takeError();
  // No run has more epochs than --epochs allows (checkRunSettings).
  if (*historyStart < 0 || *historyStart > (int64_t(1) << 31))
    return corrupt("'history_start_epoch' is " + std::to_string(*historyStart) +
                   ", not an epoch count from 0 to 2^31");
  state.historyStartEpoch = *historyStart;
  for (int64_t i = 0; i < *epochsDone; ++i) {
    std::string index = std::to_string(i);
    rt::Expected<double> train = optionalNumber("history.train." + index, NAN);
    rt::Expected<double> eval = optionalNumber("history.eval." + index, NAN);
    rt::Expected<double> trainAccuracy =
        optionalNumber("history.train_accuracy." + index, NAN);
    rt::Expected<double> evalAccuracy =
        optionalNumber("history.eval_accuracy." + index, NAN);
    for (rt::Expected<double> *value :
         {&train, &eval, &trainAccuracy, &evalAccuracy})
      if (!value->ok())
        return value->takeError();
    state.trainLoss.push_back(*train);
    state.evalLoss.push_back(*eval);
    state.trainAccuracy.push_back(*trainAccuracy);
    state.evalAccuracy.push_back(*evalAccuracy);
  }
  // The message of the first of `messages` that is not empty, if any.
  auto firstError = [](std::initializer_list<const std::string *> messages) {
    for (const std::string *message : messages)
      if (!message->empty())
        return *message;
    return std::string();
  };
  // A list's entries each take at least one key of the file, which bounds
  // the count before anything is read for it.
  auto checkCount = [&](const char *key, int64_t count) -> rt::Error {
    if (count < 0 || static_cast<uint64_t>(count) > json.values().size())
      return corrupt("'" + std::string(key) + "' is " + std::to_string(count) +
                     ", more than the file's " +
                     std::to_string(json.values().size()) + " entries");
    return rt::Error::success();
  };
  // The last step's learning rate, so that the first step after a resume
  // tells a change from it; an older checkpoint has none, and the tensor
  // keeps 0, which never counts as a change.
  if (json.contains("lr")) {
    rt::Expected<double> lr = json.getNumber("lr");
    if (!lr.ok())
      return corrupt(lr.message());
    if (!(*lr >= 0) || std::isinf(*lr))
      return corrupt("'lr' is " + std::to_string(*lr) +
                     ", not a learning rate");
    if (state.lr.byteSize() == sizeof(float))
      state.lr.view().data<float>()[0] = static_cast<float>(*lr);
  }
  // Learning-rate changes came later still: none in older checkpoints.
  rt::Expected<int64_t> changes = optionalInteger("lr_changes", 0);
  if (!changes.ok())
    return changes.takeError();
  if (*changes != 0) {
    if (rt::Error error = checkCount("lr_changes", *changes); !error.ok())
      return error;
    for (int64_t i = 0; i < *changes; ++i) {
      std::string key = "lr_change." + std::to_string(i);
      rt::Expected<int64_t> step = json.getInteger(key + ".step");
      rt::Expected<double> from = json.getNumber(key + ".from");
      rt::Expected<double> to = json.getNumber(key + ".to");
      if (std::string message =
              firstError({&step.message(), &from.message(), &to.message()});
          !message.empty())
        return corrupt(message);
      state.lrChanges.push_back({*step, *from, *to});
    }
  }
  // The step curve came later: a checkpoint without it starts one afresh.
  if (json.contains("curve_points")) {
    rt::Expected<int64_t> points = json.getInteger("curve_points");
    if (!points.ok())
      return corrupt(points.message());
    if (rt::Error error = checkCount("curve_points", *points); !error.ok())
      return error;
    rt::Expected<double> intervalSum = json.getNumber("interval_loss_sum");
    rt::Expected<int64_t> intervalSamples = json.getInteger("interval_samples");
    if (std::string message =
            firstError({&intervalSum.message(), &intervalSamples.message()});
        !message.empty())
      return corrupt(message);
    state.intervalLossSum = *intervalSum;
    state.intervalSamples = *intervalSamples;
    rt::Expected<int64_t> intervalCorrect =
        optionalInteger("interval_correct", 0);
    if (!intervalCorrect.ok())
      return intervalCorrect.takeError();
    rt::Expected<int64_t> intervalScored =
        optionalInteger("interval_scored", 0);
    if (!intervalScored.ok())
      return intervalScored.takeError();
    state.intervalCorrect = *intervalCorrect;
    state.intervalScored = *intervalScored;
    for (int64_t i = 0; i < *points; ++i) {
      std::string key = "curve." + std::to_string(i);
      rt::Expected<int64_t> pointStep = json.getInteger(key + ".step");
      rt::Expected<double> train = json.getNumber(key + ".train");
      if (std::string message =
              firstError({&pointStep.message(), &train.message()});
          !message.empty())
        return corrupt(message);
      rt::Expected<double> eval = optionalNumber(key + ".eval", NAN);
      rt::Expected<double> trainAccuracy =
          optionalNumber(key + ".train_accuracy", NAN);
      rt::Expected<double> evalAccuracy =
          optionalNumber(key + ".eval_accuracy", NAN);
      rt::Expected<double> lr = optionalNumber(key + ".lr", NAN);
      for (rt::Expected<double> *value :
           {&eval, &trainAccuracy, &evalAccuracy, &lr})
        if (!value->ok())
          return value->takeError();
      state.curve.push_back(
          {*pointStep, *train, *eval, *trainAccuracy, *evalAccuracy, *lr});
    }
  }
  position = *iterator;
  return rt::Error::success();
}

} // namespace nnc::train
