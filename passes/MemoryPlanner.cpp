//===- MemoryPlanner.cpp - Arena offsets for a scheduled graph ------------===//

#include "passes/MemoryPlanner.h"

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <utility>
#include <vector>

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

/// What the planner knows of one block of bytes: an Arena value, or values
/// computed in place of each other or viewing each other.
struct Lifetime {
  /// The first value of the block; the offset is chosen for it.
  int64_t value;
  uint64_t size;
  /// The kernel that writes the first value.
  int64_t writer = -1;
  /// The kernels after which the block is dead: every writer and reader of
  /// its values.
  std::vector<int64_t> lastUsers;
};

/// Readers and writer of every value, from the kernels' buffers.
struct ValueUses {
  std::vector<int64_t> writer;
  std::vector<std::vector<int64_t>> readers;
};

ValueUses collectUses(const ExecutionPlan &plan) {
  ValueUses uses{std::vector<int64_t>(plan.values.size(), -1),
                 std::vector<std::vector<int64_t>>(plan.values.size())};
  for (size_t k = 0; k < plan.kernels.size(); ++k) {
    const rt::PlanKernel &kernel = plan.kernels[k];
    for (size_t b = 0; b < kernel.buffers.size(); ++b) {
      size_t id = static_cast<size_t>(kernel.buffers[b]);
      std::vector<int64_t> &readers = uses.readers[id];
      if (static_cast<int64_t>(b) >= kernel.numOperands)
        uses.writer[id] = static_cast<int64_t>(k);
      else if (readers.empty() || readers.back() != static_cast<int64_t>(k))
        readers.push_back(static_cast<int64_t>(k));
    }
  }
  return uses;
}

/// True when `result`, an Output value, is the update of `operand`, an Input
/// value: a parameter, buffer or optimizer slot and its value after the
/// step, bound under one name.
bool isStateUpdate(const ExecutionPlan &plan, const rt::PlanValue &operand,
                   const rt::PlanValue &result) {
  if (operand.kind != ValueKind::Input || result.kind != ValueKind::Output ||
      operand.index < 0 ||
      static_cast<size_t>(operand.index) >= plan.inputs.size() ||
      result.index < 0 ||
      static_cast<size_t>(result.index) >= plan.outputs.size())
    return false;
  const rt::ExternalBinding &state = plan.inputs[operand.index];
  const rt::ExternalBinding &update = plan.outputs[result.index];
  if (state.name.empty() || state.name != update.name)
    return false;
  switch (update.role) {
  case rt::BindingRole::ParamUpdate:
    return state.role == rt::BindingRole::Param;
  case rt::BindingRole::BufferUpdate:
    return state.role == rt::BindingRole::Buffer;
  case rt::BindingRole::OptStateUpdate:
    return state.role == rt::BindingRole::OptState;
  default:
    return false;
  }
}

/// Makes every other reader of a state a dependency of the kernel that may
/// update the state in place (`candidates` naming a state and its update),
/// so that the update can take the state's buffer: the readers come first
/// in the kernel order, and nothing they compute depends on the update, so
/// this only takes away concurrency the step's last kernels rarely have. A
/// reader later in the kernel order cannot be ordered so; that state then
/// keeps its copy.
void orderStateReaders(ExecutionPlan &plan,
                       const std::vector<InPlaceCandidate> &candidates,
                       const ValueUses &uses) {
  const int64_t numValues = static_cast<int64_t>(plan.values.size());
  const int64_t numKernels = static_cast<int64_t>(plan.kernels.size());
  for (const InPlaceCandidate &candidate : candidates) {
    if (candidate.operand < 0 || candidate.operand >= numValues ||
        candidate.result < 0 || candidate.result >= numValues ||
        candidate.kernel < 0 || candidate.kernel >= numKernels ||
        !isStateUpdate(plan, plan.values[candidate.operand],
                       plan.values[candidate.result]) ||
        uses.writer[candidate.result] != candidate.kernel)
      continue;
    const std::vector<int64_t> &readers = uses.readers[candidate.operand];
    if (std::any_of(readers.begin(), readers.end(),
                    [&](int64_t reader) { return reader > candidate.kernel; }))
      continue;
    std::vector<int64_t> &dependencies =
        plan.kernels[candidate.kernel].dependencies;
    for (int64_t reader : readers)
      if (reader != candidate.kernel &&
          std::find(dependencies.begin(), dependencies.end(), reader) ==
              dependencies.end())
        dependencies.push_back(reader);
    std::sort(dependencies.begin(), dependencies.end());
  }
}

