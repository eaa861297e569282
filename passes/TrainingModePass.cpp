//===- TrainingModePass.cpp - Batch norm and dropout as in training -------===//
//
// The forward of a model runs in evaluation mode; the training step runs it
// in training mode. This pass (and enterTrainingMode, which the training
// step calls on its copy of the forward) makes the switch, so that a
// gradient can be taken, and checked, in the mode the training step uses.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/TrainingStep.h"

#include "ir/NNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace nnc {
#define GEN_PASS_DEF_TRAININGMODEPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;

void nnc::enterTrainingMode(Block &body, Value step) {
  for (Operation &op : body) {
    if (auto batchNorm = dyn_cast<nn::BatchNormOp>(op))
      batchNorm.setTraining(true);
    if (auto dropout = dyn_cast<nn::DropoutOp>(op)) {
      dropout.setTraining(true);
      if (step)
        dropout.getStepMutable().assign(step);
    }
  }
}

namespace {

struct TrainingModePass : nnc::impl::TrainingModePassBase<TrainingModePass> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (!function.isExternal())
      nnc::enterTrainingMode(function.getBody().front(), Value());
  }
};

} // namespace
