//===- FusionPass.cpp - Outline fusion groups into nn.fusion ops ----------===//
//
// Applies the groups of the cost model (FusionCostModel.h): each becomes an
// nn.fusion whose body is a clone of the group, with the small constants it
// reads cloned in, its outside operands as block arguments and the values
// used outside the group as results. The block is then re-sorted, since a
// group's ops need not have been adjacent.
//
//===----------------------------------------------------------------------===//

#include "passes/FusionCostModel.h"
#include "passes/Passes.h"

#include "ir/NNOps.h"

#include "mlir/Analysis/TopologicalSortUtils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

namespace nnc {
#define GEN_PASS_DEF_FUSIONPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

/// Replaces the ops of `group` (in program order) by one nn.fusion.
void outlineGroup(ArrayRef<Operation *> group,
                  const nnc::FusionOptions &options) {
  llvm::DenseSet<Operation *> members(group.begin(), group.end());
  llvm::SetVector<Value> inputs;
  llvm::SetVector<Operation *> clonedConstants;
  // Transposes an attention op folds (isFoldedIntoAttention): cloned in,
  // their operands become inputs.
  llvm::SetVector<Operation *> foldedTransposes;
  SmallVector<Value> outputs;
  for (Operation *op : group) {
    for (OpOperand &use : op->getOpOperands()) {
      Value operand = use.get();
      Operation *producer = operand.getDefiningOp();
      if (producer && members.contains(producer))
        continue;
      if (producer && nnc::isClonableConstant(producer, options) &&
          !nnc::isCheckedDivisor(use)) {
        clonedConstants.insert(producer);
      } else if (nnc::isFoldedIntoAttention(use)) {
        foldedTransposes.insert(producer);
        inputs.insert(producer->getOperand(0));
      } else {
        inputs.insert(operand);
      }
    }
    // A value read outside the group (or returned) must leave it.
    for (Value result : op->getResults())
      if (llvm::any_of(result.getUsers(), [&](Operation *user) {
            return !members.contains(user);
          }))
        outputs.push_back(result);
  }

  SmallVector<Location> locations;
  for (Operation *op : group)
    locations.push_back(op->getLoc());
  OpBuilder builder(group.front());
  Location loc = builder.getFusedLoc(locations);
  SmallVector<Type> resultTypes;
  for (Value output : outputs)
    resultTypes.push_back(output.getType());
  auto fusion =
      builder.create<nnc::nn::FusionOp>(loc, resultTypes, inputs.getArrayRef());
  Block *body = builder.createBlock(&fusion.getBody());
  IRMapping mapping;
  for (Value input : inputs)
    mapping.map(input, body->addArgument(input.getType(), input.getLoc()));
  builder.setInsertionPointToEnd(body);
  for (Operation *constant : clonedConstants)
    builder.clone(*constant, mapping);
  for (Operation *transpose : foldedTransposes)
    builder.clone(*transpose, mapping);
  for (Operation *op : group)
    builder.clone(*op, mapping);
  SmallVector<Value> yielded;
  for (Value output : outputs)
    yielded.push_back(mapping.lookup(output));
  builder.create<nnc::nn::YieldOp>(loc, yielded);

  for (auto [output, result] : llvm::zip(outputs, fusion.getResults()))
    output.replaceUsesWithIf(result, [&](OpOperand &use) {
      return !members.contains(use.getOwner());
    });
  for (Operation *op : llvm::reverse(group))
    op->erase();
  for (Operation *transpose : foldedTransposes)
    if (transpose->use_empty())
      transpose->erase();
  for (Operation *constant : clonedConstants)
    if (constant->use_empty())
      constant->erase();
}

struct FusionPass : nnc::impl::FusionPassBase<FusionPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (function.isExternal())
      return;
    if (maxGroupSize < 2) {
      function.emitError() << "nn-fuse: max-group-size must be at least 2, "
                              "got "
                           << maxGroupSize;
      return signalPassFailure();
    }
    nnc::FusionOptions options;
    options.fuseContractions = fuseContractions;
    options.fuseReductions = fuseReductions;
    options.maxGroupSize = maxGroupSize;
    for (Block &block : function.getBody()) {
      auto groups = nnc::computeFusionGroups(block, options);
      for (const auto &group : groups)
        outlineGroup(group, options);
      // A group sits where its first op was; ops between its members that
      // read its results move after it. The groups form no cycle, so this
      // always succeeds.
      bool sorted = sortTopologically(&block);
      assert(sorted && "fusion groups formed a cycle");
      (void)sorted;
    }
  }
};

} // namespace
