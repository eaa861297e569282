//===- KernelProfilerTest.cpp - Profiles of hand-made recordings ----------===//
//
// summarizeProfile on slices whose times are chosen by hand, so every
// figure of the profile has a closed form; and a real run recorded by the
// executor, whose slices must cover every kernel chunk once per run.

#include "runtime/KernelProfiler.h"

#include <gtest/gtest.h>

using namespace nnc::rt;

namespace {

/// Three kernels: 1 and 2 both depend on 0 (a fork), none on each other.
ExecutionPlan forkPlan() {
  ExecutionPlan plan;
  plan.kernels = {
      {"nn.matmul", "m.nn:3:5", {}, 0, {}, 2000},
      {"nn.relu", "/work/m.nn:4:9", {}, 0, {0}, 0},
      {"nn.fusion[nn.add,nn.exp]", "", {}, 0, {0}, 0},
  };
  return plan;
}

TEST(KernelProfilerTest, SummaryHasTheClosedFormsOfTheSlices) {
  KernelProfiler profiler;
  // Step 0 over [0, 100) us: kernel 0 on two threads [0, 40) and [0, 30),
  // then 1 on thread 0 [50, 70) and 2 on thread 1 [50, 90).
  profiler.recordStep({0, 100'000});
  profiler.record({0, 0, 0, 2, 0, 40'000});
  profiler.record({0, 1, 2, 4, 0, 30'000});
  profiler.record({1, 0, 0, 1, 50'000, 70'000});
  profiler.record({2, 1, 0, 1, 50'000, 90'000});
  GraphProfile profile = summarizeProfile(profiler, forkPlan(), 2);

  ASSERT_EQ(profile.rows.size(), 3u);
  EXPECT_EQ(profile.steps, 1);
  // Thread time: 70 (kernel 0), 20, 40 us; the rows by it.
  EXPECT_EQ(profile.rows[0].kernel, 0);
  EXPECT_DOUBLE_EQ(profile.rows[0].totalMs, 0.070);
  EXPECT_DOUBLE_EQ(profile.rows[0].meanSpanUs, 40);
  EXPECT_EQ(profile.rows[0].chunks, 2);
  // 2000 flops over a 40 us span: 0.05 GFLOP/s.
  EXPECT_DOUBLE_EQ(profile.rows[0].gflops, 0.05);
  EXPECT_EQ(profile.rows[1].kernel, 2);
  EXPECT_EQ(profile.rows[2].kernel, 1);
  EXPECT_NEAR(profile.rows[0].sharePercent, 100.0 * 70 / 130, 1e-9);
  // Source lines lose their folder and column.
  EXPECT_EQ(profile.rows[0].location, "m.nn:3");
  EXPECT_EQ(profile.rows[2].location, "m.nn:4");
  EXPECT_EQ(profile.rows[1].location, "");
  EXPECT_DOUBLE_EQ(profile.stepUs, 100);
  EXPECT_DOUBLE_EQ(profile.busyUs, 130);
  // The longest chain: 40 us of kernel 0, then 40 of kernel 2.
  EXPECT_DOUBLE_EQ(profile.criticalPathUs, 80);
  // No kernel ran in [40, 50) and [90, 100).
  EXPECT_DOUBLE_EQ(profile.overheadUs, 20);
  // 130 of 200 thread-us busy.
  EXPECT_DOUBLE_EQ(profile.idlePercent, 35);
}

TEST(KernelProfilerTest, AKernelThatSpreadsOverTheThreadsCountsOnEach) {
  KernelProfiler profiler;
  // Step 0 over [0, 100) us: kernel 0 called once on thread 0 for [0, 60)
  // but keeping both threads busy (a matmul split by columns inside), then
  // kernel 1 on thread 1 alone for [60, 80).
  profiler.recordStep({0, 100'000});
  profiler.record({0, 0, 0, 1, 0, 60'000, /*threads=*/2});
  profiler.record({1, 1, 0, 1, 60'000, 80'000});
  GraphProfile profile = summarizeProfile(profiler, forkPlan(), 2);

  ASSERT_EQ(profile.rows.size(), 2u);
  EXPECT_EQ(profile.rows[0].kernel, 0);
  EXPECT_DOUBLE_EQ(profile.rows[0].totalMs, 0.120);
  EXPECT_DOUBLE_EQ(profile.rows[0].meanUs, 120);
  // Its rate is over its wall time, as for any kernel.
  EXPECT_DOUBLE_EQ(profile.rows[0].meanSpanUs, 60);
  EXPECT_NEAR(profile.rows[0].gflops, 2000 / 60e3, 1e-12);
  EXPECT_DOUBLE_EQ(profile.busyUs, 140);
  EXPECT_DOUBLE_EQ(profile.criticalPathUs, 80);
  EXPECT_DOUBLE_EQ(profile.overheadUs, 20);
  // 140 of 200 thread-us busy; counted on the calling thread alone it
  // would have been 80, and 60% idle.
  EXPECT_DOUBLE_EQ(profile.idlePercent, 30);
}

TEST(KernelProfilerTest, AThreadBusyWithAnotherKernelDoesNotHelp) {
  KernelProfiler profiler;
  // Step 0 over [0, 100) us: kernel 0 called on thread 0 for [0, 60) to
  // spread over both threads, while thread 1 runs kernel 1 for [0, 40) and
  // kernel 2 for [50, 90): thread 1 can have helped for [40, 50) only.
  profiler.recordStep({0, 100'000});
  profiler.record({0, 0, 0, 1, 0, 60'000, /*threads=*/2});
  profiler.record({1, 1, 0, 1, 0, 40'000});
  profiler.record({2, 1, 0, 1, 50'000, 90'000});
  GraphProfile profile = summarizeProfile(profiler, forkPlan(), 2);

  ASSERT_EQ(profile.rows.size(), 3u);
  EXPECT_EQ(profile.rows[0].kernel, 0);
  EXPECT_DOUBLE_EQ(profile.rows[0].meanUs, 70);
  // 70 + 40 + 40 of 200 thread-us: never more than the threads had.
  EXPECT_DOUBLE_EQ(profile.busyUs, 150);
  EXPECT_DOUBLE_EQ(profile.idlePercent, 25);
}

TEST(KernelProfilerTest, SlicesOutsideEveryStepAreLeftOut) {
  KernelProfiler profiler;
  profiler.recordStep({1000, 2000});
  profiler.record({0, 0, 0, 1, 0, 500});     // before the step
  profiler.record({0, 0, 0, 1, 1000, 1500}); // inside
  profiler.record({7, 0, 0, 1, 1200, 1300}); // no such kernel
  GraphProfile profile = summarizeProfile(profiler, forkPlan(), 1);
  ASSERT_EQ(profile.rows.size(), 1u);
  EXPECT_EQ(profile.rows[0].chunks, 1);
  EXPECT_DOUBLE_EQ(profile.busyUs, 0.5);
}

/// Records, in the order an executor does (slices, then the step's end),
/// two steps of forkPlan: the first as in SummaryHasTheClosedFormsOfTheSlices,
/// the second the same 200 us later.
void recordTwoSteps(KernelProfiler &profiler) {
  for (int64_t at : {0, 200'000}) {
    profiler.record({0, 0, 0, 2, at, at + 40'000});
    profiler.record({0, 1, 2, 4, at, at + 30'000});
    profiler.record({1, 0, 0, 1, at + 50'000, at + 70'000});
    profiler.record({2, 1, 0, 1, at + 50'000, at + 90'000});
    profiler.recordStep({at, at + 100'000});
  }
}

TEST(KernelProfilerTest, AnAttachedProfilerSummarisesEachStepAsItEnds) {
  ExecutionPlan plan = forkPlan();
  KernelProfiler kept, attached;
  attached.attach(plan);
  recordTwoSteps(kept);
  recordTwoSteps(attached);
  // Nothing of the steps is held, yet the summary is that of every slice.
  EXPECT_TRUE(attached.pendingSlices().empty());
  EXPECT_TRUE(attached.pendingSteps().empty());
  EXPECT_TRUE(attached.slices().empty());
  GraphProfile whole = summarizeProfile(kept, plan, 2);
  GraphProfile folded = summarizeProfile(attached, plan, 2);
  EXPECT_EQ(folded.steps, 2);
  EXPECT_DOUBLE_EQ(folded.stepUs, whole.stepUs);
  EXPECT_DOUBLE_EQ(folded.busyUs, whole.busyUs);
  EXPECT_DOUBLE_EQ(folded.criticalPathUs, 80);
  EXPECT_DOUBLE_EQ(folded.overheadUs, 20);
  EXPECT_DOUBLE_EQ(folded.idlePercent, 35);
  ASSERT_EQ(folded.rows.size(), whole.rows.size());
  for (size_t i = 0; i < folded.rows.size(); ++i) {
    EXPECT_EQ(folded.rows[i].kernel, whole.rows[i].kernel);
    EXPECT_EQ(folded.rows[i].calls, 2);
    EXPECT_EQ(folded.rows[i].chunks, whole.rows[i].chunks);
    EXPECT_DOUBLE_EQ(folded.rows[i].totalMs, whole.rows[i].totalMs);
    EXPECT_DOUBLE_EQ(folded.rows[i].meanSpanUs, whole.rows[i].meanSpanUs);
  }
}

TEST(KernelProfilerTest, ATraceKeepsTheFirstStepsUpToItsLimit) {
  ExecutionPlan plan = forkPlan();
  // Room for one step's four slices, not two steps' eight.
  KernelProfiler profiler(/*traceSlices=*/6);
  profiler.attach(plan);
  recordTwoSteps(profiler);
  EXPECT_EQ(profiler.slices().size(), 4u);
  ASSERT_EQ(profiler.steps().size(), 1u);
  EXPECT_EQ(profiler.steps()[0].startNs, 0);
  EXPECT_EQ(profiler.stepsLeftOutOfTrace(), 1);
  // The table still counts both.
  EXPECT_EQ(summarizeProfile(profiler, plan, 2).steps, 2);
  profiler.clear();
  EXPECT_EQ(profiler.stepsLeftOutOfTrace(), 0);
  EXPECT_EQ(summarizeProfile(profiler, plan, 2).steps, 0);
}

TEST(KernelProfilerTest, ClearForgetsEverything) {
  KernelProfiler profiler;
  profiler.recordStep({0, 10});
  profiler.record({0, 0, 0, 1, 0, 5});
  profiler.clear();
  EXPECT_TRUE(profiler.slices().empty());
  EXPECT_TRUE(profiler.steps().empty());
}

} // namespace
