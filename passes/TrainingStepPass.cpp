//===- TrainingStepPass.cpp - Build @train_step from @forward -------------===//
//
// The pass form of buildTrainStepFunction (passes/TrainingStep.h): options
// given on the command line override the module's `nn.train`.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/TrainingStep.h"

#include "ir/NNDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace nnc {
#define GEN_PASS_DEF_TRAININGSTEPPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

struct TrainingStepPass : nnc::impl::TrainingStepPassBase<TrainingStepPass> {
  using Base::Base;

  void runOnOperation() override {
    // Only options given explicitly override the module's nn.train.
    auto given = [](const auto &option) {
      using T = std::decay_t<decltype(option.getValue())>;
      return option.hasValue() ? std::optional<T>(option.getValue())
                               : std::nullopt;
    };
    nnc::TrainingStepOptions options;
    options.optimizer = given(optimizer);
    options.lr = given(lr);
    options.momentum = given(momentum);
    options.weightDecay = given(weightDecay);
    options.beta1 = given(beta1);
    options.beta2 = given(beta2);
    options.eps = given(eps);
    options.clipNorm = given(clipNorm);
    options.split = split;
    if (failed(nnc::buildTrainStepFunction(getOperation(), options)))
      signalPassFailure();
  }
};

} // namespace
