//===- RefTrainingOpLowering.cpp - Backward and optimizer ops to steps ----===//
//
// The ops of the docs/autodiff.md table. Attributes that repeat a forward
// op's (axes, windows, eps) are read into the forward kernels' attribute
// structs, so a gradient step and its forward step agree by construction.
// Shapes named by attributes (`shape`, `input_shape`, `weight_shape`) are
// not read: the result slot's static type is that shape.
//
//===----------------------------------------------------------------------===//

#include "backends/ref/RefOpLowering.h"

#include "ir/NNOps.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace nnc;
using namespace nnc::ref;

LogicalResult nnc::ref::lowerTrainingOp(Operation *op, Step &step) {
  auto plainStep = [&](StepKind kind) {
    step.kind = kind;
    return success();
  };
  auto withAttrs = [&](StepKind kind, StepAttrs attrs) {
    step.kind = kind;
    step.attrs = std::move(attrs);
    return success();
  };
  auto convStep = [&](auto conv, StepKind kind) -> LogicalResult {
    FailureOr<Conv2dAttrs> attrs = conv2dAttrsOf(conv);
    if (failed(attrs))
      return failure();
    return withAttrs(kind, *attrs);
  };
  auto dropoutStep = [&](nn::DropoutGradOp drop) {
    DropoutAttrs attrs;
    attrs.rate = drop.getRate().convertToDouble();
    attrs.seed = static_cast<uint64_t>(drop.getSeedAttr().getInt());
    // Replaced at run time by the optional step operand, input 1.
    attrs.step = 0;
    attrs.training = drop.getTraining();
    return withAttrs(StepKind::DropoutGrad, attrs);
  };

  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](nn::MaximumOp) { return plainStep(StepKind::Maximum); })
      .Case([&](nn::MinimumOp) { return plainStep(StepKind::Minimum); })
      .Case([&](nn::SignOp) { return plainStep(StepKind::Sign); })
      .Case([&](nn::ReluGradOp) { return plainStep(StepKind::ReluGrad); })
      .Case([&](nn::LeakyReluGradOp leaky) {
        return withAttrs(StepKind::LeakyReluGrad,
                         LeakyReluAttrs{leaky.getAlpha().convertToDouble()});
      })
      .Case([&](nn::GeluGradOp) { return plainStep(StepKind::GeluGrad); })
      .Case([&](nn::ReduceMaxGradOp max) {
        ReduceStepAttrs attrs;
        attrs.op = ReduceOp::Max;
        attrs.attrs.axes.assign(max.getAxes().begin(), max.getAxes().end());
        attrs.attrs.keepDims = max.getKeepdims();
        return withAttrs(StepKind::ReduceMaxGrad, std::move(attrs));
      })
      .Case([&](nn::SoftmaxGradOp softmax) {
        return withAttrs(StepKind::SoftmaxGrad,
                         SoftmaxAttrs{softmax.getAxisAttr().getInt()});
      })
      .Case([&](nn::LogSoftmaxGradOp logSoftmax) {
        return withAttrs(StepKind::LogSoftmaxGrad,
                         SoftmaxAttrs{logSoftmax.getAxisAttr().getInt()});
      })
      .Case([&](nn::SliceGradOp slice) {
        SliceAttrs attrs;
        attrs.axes.assign(slice.getAxes().begin(), slice.getAxes().end());
        attrs.starts.assign(slice.getStarts().begin(), slice.getStarts().end());
        attrs.ends.assign(slice.getEnds().begin(), slice.getEnds().end());
        attrs.steps.assign(slice.getSteps().begin(), slice.getSteps().end());
        return withAttrs(StepKind::SliceGrad, std::move(attrs));
      })
      .Case([&](nn::GatherGradOp gather) {
        return withAttrs(StepKind::GatherGrad,
                         GatherAttrs{gather.getAxisAttr().getInt()});
      })
      .Case([&](nn::Conv2dGradInputOp conv) {
        return convStep(conv, StepKind::Conv2dGradInput);
      })
      .Case([&](nn::Conv2dGradWeightOp conv) {
        return convStep(conv, StepKind::Conv2dGradWeight);
      })
      .Case([&](nn::MaxPool2dGradOp pool) -> LogicalResult {
        FailureOr<Pool2dAttrs> attrs = pool2dAttrsOf(pool);
        if (failed(attrs))
          return failure();
        return withAttrs(StepKind::MaxPool2dGrad, *attrs);
      })
      .Case([&](nn::AvgPool2dGradOp pool) -> LogicalResult {
        FailureOr<Pool2dAttrs> attrs = pool2dAttrsOf(pool);
        if (failed(attrs))
          return failure();
        attrs->countIncludePad = pool.getCountIncludePad();
        return withAttrs(StepKind::AvgPool2dGrad, *attrs);
      })
      .Case([&](nn::BatchNormGradOp norm) {
        return withAttrs(StepKind::BatchNormGrad,
                         BatchNormGradAttrs{norm.getEps().convertToDouble(),
                                            norm.getTraining()});
      })
      .Case([&](nn::DropoutGradOp drop) { return dropoutStep(drop); })
      .Case([&](nn::SoftmaxCrossEntropyGradOp) {
        return plainStep(StepKind::SoftmaxCrossEntropyGrad);
      })
      .Case([&](nn::BinaryCrossEntropyGradOp) {
        return plainStep(StepKind::BinaryCrossEntropyGrad);
      })
      .Case([&](nn::SgdUpdateOp sgd) {
        return withAttrs(StepKind::SgdUpdate,
                         SgdAttrs{sgd.getWeightDecay().convertToDouble()});
      })
      .Case([&](nn::MomentumUpdateOp momentum) {
        MomentumAttrs attrs;
        attrs.momentum = momentum.getMomentum().convertToDouble();
        attrs.weightDecay = momentum.getWeightDecay().convertToDouble();
        attrs.nesterov = momentum.getNesterov();
        return withAttrs(StepKind::MomentumUpdate, attrs);
      })
      .Case([&](nn::AdamUpdateOp adam) {
        AdamAttrs attrs;
        attrs.beta1 = adam.getBeta1().convertToDouble();
        attrs.beta2 = adam.getBeta2().convertToDouble();
        attrs.eps = adam.getEps().convertToDouble();
        attrs.weightDecay = adam.getWeightDecay().convertToDouble();
        attrs.decoupled = adam.getDecoupled();
        return withAttrs(StepKind::AdamUpdate, attrs);
      })
      .Default([&](Operation *other) {
        // Listed in kSupportedOps but not lowered: the two lists drifted.
        return other->emitOpError("is listed as supported by the ref backend "
                                  "but has no lowering");
      });
}
