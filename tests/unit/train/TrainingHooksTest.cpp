//===- TrainingHooksTest.cpp - The training loop as a library -------------===//
//
// Trains examples/xor.nn on its own data, given in memory, through
// train::runTrainingLoop: the hooks come in the documented order with the
// step numbers, the loss falls, nothing is printed, and an error a hook
// returns ends the run with that error. Through driver::trainModel, a hook
// on the gradients gets every parameter's gradient, and what it writes
// there is what the update applies, and a gradient exchange installed in
// the hooks takes part in every step as data parallelism does.
//
//===----------------------------------------------------------------------===//

#include "train/TrainingHooks.h"
#include "driver/ModelSession.h"
#include "driver/SessionGraphSource.h"
#include "driver/Trainer.h"
#include "train/TrainingRun.h"

#include "XorModel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <mutex>
#include <numeric>
#include <string>
#include <vector>

using namespace nnc;

namespace {

constexpr int64_t kEpochs = 3;

class TrainingHooksTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(
        tests::openXorModel(session, trainOptions.dataTensors));
    graphs = std::make_unique<driver::SessionGraphSource>(
        *session, driver::GraphRequest());

    run.graphs = graphs.get();
    run.epochs = kEpochs;
    run.batch = 4;
    run.baseLr = 0.5;
    train::CodedError loaded = train::loadTrainingData(
        trainOptions, train::inputDeclarations(session->program()), run);
    ASSERT_TRUE(loaded.ok()) << loaded.error.message();
    rt::Expected<train::CompiledGraph *> step = graphs->trainingStep(4);
    ASSERT_TRUE(step.ok()) << step.message();
    ASSERT_TRUE(run.state.params.initialize(session->program(), "", 0).ok());
    ASSERT_TRUE(train::zeroOptimizerState(**step, run.state).ok());
    ASSERT_TRUE(train::createStepScalars(run.state).ok());
  }

  std::unique_ptr<driver::ModelSession> session;
  std::unique_ptr<driver::SessionGraphSource> graphs;
  train::TrainOptions trainOptions;
  train::TrainingRun run;
};

TEST_F(TrainingHooksTest, HooksComeInOrderAndNothingIsPrinted) {
  std::vector<std::string> events;
  std::vector<double> epochLosses;
  train::TrainingHooks hooks;
  hooks.onEpochStart = [&](const train::EpochStart &start) {
    events.push_back("epoch " + std::to_string(start.epoch));
  };
  hooks.beforeUpdate = [&](int64_t step) {
    events.push_back("before " + std::to_string(step));
    return rt::Error::success();
  };
  hooks.onStepEnd = [&](const train::StepReport &report) {
    events.push_back("end " + std::to_string(report.step));
  };
  hooks.onEpochEnd = [&](const train::EpochReport &report) {
    events.push_back("epoch end " + std::to_string(report.epoch));
    epochLosses.push_back(report.loss);
  };

  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  rt::Error error = train::runTrainingLoop(run, trainOptions, hooks);
  std::string out = testing::internal::GetCapturedStdout();
  std::string err = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(error.ok()) << error.message();
  EXPECT_EQ(out, "");
  EXPECT_EQ(err, "");

  // One step per epoch (4 samples, batch 4); the fused step's update runs
  // inside its graph, after beforeUpdate.
  std::vector<std::string> expected;
  for (int64_t epoch = 1; epoch <= kEpochs; ++epoch) {
    std::string step = std::to_string(epoch);
    expected.insert(expected.end(), {"epoch " + step, "before " + step,
                                     "end " + step, "epoch end " + step});
  }
  EXPECT_EQ(events, expected);
  ASSERT_EQ(epochLosses.size(), size_t(kEpochs));
  EXPECT_LT(epochLosses.back(), epochLosses.front());
}

TEST_F(TrainingHooksTest, AnErrorFromAHookEndsTheRun) {
  int64_t lastStep = 0;
  train::TrainingHooks hooks;
  hooks.beforeUpdate = [](int64_t step) {
    return step == 2 ? rt::Error::failure("stopped by the hook at step 2")
                     : rt::Error::success();
  };
  hooks.onStepEnd = [&](const train::StepReport &report) {
    lastStep = report.step;
  };
  rt::Error error = train::runTrainingLoop(run, trainOptions, hooks);
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.message(), "stopped by the hook at step 2");
  EXPECT_EQ(lastStep, 1);
}