/// Values that share bytes: each Arena value (and each state with its
/// update) starts as a block of its own, and every taken candidate joins
/// its result's block to its operand's.
class Blocks {
public:
  explicit Blocks(size_t numValues) : rootOf(numValues), members(numValues) {
    for (size_t v = 0; v < numValues; ++v) {
      rootOf[v] = static_cast<int64_t>(v);
      members[v] = {static_cast<int64_t>(v)};
    }
  }

  /// The first value of `value`'s block, whose writer starts it.
  int64_t root(int64_t value) const {
    return rootOf[static_cast<size_t>(value)];
  }
  /// The values of the block whose first value is `root`.
  const std::vector<int64_t> &of(int64_t root) const {
    return members[static_cast<size_t>(root)];
  }

  /// Moves every value of `value`'s block into `into`'s block.
  void join(int64_t into, int64_t value) {
    int64_t to = root(into), from = root(value);
    if (to == from)
      return;
    for (int64_t member : members[static_cast<size_t>(from)]) {
      rootOf[static_cast<size_t>(member)] = to;
      members[static_cast<size_t>(to)].push_back(member);
    }
    members[static_cast<size_t>(from)].clear();
  }

private:
  std::vector<int64_t> rootOf;
  std::vector<std::vector<int64_t>> members;
};

/// True when `kernel` may write over the block holding `operand`: it reads
/// `operand`, and every other reader of a value of that block (`operand`'s
/// other readers, the views of it and their readers) is a strict ancestor.
bool mayWriteOver(int64_t kernel, int64_t operand, const Blocks &blocks,
                  const ValueUses &uses, const AncestorMatrix &ancestors) {
  const std::vector<int64_t> &operandReaders =
      uses.readers[static_cast<size_t>(operand)];
  if (std::find(operandReaders.begin(), operandReaders.end(), kernel) ==
      operandReaders.end())
    return false;
  for (int64_t member : blocks.of(blocks.root(operand)))
    for (int64_t reader : uses.readers[static_cast<size_t>(member)])
      if (!(member == operand && reader == kernel) &&
          !ancestors.isStrictAncestor(reader, kernel))
        return false;
  return true;
}

