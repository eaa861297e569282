//===- ExecutionPlanner.h - Partition, schedule and memory plan -*- C++ -*-===//
//
// Turns a forward function with static shapes (after nn-specialize-batch)
// into what a backend compiles and what the runtime executes:
//
//  - partition: every nn op becomes its own kernel function, `@kernel_K` in
//    a new module, K in the order of the ops, and every `nn.fusion` group
//    (from nn-fuse) one kernel whose body is the group's ops, inlined.
//    A kernel's arguments are the op's distinct operands in order, its
//    results the op's results; an `nn.constant` is a kernel without
//    arguments. This module is what crosses the plugin ABI.
//  - schedule: kernel K depends on the kernels that write its operands.
//  - memory plan: intermediates get offsets in one arena (MemoryPlanner.h);
//    graph arguments are the caller's input buffers and results the
//    caller's output buffers, which their kernels write directly. A kernel
//    result computed by an elementwise op or optimizer update from a
//    same-typed argument that nothing in the kernel reads afterwards may
//    take that argument's bytes (in place) when the graph allows it.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_EXECUTIONPLANNER_H
#define NNC_PASSES_EXECUTIONPLANNER_H

#include "runtime/ExecutionPlan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LogicalResult.h"

namespace nnc {

/// A partitioned graph: the kernel functions and how to run them.
struct PlannedGraph {
  /// `func.func @kernel_0`, `@kernel_1`, ... with static tensor types; kernel
  /// K is `plan.kernels[K]`.
  mlir::OwningOpRef<mlir::ModuleOp> kernels;
  rt::ExecutionPlan plan;
};

/// Choices of the planner.
struct PlanOptions {
  /// Let kernels compute results in place of operands they read last
  /// (PlanValue::reuses); off, every arena value has bytes of its own.
  bool inPlace = true;
};

/// Partitions, schedules and plans the memory of `forward`, which is left
/// unchanged. Argument and result names and roles come from the `nn.name`
/// and `nn.role` attributes. Fails, with an error at the offending argument
/// or op, on a type that is not a static tensor of f32, f64, i32 or i64
/// (a batch left dynamic, for one), on an `nn.role` that is no
/// rt::BindingRole, on an op outside the nn dialect and on a tensor too
/// large to address.
mlir::FailureOr<PlannedGraph> planExecution(mlir::func::FuncOp forward,
                                            const PlanOptions &options = {});

} // namespace nnc

#endif // NNC_PASSES_EXECUTIONPLANNER_H
