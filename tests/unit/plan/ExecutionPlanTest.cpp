//===- ExecutionPlanTest.cpp - Checking and printing plans ----------------===//
//
// verifyExecutionPlan is what stands between a loaded artifact and the
// executor, so every index it guards gets a broken plan here.
//
//===----------------------------------------------------------------------===//

#include "runtime/ExecutionPlan.h"

#include <gtest/gtest.h>

#include <algorithm>

using namespace nnc::rt;

namespace {

/// x (input 0) -> kernel 0 -> t (arena) -> kernel 1 -> y (output 0).
ExecutionPlan twoKernels() {
  ExecutionPlan plan;
  plan.values = {
      {"x", DType::F32, {2, 3}, 24, ValueKind::Input, 0, 0},
      {"t", DType::F32, {2, 3}, 24, ValueKind::Arena, -1, 0},
      {"y", DType::F64, {2, 3}, 48, ValueKind::Output, 0, 0},
  };
  plan.kernels = {
      {"nn.relu", "m.nn:1:5", {0, 1}, 1, {}},
      {"nn.neg", "", {1, 2}, 1, {0}},
  };
  plan.inputs = {{"x", BindingRole::Input, 0}};
  plan.outputs = {{"y", BindingRole::Output, 2}};
  plan.arenaSize = 64;
  return plan;
}

void expectInvalid(const ExecutionPlan &plan, const std::string &part) {
  Error error = verifyExecutionPlan(plan);
  ASSERT_FALSE(error.ok()) << "expected an error containing: " << part;
  EXPECT_NE(error.message().find(part), std::string::npos) << error.message();
}

TEST(ExecutionPlanTest, AcceptsAValidPlan) {
  Error error = verifyExecutionPlan(twoKernels());
  EXPECT_TRUE(error.ok()) << error.message();
}

TEST(ExecutionPlanTest, RejectsBadValueIds) {
  ExecutionPlan plan = twoKernels();
  plan.kernels[1].buffers[0] = 7;
  expectInvalid(plan, "kernel 1 (nn.neg) names no value at buffer 0");

  plan = twoKernels();
  plan.outputs[0].value = -1;
  expectInvalid(plan, "output 0 names no value");

  plan = twoKernels();
  plan.inputs[0].value = 1;
  expectInvalid(plan, "input 0 is not bound to an input value");
}

TEST(ExecutionPlanTest, RejectsBadDependencies) {
  ExecutionPlan plan = twoKernels();
  plan.kernels[0].dependencies = {1};
  expectInvalid(plan, "depends on kernel 1, which is not earlier");

  plan = twoKernels();
  plan.kernels[1].dependencies = {};
  expectInvalid(plan, "reads value 1 without depending on its writer");

  plan = twoKernels();
  plan.kernels[1].dependencies = {0, 0};
  expectInvalid(plan, "lists kernel 0 twice");
}

TEST(ExecutionPlanTest, RejectsBadSizesAndOffsets) {
  ExecutionPlan plan = twoKernels();
  plan.values[1].bytes = 20;
  expectInvalid(plan, "value 1 has 20 bytes, but its type f32[2, 3] needs 24");

  plan = twoKernels();
  plan.values[1].offset = 64;
  expectInvalid(plan, "is not an aligned range of the arena");

  plan = twoKernels();
  plan.values[1].offset = 8;
  plan.arenaSize = 128;
  expectInvalid(plan, "is not an aligned range of the arena");

  plan = twoKernels();
  plan.values[1].offset = UINT64_MAX - 63;
  expectInvalid(plan, "is not an aligned range of the arena");

  plan = twoKernels();
  plan.arenaSize = 65;
  expectInvalid(plan, "is not a multiple of 64");

  plan = twoKernels();
  plan.values[1].shape = {-1, 3};
  expectInvalid(plan, "value 1: negative extent");
}

TEST(ExecutionPlanTest, ArenaValueMayViewAGraphInputOnly) {
  // t, written by kernel 0 from x, as a view of x: no bytes in the arena.
  ExecutionPlan plan = twoKernels();
  plan.values[1].reuses = 0;
  plan.values[1].offset = 4096;
  plan.arenaSize = 0;
  EXPECT_EQ(viewedGraphInputs(plan)[1], 0);
  Error error = verifyExecutionPlan(plan);
  EXPECT_TRUE(error.ok()) << error.message();

  // Not of another dtype or size.
  ExecutionPlan wide = plan;
  wide.values[0].dtype = DType::F64;
  wide.values[0].bytes = 48;
  EXPECT_EQ(viewedGraphInputs(wide)[1], 0);
  expectInvalid(
      wide, "value 1 computed in place of value 0 does not share its bytes");

  // Not of a parameter: the step may update it in place.
  ExecutionPlan param = plan;
  param.inputs[0].role = BindingRole::Param;
  EXPECT_EQ(viewedGraphInputs(param)[1], -1);
  expectInvalid(param, "not an aligned range of the arena");
}

TEST(ExecutionPlanTest, ViewsFollowChainsOfAnyLengthAndCyclesViewNothing) {
  // Values 1..n each computed in place of the one before, from input x:
  // every one views x, in one pass however long the chain.
  ExecutionPlan plan = twoKernels();
  const size_t n = 100000;
  plan.values.resize(n + 1, plan.values[1]);
  for (size_t id = 1; id <= n; ++id) {
    plan.values[id] = plan.values[1];
    plan.values[id].reuses = static_cast<int64_t>(id) - 1;
  }
  std::vector<int64_t> views = viewedGraphInputs(plan);
  EXPECT_EQ(views[0], -1); // x itself is no view
  EXPECT_EQ(std::count(views.begin() + 1, views.end(), 0),
            static_cast<std::ptrdiff_t>(n));
  // A chain into a cycle, or a cycle: no view, and no endless walk.
  plan.values[1].reuses = static_cast<int64_t>(n);
  views = viewedGraphInputs(plan);
  EXPECT_EQ(std::count(views.begin() + 1, views.end(), -1),
            static_cast<std::ptrdiff_t>(n));
}

TEST(ExecutionPlanTest, RejectsBadWrites) {
  ExecutionPlan plan = twoKernels();
  plan.kernels[1].buffers = {1, 0};
  expectInvalid(plan, "writes input value 0");

  plan = twoKernels();
  plan.kernels[1].buffers = {1, 1};
  plan.kernels[1].numOperands = 0;
  expectInvalid(plan, "writes value 1, which is written before");

  plan = twoKernels();
  plan.kernels.pop_back();
  expectInvalid(plan, "value 2 is never written");

  plan = twoKernels();
  plan.values[2].index = 3;
  expectInvalid(plan, "value 2 is not bound by output 3");
}

TEST(ExecutionPlanTest, FormatsEveryPart) {
  std::string text = formatExecutionPlan(twoKernels());
  EXPECT_EQ(text, "plan: 3 values, 2 kernels, arena 64 bytes\n"
                  "value 0 'x' f32[2, 3] 24 bytes input 0\n"
                  "value 1 't' f32[2, 3] 24 bytes arena [0, 24)\n"
                  "value 2 'y' f64[2, 3] 48 bytes output 0\n"
                  "kernel 0 nn.relu reads (0) writes (1) after ()\n"
                  "kernel 1 nn.neg reads (1) writes (2) after (0)\n"
                  "input 0 'x' (input) = value 0\n"
                  "output 0 'y' (output) = value 2\n");
}

} // namespace
