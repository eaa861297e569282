//===- CollapseContiguousLoops.cpp - One loop per contiguous run ----------===//

#include "backends/cpu/compiler/CollapseContiguousLoops.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace nnc::cpu {

SmallVector<ReassociationIndices> contiguousLoopRuns(linalg::LinalgOp op) {
  SmallVector<ReassociationIndices> runs;
  // A map such as (oh, kh) -> (oh * 2 + kh), a pooling window's, does not
  // split back into loops: merge only where every map picks loops.
  if (!isa<linalg::GenericOp, linalg::CopyOp>(op.getOperation()) ||
      !op.hasOnlyProjectedPermutations())
    return runs;
  for (Value operand : op->getOperands()) {
    auto type = dyn_cast<MemRefType>(operand.getType());
    if (!type || !type.getLayout().isIdentity())
      return runs;
  }
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  ReassociationIndices run;
  for (int64_t loop = 0; loop < int64_t(op.getNumLoops()); ++loop) {
    if (!run.empty()) {
      ReassociationIndices longer = run;
      longer.push_back(loop);
      if (iterators[size_t(loop)] == iterators[size_t(run.front())] &&
          linalg::areDimSequencesPreserved(maps, {longer})) {
        run = std::move(longer);
        continue;
      }
      if (run.size() > 1)
        runs.push_back(run);
    }
    run = {loop};
  }
  if (run.size() > 1)
    runs.push_back(run);
  return runs;
}

namespace {

struct CollapseContiguousLoopsPass
    : public PassWrapper<CollapseContiguousLoopsPass,
                         OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CollapseContiguousLoopsPass)

  StringRef getArgument() const override {
    return "nnc-collapse-contiguous-loops";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<memref::MemRefDialect>();
  }
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateCollapseDimensions(patterns, contiguousLoopRuns);
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> createCollapseContiguousLoopsPass() {
  return std::make_unique<CollapseContiguousLoopsPass>();
}

} // namespace nnc::cpu
