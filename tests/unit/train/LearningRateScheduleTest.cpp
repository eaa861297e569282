// The schedules against their closed forms.
#include "train/LearningRateSchedule.h"

#include <gtest/gtest.h>

#include <cmath>

namespace nnc::train {
namespace {

TEST(LearningRateScheduleTest, ConstantKeepsTheBaseRate) {
  for (const char *kind : {"", "constant"})
    EXPECT_EQ(learningRate({kind}, 0.05, /*epoch=*/7, /*step=*/300), 0.05);
}

TEST(LearningRateScheduleTest, StepDecaysEveryNEpochs) {
  ScheduleOptions step{"step", /*stepEpochs=*/3, /*gamma=*/0.5};
  EXPECT_DOUBLE_EQ(learningRate(step, 0.8, 0, 1), 0.8);
  EXPECT_DOUBLE_EQ(learningRate(step, 0.8, 2, 50), 0.8);
  EXPECT_DOUBLE_EQ(learningRate(step, 0.8, 3, 51), 0.4);
  EXPECT_DOUBLE_EQ(learningRate(step, 0.8, 7, 99), 0.2);
}

TEST(LearningRateScheduleTest, CosineAnnealsOverItsHorizonAndThenStays) {
  ScheduleOptions cosine{"cosine", 10, 0.1, /*minLr=*/0.01,
                         /*totalSteps=*/101};
  EXPECT_DOUBLE_EQ(learningRate(cosine, 0.11, 0, 1), 0.11);
  // Halfway, cos(pi/2) = 0: the mean of the two ends.
  EXPECT_NEAR(learningRate(cosine, 0.11, 0, 51), 0.06, 1e-12);
  EXPECT_DOUBLE_EQ(learningRate(cosine, 0.11, 0, 101), 0.01);
  // A resumed run given more epochs goes on at the final rate; past the
  // horizon the formula alone would climb back towards the base.
  EXPECT_DOUBLE_EQ(learningRate(cosine, 0.11, 5, 151), 0.01);
  EXPECT_DOUBLE_EQ(learningRate(cosine, 0.11, 9, 201), 0.01);
}

TEST(LearningRateScheduleTest, CosineWithoutAHorizonKeepsTheBaseRate) {
  // One step in all: nothing to anneal over.
  EXPECT_EQ(learningRate({"cosine", 10, 0.1, 0, /*totalSteps=*/1}, 0.3, 0, 1),
            0.3);
}

TEST(LearningRateScheduleTest, AResumedScheduleTakesWhatTheCommandGives) {
  ScheduleOptions resumed{"cosine", 10, 0.1, /*minLr=*/0.001,
                          /*totalSteps=*/90};
  // Nothing given, or the same kind again: the checkpoint's, horizon
  // and all.
  for (const ScheduleRequest &asked :
       {ScheduleRequest{}, ScheduleRequest{std::string("cosine")}}) {
    ScheduleOptions schedule = resolveSchedule(asked, resumed);
    EXPECT_EQ(schedule.kind, "cosine");
    EXPECT_EQ(schedule.minLr, 0.001);
    EXPECT_EQ(schedule.totalSteps, 90);
  }
  // A setting alone changes that setting.
  ScheduleRequest lower;
  lower.minLr = 0.002;
  ScheduleOptions schedule = resolveSchedule(lower, resumed);
  EXPECT_EQ(schedule.minLr, 0.002);
  EXPECT_EQ(schedule.totalSteps, 90);
  // Another kind starts afresh, from the defaults and its own horizon.
  ScheduleRequest step{std::string("step"), std::nullopt, 0.5};
  schedule = resolveSchedule(step, resumed);
  EXPECT_EQ(schedule.kind, "step");
  EXPECT_EQ(schedule.gamma, 0.5);
  EXPECT_EQ(schedule.stepEpochs, ScheduleOptions().stepEpochs);
  EXPECT_EQ(schedule.minLr, 0);
  EXPECT_EQ(schedule.totalSteps, 0);
}

} // namespace
} // namespace nnc::train
