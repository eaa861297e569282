//===- MemoryPlannerTest.cpp - Arena layouts against brute force ----------===//
//
// The planner's claim is that no kernel writes a byte that holds a value
// another kernel may still read, in any order the executor may run the
// kernels. The tests check it on random DAGs two ways that share no code
// with it: a pairwise check with reachability found by depth-first search,
// and a simulation of many random concurrent runs that tracks which values
// are still needed at every event. In place, a kernel may write over the
// operand it reads for the last time; a view writes nothing, so its result
// and its operand may be read side by side.
//
//===----------------------------------------------------------------------===//

#include "passes/MemoryPlanner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

using namespace nnc;
using namespace nnc::rt;

namespace {

/// A value of `bytes` bytes (u8[bytes]).
PlanValue makeValue(int64_t bytes, ValueKind kind, int64_t index = -1) {
  PlanValue value;
  value.name = "v";
  value.dtype = DType::U8;
  value.shape = {bytes};
  value.bytes = static_cast<uint64_t>(bytes);
  value.kind = kind;
  value.index = index;
  return value;
}

/// Adds a kernel reading `operands` and writing `results`, depending on the
/// writers of its operands.
void addKernel(ExecutionPlan &plan, std::vector<int64_t> operands,
               std::vector<int64_t> results) {
  PlanKernel kernel;
  kernel.opName = "test.op";
  kernel.buffers = operands;
  kernel.numOperands = static_cast<int64_t>(operands.size());
  kernel.buffers.insert(kernel.buffers.end(), results.begin(), results.end());
  for (int64_t operand : operands)
    for (size_t k = 0; k < plan.kernels.size(); ++k) {
      const PlanKernel &other = plan.kernels[k];
      bool writes =
          std::find(other.buffers.begin() + other.numOperands,
                    other.buffers.end(), operand) != other.buffers.end();
      if (writes &&
          std::find(kernel.dependencies.begin(), kernel.dependencies.end(),
                    static_cast<int64_t>(k)) == kernel.dependencies.end())
        kernel.dependencies.push_back(static_cast<int64_t>(k));
    }
  std::sort(kernel.dependencies.begin(), kernel.dependencies.end());
  plan.kernels.push_back(std::move(kernel));
}

/// A random DAG: inputs, then kernels that each read up to three earlier
/// values and write one or two new ones; a few results are graph outputs.
ExecutionPlan randomPlan(std::mt19937 &rng) {
  ExecutionPlan plan;
  auto pick = [&](int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(rng);
  };
  int64_t numInputs = pick(1, 3);
  for (int64_t i = 0; i < numInputs; ++i) {
    plan.values.push_back(makeValue(pick(0, 300), ValueKind::Input, i));
    plan.inputs.push_back({"in", BindingRole::Input, i});
  }
  int64_t numKernels = pick(1, 40);
  for (int64_t k = 0; k < numKernels; ++k) {
    std::vector<int64_t> operands;
    int64_t numOperands = pick(0, 3);
    for (int64_t i = 0; i < numOperands; ++i) {
      // Mostly recent values, so that chains and reuse happen.
      int64_t last = static_cast<int64_t>(plan.values.size()) - 1;
      int64_t id = std::max<int64_t>(0, last - pick(0, 6));
      if (std::find(operands.begin(), operands.end(), id) == operands.end())
        operands.push_back(id);
    }
    std::vector<int64_t> results;
    int64_t numResults = pick(1, 2);
    for (int64_t r = 0; r < numResults; ++r) {
      results.push_back(static_cast<int64_t>(plan.values.size()));
      // Sizes around the alignment, zero included.
      plan.values.push_back(makeValue(pick(0, 400), ValueKind::Arena));
    }
    addKernel(plan, operands, results);
  }
  // The last value, and now and then another, is a graph output.
  for (size_t id = numInputs; id < plan.values.size(); ++id) {
    if (id + 1 != plan.values.size() && pick(0, 9) != 0)
      continue;
    plan.values[id].kind = ValueKind::Output;
    plan.values[id].index = static_cast<int64_t>(plan.outputs.size());
    plan.outputs.push_back(
        {"out", BindingRole::Output, static_cast<int64_t>(id)});
  }
  return plan;
}

/// Kernels that write and read each value, computed from the buffers.
struct Uses {
  std::vector<int64_t> writer;
  std::vector<std::set<int64_t>> readers;
};

Uses usesOf(const ExecutionPlan &plan) {
  Uses uses{std::vector<int64_t>(plan.values.size(), -1),
            std::vector<std::set<int64_t>>(plan.values.size())};
  for (size_t k = 0; k < plan.kernels.size(); ++k) {
    const PlanKernel &kernel = plan.kernels[k];
    for (size_t b = 0; b < kernel.buffers.size(); ++b) {
      size_t id = static_cast<size_t>(kernel.buffers[b]);
      if (static_cast<int64_t>(b) < kernel.numOperands)
        uses.readers[id].insert(static_cast<int64_t>(k));
      else
        uses.writer[id] = static_cast<int64_t>(k);
    }
  }
  return uses;
}

/// True when `from` reaches `to` through dependency edges backwards, i.e.
/// `to` must finish before `from` starts. Plain depth-first search.
bool mustPrecede(const ExecutionPlan &plan, int64_t to, int64_t from) {
  std::vector<int64_t> stack = plan.kernels[from].dependencies;
  std::vector<bool> seen(plan.kernels.size(), false);
  while (!stack.empty()) {
    int64_t k = stack.back();
    stack.pop_back();
    if (k == to)
      return true;
    if (seen[k])
      continue;
    seen[k] = true;
    for (int64_t dep : plan.kernels[k].dependencies)
      stack.push_back(dep);
  }
  return false;
}

bool overlaps(const PlanValue &a, const PlanValue &b) {
  return a.bytes != 0 && b.bytes != 0 && a.offset < b.offset + b.bytes &&
         b.offset < a.offset + a.bytes;
}

/// True when `kernel` writes bytes for `value`: it does unless it is a view
/// kernel (one of `views`) computing the value in place of its operand.
bool writesBytes(const ExecutionPlan &plan, const Uses &uses,
                 const std::set<int64_t> &views, size_t value) {
  return !(views.count(uses.writer[value]) && plan.values[value].reuses >= 0);
}

/// True when `value` has bytes in the arena: an Arena value that is not a
/// view of a graph input.
bool inArena(const ExecutionPlan &plan, size_t value) {
  return plan.values[value].kind == ValueKind::Arena &&
         viewedGraphInputs(plan)[value] < 0;
}

/// A value viewing a graph input is written only by a view kernel: nothing
/// may write the caller's bytes.
void expectInputViewsWriteNothing(const ExecutionPlan &plan,
                                  const std::set<int64_t> &views) {
  Uses uses = usesOf(plan);
  for (size_t v = 0; v < plan.values.size(); ++v)
    if (viewedGraphInputs(plan)[v] >= 0)
      EXPECT_TRUE(views.count(uses.writer[v]))
          << "kernel " << uses.writer[v] << " writes value " << v
          << " over a graph input";
}

/// Every write of an arena value's bytes is safe in every run: each other
/// value sharing a byte with it is either written only after the write, or
/// read for the last time before it (by the writer itself only when the
/// value is the operand the result is computed in place of).
void expectOverlapsAreOrdered(const ExecutionPlan &plan,
                              const std::set<int64_t> &views = {}) {
  Uses uses = usesOf(plan);
  for (size_t r = 0; r < plan.values.size(); ++r) {
    if (!inArena(plan, r) || !writesBytes(plan, uses, views, r))
      continue;
    int64_t writer = uses.writer[r];
    for (size_t x = 0; x < plan.values.size(); ++x) {
      if (x == r || !inArena(plan, x) ||
          !overlaps(plan.values[r], plan.values[x]))
        continue;
      if (mustPrecede(plan, writer, uses.writer[x]))
        continue;
      bool inPlaceOperand = plan.values[r].reuses == static_cast<int64_t>(x);
      bool dead = mustPrecede(plan, uses.writer[x], writer);
      for (int64_t reader : uses.readers[x])
        dead &= (inPlaceOperand && reader == writer) ||
                mustPrecede(plan, reader, writer);
      if (inPlaceOperand)
        dead &= uses.readers[x].count(writer) == 1;
      EXPECT_TRUE(dead) << "kernel " << writer << " writes value " << r
                        << " over value " << x
                        << ", which another kernel may still read";
    }
  }
}

/// Simulates `runs` random concurrent executions: at each step a ready
/// kernel starts or a running one finishes. When a kernel starts writing a
/// value's bytes, no other value sharing a byte with them may still be
/// needed: being written, or with a reader that has not finished (the
/// writer itself excepted, for the operand it computes the value in place
/// of).
void expectRandomRunsAreSafe(const ExecutionPlan &plan, std::mt19937 &rng,
                             int runs, const std::set<int64_t> &views = {}) {
  Uses uses = usesOf(plan);
  const size_t numKernels = plan.kernels.size();
  for (int run = 0; run < runs; ++run) {
    std::vector<int> state(numKernels, 0); // 0 waiting, 1 running, 2 done
    auto needed = [&](size_t x, int64_t writerOfOther, bool inPlaceOperand) {
      if (uses.writer[x] < 0 || state[uses.writer[x]] == 0)
        return false;
      if (state[uses.writer[x]] == 1)
        return true;
      return std::any_of(
          uses.readers[x].begin(), uses.readers[x].end(), [&](int64_t k) {
            return state[k] != 2 && !(inPlaceOperand && k == writerOfOther);
          });
    };
    size_t done = 0;
    while (done < numKernels) {
      std::vector<std::pair<size_t, int>> moves; // kernel, 1 start / 2 end
      for (size_t k = 0; k < numKernels; ++k) {
        if (state[k] == 1)
          moves.push_back({k, 2});
        if (state[k] != 0)
          continue;
        const std::vector<int64_t> &deps = plan.kernels[k].dependencies;
        if (std::all_of(deps.begin(), deps.end(),
                        [&](int64_t d) { return state[d] == 2; }))
          moves.push_back({k, 1});
      }
      ASSERT_FALSE(moves.empty()) << "the schedule is stuck";
      auto [k, move] = moves[std::uniform_int_distribution<size_t>(
          0, moves.size() - 1)(rng)];
      if (move == 2) {
        state[k] = 2;
        ++done;
        continue;
      }
      const PlanKernel &kernel = plan.kernels[k];
      for (size_t b = kernel.numOperands; b < kernel.buffers.size(); ++b) {
        size_t r = static_cast<size_t>(kernel.buffers[b]);
        if (!inArena(plan, r) || !writesBytes(plan, uses, views, r))
          continue;
        for (size_t x = 0; x < plan.values.size(); ++x)
          if (x != r && inArena(plan, x) &&
              overlaps(plan.values[r], plan.values[x]))
            ASSERT_FALSE(
                needed(x, static_cast<int64_t>(k),
                       plan.values[r].reuses == static_cast<int64_t>(x)))
                << "kernel " << k << " starts writing value " << r
                << " over value " << x << ", which is still needed";
      }
      state[k] = 1;
    }
  }
}

uint64_t alignedSum(const ExecutionPlan &plan) {
  uint64_t sum = 0;
  for (const PlanValue &value : plan.values)
    if (value.kind == ValueKind::Arena)
      sum += (value.bytes + kArenaAlignment - 1) / kArenaAlignment *
             kArenaAlignment;
  return sum;
}

TEST(MemoryPlannerTest, RandomGraphsNeverOverlapLiveValues) {
  std::mt19937 rng(20240611);
  for (int trial = 0; trial < 300; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    ExecutionPlan plan = randomPlan(rng);
    planArenaMemory(plan);
    Error verified = verifyExecutionPlan(plan);
    ASSERT_TRUE(verified.ok()) << verified.message();
    EXPECT_EQ(plan.arenaSize % kArenaAlignment, 0u);
    EXPECT_LE(plan.arenaSize, alignedSum(plan));
    for (const PlanValue &value : plan.values)
      if (value.kind == ValueKind::Arena)
        EXPECT_EQ(value.offset % kArenaAlignment, 0u);
    expectOverlapsAreOrdered(plan);
    expectRandomRunsAreSafe(plan, rng, 20);
    if (HasFailure())
      return;
  }
}

/// Random in-place candidates for `plan`: for some kernels, an operand and
/// a result of the same size, whether or not the graph allows it. About
/// half the kernels with one operand and one result are views, added to
/// `views`.
std::vector<InPlaceCandidate> randomCandidates(const ExecutionPlan &plan,
                                               std::mt19937 &rng,
                                               std::set<int64_t> &views) {
  std::vector<InPlaceCandidate> candidates;
  for (size_t k = 0; k < plan.kernels.size(); ++k) {
    const PlanKernel &kernel = plan.kernels[k];
    if (kernel.numOperands == 1 && kernel.buffers.size() == 2 &&
        std::uniform_int_distribution<int>(0, 1)(rng) == 0) {
      views.insert(static_cast<int64_t>(k));
      candidates.push_back({static_cast<int64_t>(k), kernel.buffers[0],
                            kernel.buffers[1], /*view=*/true});
      continue;
    }
    for (int64_t b = 0; b < kernel.numOperands; ++b)
      for (size_t r = kernel.numOperands; r < kernel.buffers.size(); ++r)
        if (std::uniform_int_distribution<int>(0, 2)(rng) != 0)
          candidates.push_back(
              {static_cast<int64_t>(k), kernel.buffers[b], kernel.buffers[r]});
  }
  return candidates;
}

TEST(MemoryPlannerTest, RandomGraphsWithInPlaceNeverOverlapLiveValues) {
  std::mt19937 rng(20240612);
  int taken = 0, takenViews = 0, sharedViews = 0, inputViews = 0;
  for (int trial = 0; trial < 300; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    ExecutionPlan plan = randomPlan(rng);
    // Same sizes, so that candidates are often taken.
    for (PlanValue &value : plan.values) {
      value.bytes = 96;
      value.shape = {96};
    }
    std::set<int64_t> views;
    planArenaMemory(plan, randomCandidates(plan, rng, views));
    Error verified = verifyExecutionPlan(plan);
    ASSERT_TRUE(verified.ok()) << verified.message();
    EXPECT_LE(plan.arenaSize, alignedSum(plan));
    Uses uses = usesOf(plan);
    for (size_t v = 0; v < plan.values.size(); ++v) {
      if (plan.values[v].reuses < 0)
        continue;
      bool view = views.count(uses.writer[v]) > 0;
      ++(view ? takenViews : taken);
      // A view shared while its operand was still read elsewhere.
      sharedViews += view && uses.readers[plan.values[v].reuses].size() > 1;
    }
    expectOverlapsAreOrdered(plan, views);
    expectRandomRunsAreSafe(plan, rng, 20, views);
    expectInputViewsWriteNothing(plan, views);
    for (size_t v = 0; v < plan.values.size(); ++v)
      inputViews += viewedGraphInputs(plan)[v] >= 0;
    if (HasFailure())
      return;
  }
  EXPECT_GT(taken, 100) << "the test hardly exercises in-place reuse";
  EXPECT_GT(inputViews, 10) << "the test hardly exercises views of inputs";
  EXPECT_GT(takenViews, 50) << "the test hardly exercises views";
  EXPECT_GT(sharedViews, 10)
      << "the test hardly exercises views of values read elsewhere";
}

TEST(MemoryPlannerTest, InPlaceChainUsesOneBlock) {
  // in -> k0 -> v1 -> k1 -> v2 -> ... -> k9 -> v10 (output), each in place.
  ExecutionPlan plan;
  plan.values.push_back(makeValue(1000, ValueKind::Input, 0));
  plan.inputs.push_back({"x", BindingRole::Input, 0});
  std::vector<InPlaceCandidate> candidates;
  for (int64_t k = 0; k < 10; ++k) {
    plan.values.push_back(makeValue(1000, ValueKind::Arena));
    addKernel(plan, {k}, {k + 1});
    candidates.push_back({k, k, k + 1});
  }
  plan.values.back().kind = ValueKind::Output;
  plan.values.back().index = 0;
  plan.outputs.push_back({"y", BindingRole::Output, 10});
  planArenaMemory(plan, candidates);
  ASSERT_TRUE(verifyExecutionPlan(plan).ok());
  // The input and the output are the caller's: no reuse across them.
  EXPECT_EQ(plan.values[1].reuses, -1);
  EXPECT_EQ(plan.values[2].reuses, 1);
  EXPECT_EQ(plan.values[9].reuses, 8);
  EXPECT_EQ(plan.values[10].reuses, -1);
  EXPECT_EQ(plan.arenaSize, 1024u);
}

TEST(MemoryPlannerTest, InPlaceRefusedWhileAnotherKernelMayRead) {
  // x -> k0 -> a; a -> k1 -> b; a -> k2 -> c: k1 and k2 may run together,
  // so neither may write over a.
  ExecutionPlan plan;
  plan.values.push_back(makeValue(64, ValueKind::Input, 0));
  plan.inputs.push_back({"x", BindingRole::Input, 0});
  for (int i = 0; i < 3; ++i)
    plan.values.push_back(makeValue(64, ValueKind::Arena));
  addKernel(plan, {0}, {1});
  addKernel(plan, {1}, {2});
  addKernel(plan, {1}, {3});
  planArenaMemory(plan, {{1, 1, 2}, {2, 1, 3}});
  ASSERT_TRUE(verifyExecutionPlan(plan).ok());
  EXPECT_EQ(plan.values[2].reuses, -1);
  EXPECT_EQ(plan.values[3].reuses, -1);
  EXPECT_EQ(plan.arenaSize, 192u);
}

/// x -> k0 -> a; a -> k1 -> b; a -> k2 -> c; (b, c) -> k3 -> y, values of
/// 64 bytes: k1 and k2 may run together.
ExecutionPlan diamondPlan() {
  ExecutionPlan plan;
  plan.values.push_back(makeValue(64, ValueKind::Input, 0));
  plan.inputs.push_back({"x", BindingRole::Input, 0});
  for (int i = 0; i < 3; ++i)
    plan.values.push_back(makeValue(64, ValueKind::Arena));
  plan.values.push_back(makeValue(64, ValueKind::Output, 0));
  plan.outputs.push_back({"y", BindingRole::Output, 4});
  addKernel(plan, {0}, {1});
  addKernel(plan, {1}, {2});
  addKernel(plan, {1}, {3});
  addKernel(plan, {2, 3}, {4});
  return plan;
}

TEST(MemoryPlannerTest, ViewSharesBytesWhileItsOperandIsStillRead) {
  // The diamond with k1 a view: it writes nothing, so b may be a's bytes
  // while k2 still reads a.
  ExecutionPlan plan = diamondPlan();
  std::vector<InPlaceCandidate> candidates = {{1, 1, 2, /*view=*/true}};
  planArenaMemory(plan, candidates);
  ASSERT_TRUE(verifyExecutionPlan(plan).ok());
  EXPECT_EQ(plan.values[2].reuses, 1);
  EXPECT_EQ(plan.values[2].offset, plan.values[1].offset);
  EXPECT_EQ(plan.arenaSize, 128u);
  expectOverlapsAreOrdered(plan, {1});
  // The same kernel offered as a write is refused: k2 may still read a.
  candidates[0].view = false;
  planArenaMemory(plan, candidates);
  EXPECT_EQ(plan.values[2].reuses, -1);
  EXPECT_EQ(plan.arenaSize, 192u);
}

TEST(MemoryPlannerTest, WriteOverAViewedValueWaitsForTheViewsReaders) {
  // x -> k0 -> a; a -> k1 (view) -> b; b -> k2 -> c; a -> k3 -> d, k3
  // elementwise and a's last reader by the graph's own edges, but b's
  // reader k2 may run beside it: k3 may not write d over a.
  auto build = [](bool k3AfterK2) {
    ExecutionPlan plan;
    plan.values.push_back(makeValue(64, ValueKind::Input, 0));
    plan.inputs.push_back({"x", BindingRole::Input, 0});
    for (int i = 0; i < 4; ++i)
      plan.values.push_back(makeValue(64, ValueKind::Arena));
    addKernel(plan, {0}, {1});
    addKernel(plan, {1}, {2});
    addKernel(plan, {2}, {3});
    addKernel(plan, {1}, {4});
    if (k3AfterK2)
      plan.kernels[3].dependencies.push_back(2);
    planArenaMemory(plan, {{1, 1, 2, /*view=*/true}, {3, 1, 4}});
    EXPECT_TRUE(verifyExecutionPlan(plan).ok());
    expectOverlapsAreOrdered(plan, {1});
    return plan;
  };
  ExecutionPlan concurrent = build(false);
  EXPECT_EQ(concurrent.values[2].reuses, 1);
  EXPECT_EQ(concurrent.values[4].reuses, -1);
  ExecutionPlan ordered = build(true);
  EXPECT_EQ(ordered.values[2].reuses, 1);
  EXPECT_EQ(ordered.values[4].reuses, 1);
  EXPECT_EQ(ordered.values[4].offset, ordered.values[1].offset);
}

TEST(MemoryPlannerTest, ViewOfAGraphInputHasNoArenaBytes) {
  // x -> k0 (view) -> a; a -> k1 -> b; a -> k2 -> c, k2 offered as a write
  // over a, and p (a parameter) -> k3 (view) -> d: a is x's bytes, nothing
  // writes over it, and a parameter, which a step may update, is not viewed.
  ExecutionPlan plan;
  plan.values.push_back(makeValue(64, ValueKind::Input, 0));
  plan.inputs.push_back({"x", BindingRole::Input, 0});
  for (int i = 0; i < 3; ++i)
    plan.values.push_back(makeValue(64, ValueKind::Arena));
  plan.values.push_back(makeValue(64, ValueKind::Input, 1));
  plan.inputs.push_back({"p", BindingRole::Param, 4});
  plan.values.push_back(makeValue(64, ValueKind::Arena));
  addKernel(plan, {0}, {1});
  addKernel(plan, {1}, {2});
  addKernel(plan, {1}, {3});
  plan.kernels[2].dependencies.push_back(1);
  addKernel(plan, {4}, {5});
  planArenaMemory(
      plan, {{0, 0, 1, /*view=*/true}, {2, 1, 3}, {3, 4, 5, /*view=*/true}});
  Error verified = verifyExecutionPlan(plan);
  ASSERT_TRUE(verified.ok()) << verified.message();
  EXPECT_EQ(plan.values[1].reuses, 0);
  EXPECT_EQ(viewedGraphInputs(plan)[1], 0);
  EXPECT_EQ(plan.values[3].reuses, -1);
  EXPECT_EQ(plan.values[5].reuses, -1);
  EXPECT_EQ(viewedGraphInputs(plan)[5], -1);
  // b, read by nothing, is dead before k2, which runs after k1, writes c:
  // they share; d has bytes of its own, and a none.
  EXPECT_EQ(plan.arenaSize, 128u);
  EXPECT_EQ(plan.values[1].offset, 0u);
  expectInputViewsWriteNothing(plan, {0, 3});
}

TEST(MemoryPlannerTest, ChainReusesTwoBlocks) {
  // in -> k0 -> v1 -> k1 -> v2 -> ... -> k9 -> v10 (output).
  ExecutionPlan plan;
  plan.values.push_back(makeValue(1000, ValueKind::Input, 0));
  plan.inputs.push_back({"x", BindingRole::Input, 0});
  for (int64_t k = 0; k < 10; ++k) {
    plan.values.push_back(makeValue(1000, ValueKind::Arena));
    addKernel(plan, {k}, {k + 1});
  }
  plan.values.back().kind = ValueKind::Output;
  plan.values.back().index = 0;
  plan.outputs.push_back({"y", BindingRole::Output, 10});
  planArenaMemory(plan);
  ASSERT_TRUE(verifyExecutionPlan(plan).ok());
  // A value is alive while its reader writes the next, so two blocks of
  // 1024 bytes alternate.
  EXPECT_EQ(plan.arenaSize, 2048u);
  EXPECT_EQ(plan.values[1].offset, plan.values[3].offset);
  EXPECT_NE(plan.values[1].offset, plan.values[2].offset);
}

TEST(MemoryPlannerTest, ConcurrentBranchesDoNotShare) {
  ExecutionPlan plan = diamondPlan();
  planArenaMemory(plan);
  ASSERT_TRUE(verifyExecutionPlan(plan).ok());
  EXPECT_EQ(plan.arenaSize, 192u);
  std::set<uint64_t> offsets;
  for (int id = 1; id <= 3; ++id)
    offsets.insert(plan.values[id].offset);
  EXPECT_EQ(offsets.size(), 3u);
}

TEST(MemoryPlannerTest, EmptyGraphHasEmptyArena) {
  ExecutionPlan plan;
  plan.values.push_back(makeValue(8, ValueKind::Input, 0));
  plan.inputs.push_back({"x", BindingRole::Input, 0});
  plan.outputs.push_back({"x", BindingRole::Output, 0});
  planArenaMemory(plan);
  EXPECT_EQ(plan.arenaSize, 0u);
  EXPECT_TRUE(verifyExecutionPlan(plan).ok());
}

} // namespace
