//===- MemoryPlannerTest.cpp - Arena layouts against brute force ----------===//
//
// The planner's claim is that no two values that may be alive at the same
// time share a byte, in any order the executor may run the kernels. The
// tests check it on random DAGs two ways that share no code with it: a
// pairwise check with reachability found by depth-first search, and a
// simulation of many random concurrent runs that tracks which values are
// alive at every event. With in-place candidates, the one overlap allowed is
// a value and the value its writer computes in place of it, and only when
// that writer is the operand's last reader in every run.
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

/// True when `result` is computed in place of `operand` and that is legal:
/// its writer reads `operand`, and every other reader of `operand` must
/// finish before that writer starts.
bool isLegalInPlacePair(const ExecutionPlan &plan, const Uses &uses,
                        size_t operand, size_t result) {
  if (plan.values[result].reuses != static_cast<int64_t>(operand))
    return false;
  int64_t writer = uses.writer[result];
  if (!uses.readers[operand].count(writer))
    return false;
  return std::all_of(uses.readers[operand].begin(), uses.readers[operand].end(),
                     [&](int64_t reader) {
                       return reader == writer ||
                              mustPrecede(plan, reader, writer);
                     });
}

/// Every pair of arena values sharing a byte: one is dead, in every run,
/// before the other's writer starts, or one is legally computed in place of
/// the other.
void expectOverlapsAreOrdered(const ExecutionPlan &plan) {
  Uses uses = usesOf(plan);
  auto deadBefore = [&](size_t dead, size_t next) {
    std::set<int64_t> last = uses.readers[dead];
    if (last.empty())
      last.insert(uses.writer[dead]);
    return std::all_of(last.begin(), last.end(), [&](int64_t k) {
      return mustPrecede(plan, k, uses.writer[next]);
    });
  };
  for (size_t a = 0; a < plan.values.size(); ++a)
    for (size_t b = a + 1; b < plan.values.size(); ++b) {
      if (plan.values[a].kind != ValueKind::Arena ||
          plan.values[b].kind != ValueKind::Arena ||
          !overlaps(plan.values[a], plan.values[b]))
        continue;
      if (plan.values[a].reuses == static_cast<int64_t>(b) ||
          plan.values[b].reuses == static_cast<int64_t>(a)) {
        EXPECT_TRUE(isLegalInPlacePair(plan, uses, a, b) ||
                    isLegalInPlacePair(plan, uses, b, a))
            << "value " << b << " is computed in place of " << a
            << " while another kernel may still read it";
        continue;
      }
      EXPECT_TRUE(deadBefore(a, b) || deadBefore(b, a))
          << "values " << a << " and " << b << " share bytes and may live "
          << "at the same time";
    }
}

/// Simulates `runs` random concurrent executions: at each step a ready
/// kernel starts or a running one finishes. A value is alive from its
/// writer's start to the end of its last reader (or of its writer). Checks
/// that alive arena values never share a byte.
void expectRandomRunsAreSafe(const ExecutionPlan &plan, std::mt19937 &rng,
                             int runs) {
  Uses uses = usesOf(plan);
  const size_t numKernels = plan.kernels.size();
  for (int run = 0; run < runs; ++run) {
    std::vector<int> state(numKernels, 0); // 0 waiting, 1 running, 2 done
    std::vector<size_t> pendingReaders(plan.values.size());
    std::set<size_t> alive;
    for (size_t id = 0; id < plan.values.size(); ++id)
      pendingReaders[id] = uses.readers[id].size();
    // The one overlap allowed: a running kernel computing one of the two
    // values in place of the other, which only that kernel still reads.
    auto inPlaceNow = [&](size_t a, size_t b) {
      auto check = [&](size_t operand, size_t result) {
        int64_t writer = uses.writer[result];
        return plan.values[result].reuses == static_cast<int64_t>(operand) &&
               state[static_cast<size_t>(writer)] == 1 &&
               pendingReaders[operand] == 1 &&
               uses.readers[operand].count(writer);
      };
      return check(a, b) || check(b, a);
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
      const PlanKernel &kernel = plan.kernels[k];
      if (move == 1) {
        state[k] = 1;
        for (size_t b = kernel.numOperands; b < kernel.buffers.size(); ++b)
          alive.insert(static_cast<size_t>(kernel.buffers[b]));
        for (size_t a : alive)
          for (size_t b : alive)
            if (a < b && plan.values[a].kind == ValueKind::Arena &&
                plan.values[b].kind == ValueKind::Arena &&
                !inPlaceNow(a, b))
              ASSERT_FALSE(overlaps(plan.values[a], plan.values[b]))
                  << "values " << a << " and " << b
                  << " are alive together when kernel " << k << " starts";
        continue;
      }
      state[k] = 2;
      ++done;
      for (size_t b = 0; b < static_cast<size_t>(kernel.numOperands); ++b) {
        size_t id = static_cast<size_t>(kernel.buffers[b]);
        if (--pendingReaders[id] == 0)
          alive.erase(id);
      }
      for (size_t b = kernel.numOperands; b < kernel.buffers.size(); ++b) {
        size_t id = static_cast<size_t>(kernel.buffers[b]);
        if (uses.readers[id].empty())
          alive.erase(id);
      }
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
/// a result of the same size, whether or not the graph allows it.
std::vector<InPlaceCandidate> randomCandidates(const ExecutionPlan &plan,
                                               std::mt19937 &rng) {
  std::vector<InPlaceCandidate> candidates;
  for (size_t k = 0; k < plan.kernels.size(); ++k) {
    const PlanKernel &kernel = plan.kernels[k];
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
  int taken = 0;
  for (int trial = 0; trial < 300; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    ExecutionPlan plan = randomPlan(rng);
    // Same sizes, so that candidates are often taken.
    for (PlanValue &value : plan.values) {
      value.bytes = 96;
      value.shape = {96};
    }
    planArenaMemory(plan, randomCandidates(plan, rng));
    Error verified = verifyExecutionPlan(plan);
    ASSERT_TRUE(verified.ok()) << verified.message();
    EXPECT_LE(plan.arenaSize, alignedSum(plan));
    for (const PlanValue &value : plan.values)
      taken += value.reuses >= 0;
    expectOverlapsAreOrdered(plan);
    expectRandomRunsAreSafe(plan, rng, 20);
    if (HasFailure())
      return;
  }
  EXPECT_GT(taken, 100) << "the test hardly exercises in-place reuse";
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
  // x -> k0 -> a; a -> k1 -> b; a -> k2 -> c; (b, c) -> k3 -> y.
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
