//===- GraphStats.cpp - Size and cost numbers of a planned graph ----------===//

#include "passes/GraphStats.h"

#include "llvm/ADT/STLExtras.h"

#include "passes/FusionCostModel.h"

#include "ir/NNOps.h"

#include "mlir/IR/BuiltinTypes.h"

#include <algorithm>

using namespace mlir;

namespace nnc {

namespace {

/// Elements of a static tensor; 0 for anything else.
uint64_t elementsOf(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return 0;
  return static_cast<uint64_t>(tensor.getNumElements());
}

/// 2·(c/groups)·kh·kw: the multiply-adds of one output element, from a
/// weight of shape [f, c/groups, kh, kw].
uint64_t convFlopsPerOutput(Type weight) {
  auto tensor = dyn_cast<RankedTensorType>(weight);
  if (!tensor || !tensor.hasStaticShape() || tensor.getRank() != 4 ||
      tensor.getDimSize(0) == 0)
    return 0;
  return 2 * elementsOf(tensor) / static_cast<uint64_t>(tensor.getDimSize(0));
}

uint64_t matmulFlops(nn::MatmulOp op) {
  auto lhs = dyn_cast<RankedTensorType>(op.getLhs().getType());
  if (!lhs || lhs.getRank() < 2)
    return 0;
  // The contracted extent: lhs's last axis, or the one before it when lhs
  // is read transposed. Read by name, as not every matmul carries it.
  auto transposed = op->getAttrOfType<BoolAttr>("transpose_lhs");
  int64_t axis =
      lhs.getRank() - ((transposed && transposed.getValue()) ? 2 : 1);
  int64_t k = lhs.getDimSize(axis);
  if (ShapedType::isDynamic(k))
    return 0;
  return 2 * static_cast<uint64_t>(k) * elementsOf(op.getType());
}

/// The matrix products of attention: per head, q kT [t, s] then P v for the
/// forward; for the gradient, q kT again, PT dout, dout vT, dS k and dST q.
/// A causal triangle is counted whole.
template <typename AttentionOp>
uint64_t attentionFlops(AttentionOp op, bool gradient) {
  auto q = cast<RankedTensorType>(op.getQ().getType());
  auto k = cast<RankedTensorType>(op.getK().getType());
  auto v = cast<RankedTensorType>(op.getV().getType());
  if (!q.hasStaticShape() || !k.hasStaticShape() || !v.hasStaticShape())
    return 0;
  int64_t rank = q.getRank();
  uint64_t queries = static_cast<uint64_t>(q.getDimSize(rank - 2));
  uint64_t depth = static_cast<uint64_t>(q.getDimSize(rank - 1));
  uint64_t keys = static_cast<uint64_t>(k.getDimSize(rank - 2));
  uint64_t valueDepth = static_cast<uint64_t>(v.getDimSize(rank - 1));
  uint64_t heads = elementsOf(q) / std::max<uint64_t>(1, queries * depth);
  uint64_t perScore =
      gradient ? 3 * depth + 2 * valueDepth : depth + valueDepth;
  return 2 * heads * queries * keys * perScore;
}

} // namespace

uint64_t opFlops(Operation *op) {
  if (auto fusion = dyn_cast<nn::FusionOp>(op)) {
    uint64_t total = 0;
    for (Operation &inner : fusion.getBody().front().without_terminator())
      total += opFlops(&inner);
    return total;
  }
  if (!isa_and_nonnull<nn::NNDialect>(op->getDialect()))
    return 0;
  if (auto matmul = dyn_cast<nn::MatmulOp>(op))
    return matmulFlops(matmul);
  if (auto attention = dyn_cast<nn::ScaledDotProductAttentionOp>(op))
    return attentionFlops(attention, /*gradient=*/false);
  if (auto attention = dyn_cast<nn::ScaledDotProductAttentionGradOp>(op))
    return attentionFlops(attention, /*gradient=*/true);
  if (auto conv = dyn_cast<nn::Conv2dOp>(op)) {
    uint64_t out = elementsOf(conv.getType());
    return out * convFlopsPerOutput(conv.getW().getType()) +
           (conv.getBias() ? out : 0);
  }
  if (auto grad = dyn_cast<nn::Conv2dGradInputOp>(op))
    return elementsOf(grad.getDy().getType()) *
           convFlopsPerOutput(grad.getW().getType());
  if (auto grad = dyn_cast<nn::Conv2dGradWeightOp>(op))
    return elementsOf(grad.getDy().getType()) *
           convFlopsPerOutput(grad.getType());
  if (isa<nn::ConstantOp, nn::ReshapeOp, nn::TransposeOp, nn::BroadcastToOp,
          nn::ConcatOp, nn::SliceOp, nn::SliceGradOp, nn::GatherOp,
          nn::GatherGradOp, nn::YieldOp>(op))
    return 0;
  if (classifyForFusion(op) == FusionKind::Elementwise) {
    uint64_t total = 0;
    for (Type type : op->getResultTypes())
      total += elementsOf(type);
    return total;
  }
  uint64_t largest = 0;
  for (Type type : op->getOperandTypes())
    largest = std::max(largest, elementsOf(type));
  for (Type type : op->getResultTypes())
    largest = std::max(largest, elementsOf(type));
  return largest;
}

GraphStats computeGraphStats(func::FuncOp function,
                             const rt::ExecutionPlan &plan) {
  GraphStats stats;
  function.walk([&](Operation *op) {
    if (isa<nn::FusionOp>(op)) {
      ++stats.fusionGroups;
      stats.flops += opFlops(op);
      return;
    }
    if (!isa_and_nonnull<nn::NNDialect>(op->getDialect()) ||
        isa<nn::ConstantOp, nn::YieldOp>(op))
      return;
    ++stats.ops;
    // Ops inside a group are counted by the group's flops.
    if (!isa<nn::FusionOp>(op->getParentOp()))
      stats.flops += opFlops(op);
  });
  stats.kernels = static_cast<int64_t>(plan.kernels.size());
  stats.arenaBytes = plan.arenaSize;
  for (const rt::PlanValue &value : plan.values)
    if (value.reuses >= 0)
      ++(value.kind == rt::ValueKind::Arena ? stats.inPlaceValues
                                            : stats.stateUpdatesInPlace);

  // Live ranges in plan order, one per block of bytes: a value computed in
  // place of another, or viewing it, shares its bytes, so a block counts
  // once from its first value's write to the last kernel touching any of
  // its values.
  size_t numValues = plan.values.size();
  auto blockOf = [&](size_t v) {
    // `reuses` points to an earlier-written value of the same block.
    while (plan.values[v].reuses >= 0 &&
           plan.values[v].kind == rt::ValueKind::Arena)
      v = static_cast<size_t>(plan.values[v].reuses);
    return v;
  };
  std::vector<int64_t> first(numValues, -1), last(numValues, -1);
  for (auto [k, kernel] : llvm::enumerate(plan.kernels)) {
    for (auto [i, id] : llvm::enumerate(kernel.buffers)) {
      size_t v = static_cast<size_t>(id);
      if (plan.values[v].kind != rt::ValueKind::Arena)
        continue;
      size_t block = blockOf(v);
      if (static_cast<int64_t>(i) >= kernel.numOperands && first[block] < 0)
        first[block] = static_cast<int64_t>(k);
      last[block] = std::max<int64_t>(last[block], static_cast<int64_t>(k));
    }
  }
  for (size_t k = 0; k < plan.kernels.size(); ++k) {
    uint64_t live = 0;
    for (size_t v = 0; v < numValues; ++v)
      if (plan.values[v].kind == rt::ValueKind::Arena && first[v] >= 0 &&
          static_cast<int64_t>(k) >= first[v] &&
          static_cast<int64_t>(k) <= last[v])
        live += plan.values[v].bytes;
    stats.peakLiveBytes = std::max(stats.peakLiveBytes, live);
  }
  for (const rt::ExternalBinding &binding : plan.inputs)
    if ((binding.role == rt::BindingRole::Param ||
         binding.role == rt::BindingRole::Buffer ||
         binding.role == rt::BindingRole::OptState) &&
        binding.value >= 0 &&
        binding.value < static_cast<int64_t>(plan.values.size()))
      stats.stateBytes += plan.values[binding.value].bytes;
  return stats;
}

std::string formatGraphStats(const GraphStats &stats) {
  return "ops: " + std::to_string(stats.ops) +
         "\nfusion_groups: " + std::to_string(stats.fusionGroups) +
         "\nkernels: " + std::to_string(stats.kernels) +
         "\narena_bytes: " + std::to_string(stats.arenaBytes) +
         "\nin_place_values: " + std::to_string(stats.inPlaceValues) +
         "\nflops: " + std::to_string(stats.flops) +
         "\npeak_live_bytes: " + std::to_string(stats.peakLiveBytes) +
         "\nstate_bytes: " + std::to_string(stats.stateBytes) +
         "\nstate_updates_in_place: " +
         std::to_string(stats.stateUpdatesInPlace) + "\n";
}

} // namespace nnc
