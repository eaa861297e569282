//===- SimplifyPass.cpp - Algebraic simplification of nn graphs -----------===//
//
// The pass form of populateSimplifyPatterns (passes/SimplifyPatterns.h),
// applied with the greedy driver, which also folds and erases dead ops.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/SimplifyPatterns.h"

#include "ir/NNDialect.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace nnc {
#define GEN_PASS_DEF_SIMPLIFYPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

struct SimplifyPass : nnc::impl::SimplifyPassBase<SimplifyPass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *context) override {
    RewritePatternSet set(context);
    nnc::populateSimplifyPatterns(set);
    patterns = FrozenRewritePatternSet(std::move(set));
    return success();
  }

  void runOnOperation() override {
    // Not converging within the driver's iteration limit leaves valid IR
    // that is only less simplified, as with canonicalize.
    (void)applyPatternsAndFoldGreedily(getOperation(), patterns);
  }

  FrozenRewritePatternSet patterns;
};

} // namespace
