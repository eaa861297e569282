//===- TrainingHooksTest.cpp - The training loop as a library -------------===//
//
// Trains examples/xor.nn on its own data, given in memory, through
// train::runTrainingLoop: the hooks come in the documented order with the
// step numbers, the loss falls, nothing is printed, and an error a hook
// returns ends the run with that error.
//
//===----------------------------------------------------------------------===//

#include "train/TrainingHooks.h"
#include "driver/ModelSession.h"
#include "driver/SessionGraphSource.h"
#include "train/TrainingRun.h"

#include "XorModel.h"

#include <gtest/gtest.h>

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
  hooks.afterGradients = [&](int64_t step,
                             const std::map<std::string, rt::Tensor *> &) {
    events.push_back("after " + std::to_string(step));
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
  // inside its graph, between beforeUpdate and afterGradients.
  std::vector<std::string> expected;
  for (int64_t epoch = 1; epoch <= kEpochs; ++epoch) {
    std::string step = std::to_string(epoch);
    expected.insert(expected.end(),
                    {"epoch " + step, "before " + step, "after " + step,
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

} // namespace