TEST_F(TrainingHooksTest, TheFusedStepRefusesAHookOnTheGradients) {
  train::TrainingHooks hooks;
  hooks.afterGradients = [](int64_t,
                            const std::map<std::string, rt::TensorView> &) {
    return rt::Error::success();
  };
  rt::Error error = train::runTrainingLoop(run, trainOptions, hooks);
  ASSERT_FALSE(error.ok());
  EXPECT_NE(error.message().find("split at its gradients"), std::string::npos)
      << error.message();
}

/// Trains xor in place from its initial parameters with `hooks`, through
/// the trainer the command line and the APIs use; the parameters after.
train::ParameterStore trainInPlace(driver::ModelSession &session,
                                   const train::TrainOptions &base,
                                   const train::TrainingHooks &hooks) {
  train::ParameterStore params;
  rt::Error initialized = params.initialize(session.program(), "", 0);
  EXPECT_TRUE(initialized.ok()) << initialized.message();
  train::TrainOptions options;
  for (const auto &[name, tensor] : base.dataTensors)
    options.dataTensors.insert_or_assign(name, std::move(*tensor.clone()));
  options.epochs = kEpochs;
  options.batch = 4;
  options.lr = 0.5;
  options.shuffle = false;
  options.hooks = hooks;
  train::CodedError error = driver::trainModel(session, params, options);
  EXPECT_TRUE(error.ok()) << error.error.message();
  return params;
}

std::vector<float> valuesOf(const train::ParameterStore &params,
                            const std::string &name) {
  const rt::Tensor *tensor = params.find(name);
  if (!tensor)
    return {};
  const float *data = tensor->data<float>();
  return std::vector<float>(data, data + tensor->numElements());
}

TEST_F(TrainingHooksTest, AGradientHookSeesEveryGradientAndSteersTheUpdate) {
  const std::vector<std::string> names = {"b1", "b2", "w1", "w2"};
  train::ParameterStore initial;
  ASSERT_TRUE(initial.initialize(session->program(), "", 0).ok());

  // Zeroed gradients: plain SGD leaves every parameter where it started.
  std::vector<std::string> events;
  train::TrainingHooks zeroing;
  zeroing.afterGradients =
      [&](int64_t step,
          const std::map<std::string, rt::TensorView> &gradients) {
        events.push_back("after " + std::to_string(step));
        std::vector<std::string> seen;
        for (const auto &[name, gradient] : gradients) {
          seen.push_back(name);
          const rt::Tensor *param = initial.find(name);
          EXPECT_TRUE(param && gradient.shape() == param->shape()) << name;
          float *data = gradient.data<float>();
          bool anyNonZero = false;
          for (int64_t i = 0; i < gradient.numElements(); ++i) {
            anyNonZero = anyNonZero || data[i] != 0.0f;
            data[i] = 0.0f;
          }
          EXPECT_TRUE(anyNonZero) << name << " at step " << step;
        }
        EXPECT_EQ(seen, names);
        return rt::Error::success();
      };
  zeroing.beforeUpdate = [&](int64_t step) {
    events.push_back("before " + std::to_string(step));
    return rt::Error::success();
  };
  train::ParameterStore unchanged =
      trainInPlace(*session, trainOptions, zeroing);
  for (const std::string &name : names)
    EXPECT_EQ(valuesOf(unchanged, name), valuesOf(initial, name)) << name;
  std::vector<std::string> expected;
  for (int64_t step = 1; step <= kEpochs; ++step)
    expected.insert(expected.end(), {"after " + std::to_string(step),
                                     "before " + std::to_string(step)});
  EXPECT_EQ(events, expected);

  // Gradients left as they are: the split step trains as the fused one.
  train::TrainingHooks leaving;
  leaving.afterGradients = [](int64_t,
                              const std::map<std::string, rt::TensorView> &) {
    return rt::Error::success();
  };
  train::ParameterStore split = trainInPlace(*session, trainOptions, leaving);
  train::ParameterStore fused =
      trainInPlace(*session, trainOptions, train::TrainingHooks());
  for (const std::string &name : names) {
    std::vector<float> a = valuesOf(split, name), b = valuesOf(fused, name),
                       start = valuesOf(initial, name);
    ASSERT_EQ(a.size(), b.size()) << name;
    EXPECT_NE(b, start) << name << " did not train";
    for (size_t i = 0; i < a.size(); ++i)
      EXPECT_NEAR(a[i], b[i], 1e-5f * (1.0f + std::fabs(b[i])))
          << name << "[" << i << "]";
  }
}

