//===- FuseElementwiseChains.cpp - One loop per elementwise chain ---------===//

#include "backends/cpu/compiler/FuseElementwiseChains.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

LogicalResult nnc::cpu::fuseElementwiseChains(ModuleOp module) {
  RewritePatternSet patterns(module.getContext());
  linalg::populateElementwiseOpsFusionPatterns(patterns, [](OpOperand *fused) {
    auto reader = dyn_cast<linalg::GenericOp>(fused->getOwner());
    return reader && fused->get().hasOneUse() &&
           reader.getMatchingIndexingMap(fused).isPermutation();
  });
  return applyPatternsAndFoldGreedily(module, std::move(patterns));
}
