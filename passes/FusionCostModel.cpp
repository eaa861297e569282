//===- FusionCostModel.cpp - Which nn ops nn-fuse groups ------------------===//

#include "passes/FusionCostModel.h"

#include "ir/NNOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"

#include <cassert>

using namespace mlir;

namespace nnc {

FusionKind classifyForFusion(Operation *op) {
  // The class each op's ODS declaration gives (nnFusion).
  return nn::opFacts(op).fusion;
}

bool isClonableConstant(Operation *op, const FusionOptions &options) {
  auto constant = dyn_cast<nn::ConstantOp>(op);
  if (!constant)
    return false;
  auto type = cast<RankedTensorType>(constant.getType());
  return type.hasStaticShape() &&
         type.getNumElements() <= options.maxClonedConstantElements;
}

bool isCheckedDivisor(OpOperand &use) {
  auto div = dyn_cast<nn::DivOp>(use.getOwner());
  return div && use.getOperandNumber() == 1 &&
         isa<IntegerType>(
             cast<RankedTensorType>(use.get().getType()).getElementType());
}

namespace {

bool isAttention(Operation *op) {
  return isa<nn::ScaledDotProductAttentionOp,
             nn::ScaledDotProductAttentionGradOp>(op);
}

bool keepsLastAxis(Operation *op) {
  auto transpose = dyn_cast<nn::TransposeOp>(op);
  return transpose && transpose.keepsLastAxis();
}

Value maskOf(Operation *attention) {
  if (auto forward = dyn_cast<nn::ScaledDotProductAttentionOp>(attention))
    return forward.getMask();
  return cast<nn::ScaledDotProductAttentionGradOp>(attention).getMask();
}

} // namespace

bool isFoldedIntoAttention(OpOperand &use) {
  Operation *producer = use.get().getDefiningOp();
  Operation *attention = use.getOwner();
  return producer && keepsLastAxis(producer) && isAttention(attention) &&
         use.get() != maskOf(attention);
}

namespace {

/// A group being grown; merged groups are emptied and left behind.
struct Group {
  SmallVector<Operation *> ops;
  /// The contraction or reduction of the group, if any (at most one).
  Operation *anchor = nullptr;
  /// For a reduction anchor: the values it reduces over, its operands and
  /// every value the group computed before it. An epilogue reading one of
  /// them would read the reduced tensor a second time.
  llvm::DenseSet<Value> reduced;
  /// Outlined even as a single op: it clones producers in.
  bool keepAlone = false;
};

class Partitioner {
public:
  Partitioner(Block &block, const FusionOptions &options)
      : block(block), options(options) {}

  SmallVector<SmallVector<Operation *>> run();

private:
  /// The groups that produce `op`'s operands, without repeats, in operand
  /// order.
  SmallVector<int> producerGroups(Operation *op) const;
  /// True when `op` may join the union of `groups` (the groups it reads).
  bool canJoin(Operation *op, FusionKind kind, ArrayRef<int> groups) const;
  /// True when `op` joining `candidates` would put an integer division and
  /// the producer of its divisor in one group (isCheckedDivisor).
  bool joinsADivisor(Operation *op, ArrayRef<int> candidates) const;
  /// True when some path leaves the union of `groups` and `op` and comes
  /// back, seeing groups as single nodes.
  bool wouldFormCycle(Operation *op, ArrayRef<int> groups) const;
  /// Moves `groups` and `op` into one group; returns its index.
  int merge(Operation *op, FusionKind kind, ArrayRef<int> groups);