/// An exchange of two processes that hold the same batch: each sum over
/// them is twice this process's value, so their mean is the value itself,
/// bit for bit. It records what the split step tells it.
class MirrorExchange final : public train::GradientExchange {
public:
  int processes() const override { return 2; }
  int rank() const override { return 0; }
  train::BatchShare shareOf(int64_t size) const override { return {0, size}; }
  rt::Error prepare(float *data, const std::vector<size_t> &sizes) override {
    values = data;
    counts = sizes;
    ++prepared;
    return rt::Error::success();
  }
  void beginExchange() override {
    ready.assign(counts.size(), 0);
    inFlight = true;
  }
  void valueReady(size_t v) override {
    // From the executor's workers, while the graph runs.
    std::lock_guard<std::mutex> lock(mutex);
    EXPECT_TRUE(inFlight);
    ++ready[v];
  }
  rt::Error finishExchange() override {
    for (size_t v = 0; v < counts.size(); ++v)
      EXPECT_EQ(ready[v], 1) << "value " << v << " at exchange " << exchanges;
    size_t total = std::accumulate(counts.begin(), counts.end(), size_t(0));
    for (size_t i = 0; i < total; ++i)
      values[i] *= 2.0f;
    inFlight = false;
    ++exchanges;
    return rt::Error::success();
  }
  rt::Error sumScalars(double *data, size_t count) override {
    for (size_t i = 0; i < count; ++i)
      data[i] *= 2.0;
    return rt::Error::success();
  }

  float *values = nullptr;
  std::vector<size_t> counts;
  std::vector<int> ready;
  int prepared = 0, exchanges = 0;
  bool inFlight = false;
  std::mutex mutex;
};

TEST_F(TrainingHooksTest, AGradientExchangeInTheHooksTakesPartInEveryStep) {
  const std::vector<std::string> names = {"b1", "b2", "w1", "w2"};
  MirrorExchange mirror;
  train::TrainingHooks exchanging;
  exchanging.exchange = &mirror;
  std::map<std::string, size_t> sizes;
  exchanging.afterGradients =
      [&](int64_t, const std::map<std::string, rt::TensorView> &gradients) {
        for (const auto &[name, gradient] : gradients)
          sizes[name] = static_cast<size_t>(gradient.numElements());
        return rt::Error::success();
      };
  train::ParameterStore mirrored =
      trainInPlace(*session, trainOptions, exchanging);
  // One step per epoch; the values laid out once, gradients from the last
  // parameter to the first.
  EXPECT_EQ(mirror.prepared, 1);
  EXPECT_EQ(mirror.exchanges, static_cast<int>(kEpochs));
  std::vector<size_t> expected;
  for (const frontend::Argument &arg : session->program().arguments)
    if (arg.role == frontend::Argument::Role::Param)
      expected.insert(expected.begin(), sizes[arg.name]);
  EXPECT_EQ(mirror.counts, expected);
  EXPECT_EQ(sizes.size(), names.size());

  // The mean of two equal processes is the process's own: the same bits as
  // training alone with the split step.
  train::TrainingHooks alone;
  alone.afterGradients = exchanging.afterGradients;
  train::ParameterStore single = trainInPlace(*session, trainOptions, alone);
  for (const std::string &name : names)
    EXPECT_EQ(valuesOf(mirrored, name), valuesOf(single, name)) << name;
}

} // namespace
