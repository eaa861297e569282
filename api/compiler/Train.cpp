//===- Train.cpp - Training a compiled model in place ---------------------===//
//
// The trainer of `nnc train` (driver/Trainer.h) over the model's own
// session and parameters: the caller's arrays become the run's dataset,
// the model's parameters its starting point and its result, and the steps,
// their gradients and the epochs reach the caller through the trainer's
// hooks.
//
//===----------------------------------------------------------------------===//

#include "api/compiler/CompiledModelImpl.h"

#include "driver/Trainer.h"

#include "runtime/CallbackGuard.h"

#include <cstring>
#include <optional>

using namespace nnc;

namespace {

/// A copy of `view` the training library owns: the loader copies its
/// samples into batches, and the caller's memory need not outlive the run.
Status copyOf(const std::string &name, const TensorView &view,
              std::map<std::string, rt::Tensor> &tensors) {
  rt::ConstTensorView checked = TensorAccess::view(view);
  rt::Expected<rt::Tensor> tensor =
      rt::Tensor::create(checked.dtype(), checked.shape());
  if (!tensor.ok())
    return failureLine("data '" + name + "': " + tensor.message());
  if (tensor->byteSize() != 0)
    std::memcpy(tensor->rawData(), view.data, tensor->byteSize());
  tensors.insert_or_assign(name, std::move(*tensor));
  return Status();
}

} // namespace

Status
CompiledModel::train(const std::map<std::string, TensorView> &data,
                     const TrainOptions &options,
                     const std::function<void(const EpochResult &)> &onEpoch) {
  if (Status reentered = impl->checkNotInTrain("train"); !reentered)
    return reentered;
  std::lock_guard<std::mutex> turn(impl->turn);
  // Marks this thread as the trainer's until train() returns.
  struct Training {
    std::atomic<std::thread::id> &thread;
    ~Training() { thread.store(std::thread::id()); }
  } training{impl->trainingThread};
  impl->trainingThread.store(std::this_thread::get_id());
  nnc::train::TrainOptions run;
  run.modelPath = impl->modelPath;
  for (const auto *set : {&data, &options.evalData}) {
    if (set == &options.evalData && set->empty())
      continue;
    // Which set is at fault: evalData lacking a column otherwise read as
    // the training data's.
    const char *which = set == &data ? "" : "evalData: ";
    if (Status checked = impl->checkInputs(*set); !checked)
      return failureLine(which + checked.message());
    if (Status complete = impl->checkAllInputs(*set); !complete)
      return failureLine(which + complete.message());
    for (const auto &[name, view] : *set)
      if (Status copied = copyOf(
              name, view, set == &data ? run.dataTensors : run.evalDataTensors);
          !copied)
        return copied;
  }
  run.epochs = options.epochs;
  run.batch = options.batch;
  run.lr = options.lr;
  run.optimizer = options.optimizer;
  run.seed = options.seed.value_or(impl->seed);
  run.freeze = options.freeze;
  run.shuffle = options.shuffle;
  run.dropLast = options.dropLast;
  run.accumulate = options.accumulate;
  run.clipNorm = options.clipNorm;
  if (!options.schedule.empty())
    run.schedule.kind = options.schedule;
  run.schedule.stepEpochs = options.lrStepEpochs;
  run.schedule.gamma = options.lrGamma;
  run.schedule.minLr = options.lrMin;
  // A callback that throws ends training with what it threw: the exception
  // is caught where the callback is called (rt::callGuarded), since this
  // library is built without exceptions and could not unwind through its
  // own frames, which hold the model's lock (this file alone is built with
  // them, for the lambdas between the callback and the guard). The first failure is kept;
  // beforeUpdate stops the run at the next step.
  std::optional<std::string> callbackFailure;
  auto guarded = [&](const char *name, const std::function<void()> &call) {
    if (callbackFailure)
      return false;
    if (rt::Error error = rt::callGuarded(name, call); !error.ok()) {
      callbackFailure = error.message();
      return false;
    }
    return true;
  };
  run.hooks.beforeUpdate = [&](int64_t) {
    return callbackFailure ? rt::Error::failure(*callbackFailure)
                           : rt::Error::success();
  };
  run.hooks.onEpochEnd = [&](const nnc::train::EpochReport &report) {
    if (!onEpoch)
      return;
    EpochResult result;
    result.epoch = report.epoch;
    result.loss = report.loss;
    result.accuracy = report.accuracy;
    result.evalLoss = report.evalLoss;
    result.evalAccuracy = report.evalAccuracy;
    guarded("onEpoch", [&] { onEpoch(result); });
  };
  if (options.afterGradients)
    run.hooks.afterGradients =
        [&](int64_t step,
            const std::map<std::string, rt::TensorView> &gradients) {
          std::map<std::string, MutableTensorView> views;
          for (const auto &[name, gradient] : gradients)
            views.emplace(name, MutableTensorView{gradient.rawData(),
                                                  toApi(gradient.dtype()),
                                                  {gradient.shape().begin(),
                                                   gradient.shape().end()}});
          Status status;
          if (!guarded("afterGradients",
                       [&] { status = options.afterGradients(step, views); }))
            return rt::Error::failure(*callbackFailure);
          return status ? rt::Error::success()
                        : rt::Error::failure(status.message());
        };
  if (options.onStep)
    run.hooks.onStepEnd = [&](const nnc::train::StepReport &report) {
      StepResult result;
      result.step = report.step;
      result.epoch = report.epoch;
      result.loss = report.loss;
      result.samples = report.samples;
      guarded("onStep", [&] { options.onStep(result); });
    };
  run.hooks.onWarning = [&](const std::string &warning) {
    impl->addWarning(warning);
  };
  nnc::train::CodedError error =
      driver::trainModel(*impl->session, impl->params, run);
  if (callbackFailure)
    return failureLine(*callbackFailure);
  if (!error.ok())
    return failureOf(error.error);
  return Status();
}
