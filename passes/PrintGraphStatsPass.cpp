//===- PrintGraphStatsPass.cpp - Show graph statistics for tests ----------===//
//
// computeGraphStats needs a plan, which is not a rewrite of the IR, so lit
// tests reach it through this pass, which plans and prints.
//
//===----------------------------------------------------------------------===//

#include "passes/ExecutionPlanner.h"
#include "passes/GraphStats.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/raw_ostream.h"

namespace nnc {
#define GEN_PASS_DEF_PRINTGRAPHSTATSPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

struct PrintGraphStatsPass
    : nnc::impl::PrintGraphStatsPassBase<PrintGraphStatsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<func::FuncOp> functions(getOperation().getOps<func::FuncOp>());
    for (func::FuncOp function : functions) {
      if (function.isExternal())
        continue;
      FailureOr<nnc::PlannedGraph> planned = nnc::planExecution(function);
      if (failed(planned))
        return signalPassFailure();
      llvm::outs() << "graph stats for @" << function.getSymName() << "\n"
                   << nnc::formatGraphStats(
                          nnc::computeGraphStats(function, planned->plan));
    }
  }
};

} // namespace
