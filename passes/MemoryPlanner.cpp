//===- MemoryPlanner.cpp - Arena offsets for a scheduled graph ------------===//

#include "passes/MemoryPlanner.h"

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <utility>

namespace nnc {

namespace {

using rt::ExecutionPlan;
using rt::ValueKind;

uint64_t alignUp(uint64_t bytes) {
  return (bytes + rt::kArenaAlignment - 1) / rt::kArenaAlignment *
         rt::kArenaAlignment;
}

/// Strict ancestors of every kernel, one bit row per kernel.
class AncestorMatrix {
public:
  explicit AncestorMatrix(const ExecutionPlan &plan)
      : words((plan.kernels.size() + 63) / 64),
        bits(plan.kernels.size() * words, 0) {
    // Dependencies point to earlier kernels, so rows are complete when read.
    for (size_t k = 0; k < plan.kernels.size(); ++k) {
      for (int64_t dep : plan.kernels[k].dependencies) {
        assert(dep >= 0 && static_cast<size_t>(dep) < k &&
               "dependencies must point to earlier kernels");
        size_t d = static_cast<size_t>(dep);
        for (size_t w = 0; w < words; ++w)
          bits[k * words + w] |= bits[d * words + w];
        bits[k * words + d / 64] |= uint64_t(1) << (d % 64);
      }
    }
  }

  /// True when `ancestor` must finish before `kernel` starts.
  bool isStrictAncestor(int64_t ancestor, int64_t kernel) const {
    size_t a = static_cast<size_t>(ancestor);
    return (bits[static_cast<size_t>(kernel) * words + a / 64] >> (a % 64)) & 1;
  }

private:
  size_t words;
  std::vector<uint64_t> bits;
};

/// What the planner knows of one Arena value.
struct Lifetime {
  int64_t value;
  uint64_t size;
  int64_t writer = -1;
  /// The kernels after which the value is dead: its readers, or its writer
  /// when nothing reads it.
  std::vector<int64_t> lastUsers;
};

} // namespace

void planArenaMemory(ExecutionPlan &plan) {
  std::vector<int64_t> lifetimeOf(plan.values.size(), -1);
  std::vector<Lifetime> lifetimes;
  for (size_t id = 0; id < plan.values.size(); ++id) {
    if (plan.values[id].kind != ValueKind::Arena)
      continue;
    lifetimeOf[id] = static_cast<int64_t>(lifetimes.size());
    lifetimes.push_back(
        {static_cast<int64_t>(id), alignUp(plan.values[id].bytes), -1, {}});
  }
  for (size_t k = 0; k < plan.kernels.size(); ++k) {
    const rt::PlanKernel &kernel = plan.kernels[k];
    for (size_t b = 0; b < kernel.buffers.size(); ++b) {
      int64_t l = lifetimeOf[static_cast<size_t>(kernel.buffers[b])];
      if (l < 0)
        continue;
      Lifetime &lifetime = lifetimes[static_cast<size_t>(l)];
      if (static_cast<int64_t>(b) >= kernel.numOperands)
        lifetime.writer = static_cast<int64_t>(k);
      else if (lifetime.lastUsers.empty() ||
               lifetime.lastUsers.back() != static_cast<int64_t>(k))
        lifetime.lastUsers.push_back(static_cast<int64_t>(k));
    }
  }
  for (Lifetime &lifetime : lifetimes) {
    assert(lifetime.writer >= 0 && "an arena value no kernel writes");
    if (lifetime.lastUsers.empty())
      lifetime.lastUsers.push_back(lifetime.writer);
  }

  AncestorMatrix ancestors(plan);
  // True when `dead` is dead in every run by the time `next`'s writer starts.
  auto deadBefore = [&](const Lifetime &dead, const Lifetime &next) {
    return std::all_of(dead.lastUsers.begin(), dead.lastUsers.end(),
                       [&](int64_t user) {
                         return ancestors.isStrictAncestor(user, next.writer);
                       });
  };

  // Largest first: big blocks placed early leave gaps the small ones fill.
  std::vector<size_t> order(lifetimes.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  // Ties in value order, so the layout is the same on every compile.
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (lifetimes[a].size != lifetimes[b].size)
      return lifetimes[a].size > lifetimes[b].size;
    return a < b;
  });

  std::vector<size_t> placed;
  std::vector<std::pair<uint64_t, uint64_t>> busy; // [begin, end), reused
  uint64_t arenaSize = 0;
  for (size_t i : order) {
    const Lifetime &lifetime = lifetimes[i];
    rt::PlanValue &value = plan.values[static_cast<size_t>(lifetime.value)];
    if (lifetime.size == 0) {
      value.offset = 0;
      continue;
    }
    busy.clear();
    for (size_t j : placed) {
      const Lifetime &other = lifetimes[j];
      if (deadBefore(other, lifetime) || deadBefore(lifetime, other))
        continue;
      uint64_t begin = plan.values[static_cast<size_t>(other.value)].offset;
      busy.push_back({begin, begin + other.size});
    }
    std::sort(busy.begin(), busy.end());
    // First fit: the lowest gap between busy ranges that holds the value.
    uint64_t offset = 0;
    for (const auto &[begin, end] : busy) {
      if (begin >= offset + lifetime.size)
        break;
      offset = std::max(offset, end);
    }
    value.offset = offset;
    arenaSize = std::max(arenaSize, offset + lifetime.size);
    placed.push_back(i);
  }
  plan.arenaSize = arenaSize;
}

} // namespace nnc
