//===- NNTrainingGradients.cpp - Gradient rules of the training ops -------===//
//
// The backward and optimizer ops of NNTrainingOps.td are built by gradient
// rules and the training step, never differentiated: autodiff reports a
// located "no gradient rule" if one is reached. maximum, minimum and sign
// may get real rules later.
//
//===----------------------------------------------------------------------===//

#include "ir/GradientUtils.h"
#include "ir/NNOps.h"

using namespace mlir;

namespace nnc::nn {

NNC_NO_GRADIENT_RULE(MaximumOp)
NNC_NO_GRADIENT_RULE(MinimumOp)
NNC_NO_GRADIENT_RULE(SignOp)
NNC_NO_GRADIENT_RULE(ReluGradOp)
NNC_NO_GRADIENT_RULE(LeakyReluGradOp)
NNC_NO_GRADIENT_RULE(GeluGradOp)
NNC_NO_GRADIENT_RULE(SoftmaxGradOp)
NNC_NO_GRADIENT_RULE(LogSoftmaxGradOp)
NNC_NO_GRADIENT_RULE(ReduceMaxGradOp)
NNC_NO_GRADIENT_RULE(SliceGradOp)
NNC_NO_GRADIENT_RULE(GatherGradOp)
NNC_NO_GRADIENT_RULE(Conv2dGradInputOp)
NNC_NO_GRADIENT_RULE(Conv2dGradWeightOp)
NNC_NO_GRADIENT_RULE(MaxPool2dGradOp)
NNC_NO_GRADIENT_RULE(AvgPool2dGradOp)
NNC_NO_GRADIENT_RULE(BatchNormGradOp)
NNC_NO_GRADIENT_RULE(DropoutGradOp)
NNC_NO_GRADIENT_RULE(SoftmaxCrossEntropyGradOp)
NNC_NO_GRADIENT_RULE(BinaryCrossEntropyGradOp)
NNC_NO_GRADIENT_RULE(SgdUpdateOp)
NNC_NO_GRADIENT_RULE(MomentumUpdateOp)
NNC_NO_GRADIENT_RULE(AdamUpdateOp)

} // namespace nnc::nn
