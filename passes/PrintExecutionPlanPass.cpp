//===- PrintExecutionPlanPass.cpp - Show execution plans for tests --------===//
//
// The partitioner, scheduler and memory planner are a function, not a
// rewrite (their result is a plan and a new module), so lit tests reach them
// through this pass, which prints what planExecution returns.
//
//===----------------------------------------------------------------------===//

#include "passes/ExecutionPlanner.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/raw_ostream.h"

namespace nnc {
#define GEN_PASS_DEF_PRINTEXECUTIONPLANPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

struct PrintExecutionPlanPass
    : nnc::impl::PrintExecutionPlanPassBase<PrintExecutionPlanPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<func::FuncOp> functions(getOperation().getOps<func::FuncOp>());
    for (func::FuncOp function : functions) {
      if (function.isExternal())
        continue;
      nnc::PlanOptions options;
      options.inPlace = inPlace;
      FailureOr<nnc::PlannedGraph> planned =
          nnc::planExecution(function, options);
      if (failed(planned))
        return signalPassFailure();
      // The planner asserts this too; checking here makes the lit tests
      // catch a bad plan in release builds.
      if (nnc::rt::Error error = nnc::rt::verifyExecutionPlan(planned->plan);
          !error.ok()) {
        function.emitError() << "invalid execution plan: " << error.message();
        return signalPassFailure();
      }
      llvm::outs() << "execution plan for @" << function.getSymName() << "\n"
                   << nnc::rt::formatExecutionPlan(planned->plan);
      if (printKernels)
        llvm::outs() << *planned->kernels << "\n";
    }
  }
};

} // namespace