  Block &block;
  const FusionOptions &options;
  std::vector<Group> groups;
  llvm::DenseMap<Operation *, int> groupOf;
};

SmallVector<int> Partitioner::producerGroups(Operation *op) const {
  SmallVector<int> result;
  for (Value operand : op->getOperands()) {
    Operation *producer = operand.getDefiningOp();
    if (!producer)
      continue;
    auto it = groupOf.find(producer);
    if (it != groupOf.end() && !llvm::is_contained(result, it->second))
      result.push_back(it->second);
  }
  return result;
}

bool Partitioner::canJoin(Operation *op, FusionKind kind,
                          ArrayRef<int> candidates) const {
  int64_t size = 1;
  Operation *anchor = kind == FusionKind::Elementwise ? nullptr : op;
  for (int g : candidates) {
    const Group &group = groups[static_cast<size_t>(g)];
    size += static_cast<int64_t>(group.ops.size());
    if (!group.anchor)
      continue;
    // One expensive op per group: two would each want their own loop nest.
    if (anchor)
      return false;
    anchor = group.anchor;
    FusionKind anchorKind = classifyForFusion(group.anchor);
    if (anchorKind == FusionKind::Contraction && !options.fuseContractions)
      return false;
    if (anchorKind == FusionKind::Reduction) {
      if (!options.fuseReductions)
        return false;
      // An epilogue of a reduction sees the reduced result once per
      // element; reading the reduced input too would need a second pass
      // over it (x - max(x) stays a kernel apart).
      for (Value operand : op->getOperands())
        if (group.reduced.contains(operand))
          return false;
    }
  }
  if (kind == FusionKind::Reduction && !options.fuseReductions)
    return false;
  if (size > options.maxGroupSize)
    return false;
  if (joinsADivisor(op, candidates))
    return false;
  return !wouldFormCycle(op, candidates);
}

bool Partitioner::joinsADivisor(Operation *op, ArrayRef<int> candidates) const {
  auto groupOfDivisor = [&](OpOperand &use) -> int {
    Operation *producer = use.get().getDefiningOp();
    auto it = producer ? groupOf.find(producer) : groupOf.end();
    return it == groupOf.end() ? -1 : it->second;
  };
  for (OpOperand &use : op->getOpOperands())
    if (isCheckedDivisor(use) &&
        llvm::is_contained(candidates, groupOfDivisor(use)))
      return true;
  for (int g : candidates)
    for (Operation *member : groups[static_cast<size_t>(g)].ops)
      for (OpOperand &use : member->getOpOperands())
        if (isCheckedDivisor(use) && groupOfDivisor(use) != g &&
            llvm::is_contained(candidates, groupOfDivisor(use)))
          return true;
  return false;
}

bool Partitioner::wouldFormCycle(Operation *op,
                                 ArrayRef<int> candidates) const {
  // Joining the one group that computes everything `op` reads in the block
  // (but constants) adds no path between kernels: no new edge leaves the
  // group, and ops join in block order, so nothing reads `op` yet. Such a
  // join is every link of a chain, where the walk below, back to the
  // chain's start for every op, made a 20,000-op chain take 13 s.
  if (candidates.size() == 1 &&
      llvm::all_of(op->getOperands(), [&](Value operand) {
        Operation *producer = operand.getDefiningOp();
        if (!producer || producer->getBlock() != &block ||
            producer->getNumOperands() == 0)
          return true;
        auto it = groupOf.find(producer);
        return it != groupOf.end() && it->second == candidates.front();
      }))
    return false;
  llvm::DenseSet<Operation *> members;
  members.insert(op);
  for (int g : candidates)
    members.insert(groups[static_cast<size_t>(g)].ops.begin(),
                   groups[static_cast<size_t>(g)].ops.end());
  // Walk backwards from the producers outside the new group; reaching a
  // member again means the group would both feed and read that path. An
  // op in another group stands for its whole group, which will be one
  // kernel.
  SmallVector<Operation *> worklist;
  llvm::DenseSet<Operation *> visited;
  auto pushProducers = [&](Operation *user, bool fromMember) {
    for (Value operand : user->getOperands()) {
      Operation *producer = operand.getDefiningOp();
      if (!producer || producer->getBlock() != &block)
        continue;
      if (fromMember && members.contains(producer))
        continue;
      worklist.push_back(producer);
    }
  };
  for (Operation *member : members)
    pushProducers(member, /*fromMember=*/true);
  while (!worklist.empty()) {
    Operation *current = worklist.pop_back_val();
    if (members.contains(current))
      return true;
    if (!visited.insert(current).second)
      continue;
    pushProducers(current, /*fromMember=*/false);
    auto it = groupOf.find(current);
    if (it == groupOf.end())
      continue;
    for (Operation *mate : groups[static_cast<size_t>(it->second)].ops)
      if (mate != current && !visited.contains(mate)) {
        visited.insert(mate);
        pushProducers(mate, /*fromMember=*/false);
      }
  }
  return false;
}

int Partitioner::merge(Operation *op, FusionKind kind,
                       ArrayRef<int> candidates) {
  int target;
  if (candidates.empty()) {
    target = static_cast<int>(groups.size());
    groups.emplace_back();
  } else {
    // Keep the group with the anchor, if any, so its bookkeeping stays.
    target = candidates.front();
    for (int g : candidates)
      if (groups[static_cast<size_t>(g)].anchor)
        target = g;
  }
  Group &into = groups[static_cast<size_t>(target)];
  for (int g : candidates) {
    if (g == target)
      continue;
    Group &from = groups[static_cast<size_t>(g)];
    for (Operation *member : from.ops)
      groupOf[member] = target;
    into.ops.append(from.ops.begin(), from.ops.end());
    from.ops.clear();
  }
  into.ops.push_back(op);
  groupOf[op] = target;
  if (kind != FusionKind::Elementwise) {
    assert(!into.anchor && "a group with two anchors");
    into.anchor = op;
  }
  if (kind == FusionKind::Reduction) {
    // Everything computed so far is the reduction's prologue.
    for (Value operand : op->getOperands())
      into.reduced.insert(operand);
    for (Operation *member : into.ops)
      if (member != op)
        into.reduced.insert(member->getResults().begin(),
                            member->getResults().end());
  }
  return target;
}

SmallVector<SmallVector<Operation *>> Partitioner::run() {
  for (Operation &op : block.without_terminator()) {
    FusionKind kind = classifyForFusion(&op);
    switch (kind) {
    case FusionKind::Constant:
    case FusionKind::Opaque:
      break;
    case FusionKind::Contraction:
      // Prologues would be recomputed for every reuse of an operand
      // element, so a contraction always starts a group.
      merge(&op, kind, {});
      break;
    case FusionKind::Elementwise:
    case FusionKind::Reduction: {
      // Join as many producer groups as the rules allow, in operand order.
      SmallVector<int> chosen;
      for (int g : producerGroups(&op)) {
        if (kind == FusionKind::Reduction &&
            groups[static_cast<size_t>(g)].anchor)
          continue;
        SmallVector<int> trial = chosen;
        trial.push_back(g);
        if (canJoin(&op, kind, trial))
          chosen = std::move(trial);
      }
      int joined = merge(&op, kind, chosen);
      // Alone, an element-wise op reading a small constant is still
      // outlined, so that the constant is cloned in where the backend's
      // code sees its value: pow(x, 2) of an input compiles to x * x
      // rather than a libm pow per element of an exponent read from
      // another kernel's buffer (97 times slower).
      if (kind == FusionKind::Elementwise &&
          llvm::any_of(op.getOpOperands(), [&](OpOperand &use) {
            Operation *producer = use.get().getDefiningOp();
            return producer && isClonableConstant(producer, options) &&
                   !isCheckedDivisor(use);
          }))
        groups[static_cast<size_t>(joined)].keepAlone = true;
      break;
    }
    }
  }

  // Attention groups are formed last, so that nothing else joins them:
  // the transposes it writes through, and, even alone, one that folds the
  // transposes it reads.
  for (Operation &op : block.without_terminator()) {
    if (!isAttention(&op))
      continue;
    Group group;
    group.anchor = &op;
    group.ops.push_back(&op);
    for (Value result : op.getResults())
      if (result.hasOneUse() && keepsLastAxis(*result.getUsers().begin()))
        group.ops.push_back(*result.getUsers().begin());
    group.keepAlone = llvm::any_of(op.getOpOperands(), isFoldedIntoAttention);
    groups.push_back(std::move(group));
  }

  llvm::DenseMap<Operation *, unsigned> position;
  for (auto [index, op] : llvm::enumerate(block.without_terminator()))
    position[&op] = static_cast<unsigned>(index);
  SmallVector<SmallVector<Operation *>> result;
  for (Group &group : groups) {
    if (group.ops.size() < 2 && !(group.keepAlone && !group.ops.empty()))
      continue;
    llvm::sort(group.ops, [&](Operation *a, Operation *b) {
      return position.lookup(a) < position.lookup(b);
    });
    result.push_back(group.ops);
  }
  llvm::sort(result, [&](const auto &a, const auto &b) {
    return position.lookup(a.front()) < position.lookup(b.front());
  });
  return result;
}

} // namespace

SmallVector<SmallVector<Operation *>>
computeFusionGroups(Block &block, const FusionOptions &options) {
  assert(options.maxGroupSize >= 2 && "a group holds at least two ops");
  return Partitioner(block, options).run();
}

} // namespace nnc
