//===- NNLossOps.td - Loss functions of nn -----------------*- tablegen -*-===//
//
// Losses reduce to a scalar mean, a rank-0 tensor of the operands' float
// type, which is what autodiff starts from.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_IR_NNLOSSOPS_TD
#define NNC_IR_NNLOSSOPS_TD

include "ir/NNBase.td"

def NN_MseOp : NN_PointwiseLossOp<"mse"> {
  let nnDsl = [NN_ShapeRuleDsl<"mse">];
  let summary = "mean squared error";
  let description = [{
    The mean over every element of `(prediction - target)^2`. The operands
    have broadcast-compatible shapes and one float type.

    Example:

    ```mlir
    %l = nn.mse %p, %t : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$prediction, NN_FloatTensor:$target);
}

def NN_BinaryCrossEntropyOp : NN_PointwiseLossOp<"binary_cross_entropy"> {
  let nnDsl = [NN_ShapeRuleDsl<"binary_cross_entropy">];
  let summary = "binary cross-entropy of probabilities";
  let description = [{
    The mean over every element of
    `-(t * log(p) + (1 - t) * log(1 - p))`, with `p` the predicted
    probabilities and `t` the targets in [0, 1]. Logarithms are clamped at
    -100, as in PyTorch, so a saturated prediction stays finite.

    Example:

    ```mlir
    %l = nn.binary_cross_entropy %p, %t : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$probabilities, NN_FloatTensor:$target);
}

def NN_SoftmaxCrossEntropyOp : NN_InferredOp<"softmax_cross_entropy"> {
  let nnFusion = "Reduction";
  let nnShapeRule = "softmaxCrossEntropy";
  let nnDsl = [NN_Dsl<"softmax_cross_entropy", "softmaxCrossEntropyRule", 2,
                      2, [NN_DslAttr<"ignore_index", "Int", "-100">]>];
  let summary = "softmax cross-entropy with integer class labels";
  let description = [{
    The mean over every position of `-log_softmax(logits)[..., label]`, for
    float `logits` `[n, ..., c]` and integer `labels` `[n, ...]` (the
    logits' shape without the classes) in `[0, c)`: per sample for `[n, c]`,
    per token for a sequence's `[n, t, c]`. A position whose label is
    `ignore_index` (default -100, as PyTorch) counts for nothing, in the sum
    or in the number of positions it is divided by (padding); when every
    position is ignored the mean is 0 / 0, NaN. The result has the logits'
    element type.

    Example:

    ```mlir
    %l = nn.softmax_cross_entropy %logits, %labels : tensor<?x10xf32>, tensor<?xi32> -> tensor<f32>
    %t = nn.softmax_cross_entropy %scores, %next : tensor<?x32x65xf32>, tensor<?x32xi32> -> tensor<f32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$logits, NN_IndexTensor:$labels,
                       DefaultValuedAttr<I64Attr, "-100">:$ignore_index);
  let results = (outs 0DTensorOf<[F32, F64]>:$result);
  let assemblyFormat = [{
    operands attr-dict `:` type(operands) `->` type($result)
  }];
}

#endif // NNC_IR_NNLOSSOPS_TD
