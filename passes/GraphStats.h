//===- GraphStats.h - Size and cost numbers of a planned graph --*- C++ -*-===//
//
// What `nnc ir --stats` and the nn-print-graph-stats test pass report about
// a function and its execution plan: how many ops, fusion groups and
// kernels, how large the arena, and how much arithmetic one run does.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_GRAPHSTATS_H
#define NNC_PASSES_GRAPHSTATS_H

#include "runtime/ExecutionPlan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Operation.h"

#include <cstdint>
#include <string>

namespace nnc {

/// Numbers of one function and its plan.
struct GraphStats {
  /// nn ops that compute something, counted inside fusion groups too;
  /// constants, nn.fusion and nn.yield are not counted.
  int64_t ops = 0;
  /// nn.fusion ops of the function.
  int64_t fusionGroups = 0;
  /// Kernels of the plan: what the executor launches per run.
  int64_t kernels = 0;
  /// Bytes of the plan's arena (intermediates between kernels).
  uint64_t arenaBytes = 0;
  /// Arena values the plan computes in place of an operand.
  int64_t inPlaceValues = 0;
  /// Floating-point operations of one run, per opFlops().
  uint64_t flops = 0;
  /// The most bytes of intermediates alive at once when the kernels run one
  /// after another in plan order: the floor any arena layout must reach.
  uint64_t peakLiveBytes = 0;
  /// Bytes of the parameters, buffers and optimizer state the graph reads
  /// (its external state, outside the arena).
  uint64_t stateBytes = 0;
  /// Updates of that state the step writes over the state itself
  /// (rt::PlanValue::reuses of an Output value).
  int64_t stateUpdatesInPlace = 0;
};

/// The arithmetic of one run of `op`, whose types must be static:
///  - matmul: 2·M·N·K per matrix of the (broadcast) batch, that is
///    2·K per result element;
///  - conv2d and its two gradients: 2·(c/groups)·kh·kw per element of the
///    output-shaped tensor (the result, or `dy`), plus one per result
///    element for conv2d's bias;
///  - elementwise ops (FusionCostModel's Elementwise kind, optimizer
///    updates included): one per element of each result;
///  - data movement (reshape, transpose, broadcast_to, concat, slice,
///    gather, their gradients, constants): none;
///  - every other op (reductions, softmax, losses, pooling, norms,
///    dropout): one per element of its largest operand or result.
/// nn.fusion counts the ops of its body; ops of other dialects count 0.
uint64_t opFlops(mlir::Operation *op);

/// Counts the ops and groups of `function` (after nn-fuse, or not) and
/// reads the kernels and arena of `plan`, its execution plan.
GraphStats computeGraphStats(mlir::func::FuncOp function,
                             const rt::ExecutionPlan &plan);

/// One `key: value` line per number, in declaration order.
std::string formatGraphStats(const GraphStats &stats);

} // namespace nnc

#endif // NNC_PASSES_GRAPHSTATS_H