/// Takes the candidates that hold (see planArenaMemory) by setting the
/// results' `reuses`; returns the blocks of values sharing bytes.
Blocks takeInPlaceCandidates(ExecutionPlan &plan,
                             const std::vector<InPlaceCandidate> &candidates,
                             const ValueUses &uses,
                             const AncestorMatrix &ancestors) {
  Blocks blocks(plan.values.size());
  std::vector<bool> writtenOver(plan.values.size(), false);
  const int64_t numValues = static_cast<int64_t>(plan.values.size());
  auto take = [&](const InPlaceCandidate &candidate) {
    if (candidate.operand < 0 || candidate.operand >= numValues ||
        candidate.result < 0 || candidate.result >= numValues ||
        candidate.kernel < 0 ||
        candidate.kernel >= static_cast<int64_t>(plan.kernels.size()))
      return;
    size_t operand = static_cast<size_t>(candidate.operand);
    size_t result = static_cast<size_t>(candidate.result);
    const rt::PlanValue &from = plan.values[operand];
    rt::PlanValue &to = plan.values[result];
    bool arenaPair =
        from.kind == ValueKind::Arena && to.kind == ValueKind::Arena;
    bool stateUpdate = !candidate.view && isStateUpdate(plan, from, to);
    // A view may look at a graph input where the caller's bytes lie; the
    // graph never writes those, so nothing may be written over it.
    bool inputView = candidate.view && rt::isGraphInput(plan, from) &&
                     to.kind == ValueKind::Arena;
    if (!candidate.view && arenaPair &&
        plan.values[static_cast<size_t>(blocks.root(candidate.operand))].kind !=
            ValueKind::Arena)
      return;
    if ((!arenaPair && !stateUpdate && !inputView) || from.dtype != to.dtype ||
        from.bytes != to.bytes || uses.writer[result] != candidate.kernel ||
        to.reuses >= 0 ||
        blocks.root(candidate.result) == blocks.root(candidate.operand))
      return;
    if (candidate.view) {
      const std::vector<int64_t> &readers = uses.readers[operand];
      if (std::find(readers.begin(), readers.end(), candidate.kernel) ==
          readers.end())
        return;
    } else if (writtenOver[operand] ||
               !mayWriteOver(candidate.kernel, candidate.operand, blocks, uses,
                             ancestors)) {
      return;
    }
    to.reuses = candidate.operand;
    if (!candidate.view)
      writtenOver[operand] = true;
    blocks.join(candidate.operand, candidate.result);
  };
  // Views first: they cost nothing to share and save a copy, while a write
  // over a block must wait for every reader of its views.
  for (const InPlaceCandidate &candidate : candidates)
    if (candidate.view)
      take(candidate);
  for (const InPlaceCandidate &candidate : candidates)
    if (!candidate.view)
      take(candidate);
  return blocks;
}

} // namespace

void planArenaMemory(ExecutionPlan &plan,
                     const std::vector<InPlaceCandidate> &candidates) {
  for (rt::PlanValue &value : plan.values)
    value.reuses = -1;
  // Readers and writers come from the kernels' buffers, which the added
  // dependencies leave as they are.
  ValueUses uses = collectUses(plan);
  orderStateReaders(plan, candidates, uses);
  AncestorMatrix ancestors(plan);
  Blocks blocks = takeInPlaceCandidates(plan, candidates, uses, ancestors);

  // One lifetime per block, from its first value's write until every kernel
  // touching one of its values has run.
  std::vector<Lifetime> lifetimes;
  for (size_t id = 0; id < plan.values.size(); ++id) {
    const rt::PlanValue &value = plan.values[id];
    if (value.kind != ValueKind::Arena || value.reuses >= 0)
      continue;
    assert(uses.writer[id] >= 0 && "an arena value no kernel writes");
    Lifetime lifetime{
        static_cast<int64_t>(id), alignUp(value.bytes), uses.writer[id], {}};
    for (int64_t member : blocks.of(static_cast<int64_t>(id))) {
      const std::vector<int64_t> &readers =
          uses.readers[static_cast<size_t>(member)];
      lifetime.lastUsers.insert(lifetime.lastUsers.end(), readers.begin(),
                                readers.end());
      lifetime.lastUsers.push_back(uses.writer[static_cast<size_t>(member)]);
    }
    std::sort(lifetime.lastUsers.begin(), lifetime.lastUsers.end());
    lifetime.lastUsers.erase(
        std::unique(lifetime.lastUsers.begin(), lifetime.lastUsers.end()),
        lifetime.lastUsers.end());
    lifetimes.push_back(std::move(lifetime));
  }

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
  // The rest of each block shares its first value's bytes; a view of a
  // graph input has none in the arena.
  for (const Lifetime &lifetime : lifetimes) {
    uint64_t offset = plan.values[static_cast<size_t>(lifetime.value)].offset;
    for (int64_t member : blocks.of(lifetime.value))
      plan.values[static_cast<size_t>(member)].offset = offset;
  }
  std::vector<int64_t> views = rt::viewedGraphInputs(plan);
  for (size_t id = 0; id < plan.values.size(); ++id)
    if (views[id] >= 0)
      plan.values[id].offset = 0;
  plan.arenaSize = arenaSize;
}

} // namespace nnc
