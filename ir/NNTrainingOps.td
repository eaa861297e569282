//===- NNTrainingOps.td - Backward and optimizer ops of nn -*- tablegen -*-===//
//
// The ops of docs/autodiff.md's table: those gradient rules build where
// composing forward ops would be slow or numerically poor, and the optimizer
// updates that nn-training-step appends. Result types are inferred in
// NNTrainingOps.cpp from the rules of ir/ShapeRules.h, which also check that
// the operands are those of a valid forward op.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_IR_NNTRAININGOPS_TD
#define NNC_IR_NNTRAININGOPS_TD

include "ir/NNBase.td"
include "ir/NNLayerOps.td"

// A learning rate: a scalar of the parameter's float type, or f32 for any
// parameter (checked by the op's verifier).
def NN_LearningRate : 0DTensorOf<[F32, F64]>;

// A loss gradient: a scalar of the loss operands' float type.
def NN_LossGradient : 0DTensorOf<[F32, F64]>;

//===----------------------------------------------------------------------===//
// Elementwise helpers
//===----------------------------------------------------------------------===//

def NN_MaximumOp : NN_BinaryOp<"maximum", NN_Tensor, [Commutative]> {
  let nnSamples = [NN_Sample<["1.5", "-4"], "1.5">,
                   NN_Sample<["-1", "2"], "2">];
  let summary = "elementwise maximum with broadcasting";
  let description = [{
    Takes the larger of two elements after NumPy broadcasting. A NaN operand
    gives NaN. Gradient rules use it for clamps and masks.

    Example:

    ```mlir
    %r = nn.maximum %a, %b : tensor<?x10xf32>, tensor<f32> -> tensor<?x10xf32>
    ```
  }];
}

def NN_MinimumOp : NN_BinaryOp<"minimum", NN_Tensor, [Commutative]> {
  let nnSamples = [NN_Sample<["1.5", "-4"], "-4">,
                   NN_Sample<["-1", "2"], "-1">];
  let summary = "elementwise minimum with broadcasting";
  let description = [{
    Takes the smaller of two elements after NumPy broadcasting. A NaN operand
    gives NaN.

    Example:

    ```mlir
    %r = nn.minimum %a, %b : tensor<?x10xf32>, tensor<?x1xf32> -> tensor<?x10xf32>
    ```
  }];
}

def NN_SignOp : NN_UnaryOp<"sign", NN_Tensor> {
  let nnSamples = [NN_Sample<["1.5"], "1">,
                   NN_Sample<["-2"], "-1">,
                   NN_Sample<["0"], "0">];
  let nnGradcheckDomain = "nonzero";
  let summary = "elementwise sign";
  let description = [{
    Gives -1, 0 or 1 per element as it is negative, zero or positive (the
    derivative of `abs`). The sign of a NaN is NaN.

    Example:

    ```mlir
    %s = nn.sign %x : tensor<?x64xf32>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Activation gradients
//===----------------------------------------------------------------------===//

// The gradient of a unary activation: `x` is the forward input, `dy` the
// gradient of its result, and the result the gradient of `x`. All three have
// one type.
class NN_ActivationGradOp<string mnemonic, dag extraArgs = (ins)>
    : NN_InferredOp<mnemonic, [AllTypesMatch<["x", "dy"]>]> {
  let nnFusion = "Elementwise";
  let nnSplitsByRows = 1;
  let nnColumnwise = 1;
  let arguments = !con((ins NN_FloatTensor:$x, NN_FloatTensor:$dy),
                       extraArgs);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$x `,` $dy attr-dict `:` type($x)";
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> loc,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return ::nnc::nn::detail::inferUnaryType(
          getOperationName(), loc, adaptor.getDy().getType(), types);
    }
  }];
}

def NN_ReluGradOp : NN_ActivationGradOp<"relu_grad"> {
  let summary = "gradient of relu";
  let description = [{
    `dy` where the forward input `x` is positive, 0 elsewhere (at 0 too, as
    in PyTorch).

    Example:

    ```mlir
    %dx = nn.relu_grad %x, %dy : tensor<?x64xf32>
    ```
  }];
}

def NN_LeakyReluGradOp : NN_ActivationGradOp<"leaky_relu_grad",
    (ins DefaultValuedAttr<F64Attr, "0.01">:$alpha)> {
  let summary = "gradient of leaky_relu";
  let description = [{
    `dy` where the forward input `x` is positive, `alpha * dy` elsewhere;
    `alpha` (default 0.01) is the forward op's.

    Example:

    ```mlir
    %dx = nn.leaky_relu_grad %x, %dy alpha 2.000000e-01 : tensor<?x64xf32>
    ```
  }];
  let assemblyFormat = "$x `,` $dy (`alpha` $alpha^)? attr-dict `:` type($x)";
}

def NN_GeluGradOp : NN_ActivationGradOp<"gelu_grad"> {
  let summary = "gradient of gelu";
  let description = [{
    `dy * (Phi(x) + x * phi(x))`, the derivative of the exact erf form of
    gelu, with `Phi` and `phi` the standard normal CDF and density.

    Example:

    ```mlir
    %dx = nn.gelu_grad %x, %dy : tensor<?x64xf32>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Softmax and reduction gradients
//===----------------------------------------------------------------------===//

// The gradient of softmax or log_softmax, from the forward result `y` (not
// the input) and its gradient `dy`, which share one type.
class NN_SoftmaxGradBaseOp<string mnemonic>
    : NN_InferredOp<mnemonic, [AllTypesMatch<["y", "dy"]>]> {
  let nnFusion = "Reduction";
  let arguments = (ins NN_FloatTensor:$y, NN_FloatTensor:$dy,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$y `,` $dy (`axis` $axis^)? attr-dict `:` type($y)";
}

def NN_SoftmaxGradOp : NN_SoftmaxGradBaseOp<"softmax_grad"> {
  let summary = "gradient of softmax";
  let description = [{
    `y * (dy - sum_axis(dy * y))`, with `y` the forward softmax result and
    `axis` (default -1) the forward op's.

    Example:

    ```mlir
    %dx = nn.softmax_grad %y, %dy : tensor<?x10xf32>
    ```
  }];
}

def NN_LogSoftmaxGradOp : NN_SoftmaxGradBaseOp<"log_softmax_grad"> {
  let summary = "gradient of log_softmax";
  let description = [{
    `dy - exp(y) * sum_axis(dy)`, with `y` the forward log_softmax result and
    `axis` (default -1) the forward op's.

    Example:

    ```mlir
    %dx = nn.log_softmax_grad %y, %dy axis 1 : tensor<?x10xf32>
    ```
  }];
}

def NN_ReduceMaxGradOp : NN_InferredOp<"reduce_max_grad",
    [SameOperandsAndResultElementType, AllTypesMatch<["y", "dy"]>]> {
  let nnFusion = "Reduction";
  let summary = "gradient of reduce_max";
  let description = [{
    Gives a tensor of the forward input `x`'s shape in which each reduced
    group's gradient `dy` is split evenly among the elements of `x` equal to
    the group's maximum `y` (the forward result); the other elements get 0.
    `axes` and `keepdims` are the forward op's, so `y` and `dy` have its
    result type.

    Example:

    ```mlir
    %dx = nn.reduce_max_grad %x, %y, %dy axes [1] : tensor<?x10xf32>, tensor<?xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, NN_FloatTensor:$y,
                       NN_FloatTensor:$dy,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$axes,
                       DefaultValuedAttr<BoolAttr, "false">:$keepdims);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $x `,` $y `,` $dy (`axes` $axes^)? (`keepdims` $keepdims^)? attr-dict
    `:` type($x) `,` type($y)
  }];
}

//===----------------------------------------------------------------------===//
// Layout gradients
//===----------------------------------------------------------------------===//

def NN_SliceGradOp : NN_InferredOp<"slice_grad",
    [SameOperandsAndResultElementType]> {
  let summary = "gradient of slice";
  let description = [{
    Zeros of the forward input's `shape`, with `dy` written at the positions
    the forward slice read. `axes`, `starts`, `ends` and `steps` are the
    forward op's, and `dy` must have the forward result's shape. A leading -1
    in `shape` is the batch dimension; it takes `dy`'s leading extent.

    Example:

    ```mlir
    %dx = nn.slice_grad %dy shape [-1, 10] axes [1] starts [2] ends [8] steps [2]
        : tensor<?x3xf32> -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$dy, DenseI64ArrayAttr:$shape,
                       DenseI64ArrayAttr:$axes, DenseI64ArrayAttr:$starts,
                       DenseI64ArrayAttr:$ends,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$steps);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $dy `shape` $shape `axes` $axes `starts` $starts `ends` $ends
    (`steps` $steps^)? attr-dict `:` type($dy) `->` type($result)
  }];
}

def NN_GatherGradOp : NN_InferredOp<"gather_grad"> {
  let summary = "gradient of gather";
  let description = [{
    Zeros of the forward input's `shape`, with the slices of `dy`
    scatter-added at `indices` along `axis` (default 0): an index that
    repeats accumulates. `dy` must have the forward result's shape. A leading
    -1 in `shape` is the batch dimension; it takes `dy`'s leading extent,
    except for `axis` 0, where it stays dynamic.

    Example:

    ```mlir
    %dt = nn.gather_grad %dy, %ids shape [1000, 64]
        : tensor<?x16x64xf32>, tensor<?x16xi32> -> tensor<1000x64xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$dy, NN_IndexTensor:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$axis,
                       DenseI64ArrayAttr:$shape);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $dy `,` $indices (`axis` $axis^)? `shape` $shape attr-dict `:` type($dy)
    `,` type($indices) `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Layer gradients
//===----------------------------------------------------------------------===//

// The window attributes of conv2d, as the forward op spells them.
class NN_Conv2dGradOp<string mnemonic, dag operands>
    : NN_InferredOp<mnemonic, [SameOperandsAndResultElementType]> {
  let nnFusion = "Contraction";
  let arguments = !con(operands, (ins NN_Pair<"{1, 1}">:$stride,
                                      NN_Pair<"{0, 0}">:$padding,
                                      NN_Pair<"{1, 1}">:$dilation,
                                      DefaultValuedAttr<I64Attr, "1">:$groups));
  let results = (outs NN_FloatTensor:$result);
}

def NN_Conv2dGradInputOp : NN_Conv2dGradOp<"conv2d_grad_input",
    (ins NN_FloatTensor:$dy, NN_FloatTensor:$w,
         DenseI64ArrayAttr:$input_shape)> {
  let summary = "gradient of conv2d with respect to its input";
  let description = [{
    The transposed convolution of `dy` `[n, f, oh, ow]` with the weights `w`
    `[f, c / groups, kh, kw]`, giving `dx` of `input_shape` `[n, c, h, w]`.
    `stride`, `padding`, `dilation` and `groups` are the forward op's, and
    `dy` must be the forward result's shape. A leading -1 in `input_shape` is
    the batch dimension; it takes `dy`'s leading extent.

    Example:

    ```mlir
    %dx = nn.conv2d_grad_input %dy, %w input_shape [-1, 3, 32, 32] stride [2, 2] padding [1, 1]
        : tensor<?x16x16x16xf32>, tensor<16x3x3x3xf32> -> tensor<?x3x32x32xf32>
    ```
  }];
  let assemblyFormat = [{
    $dy `,` $w `input_shape` $input_shape (`stride` $stride^)?
    (`padding` $padding^)? (`dilation` $dilation^)? (`groups` $groups^)?
    attr-dict `:` type($dy) `,` type($w) `->` type($result)
  }];
}

def NN_Conv2dGradWeightOp : NN_Conv2dGradOp<"conv2d_grad_weight",
    (ins NN_FloatTensor:$x, NN_FloatTensor:$dy,
         DenseI64ArrayAttr:$weight_shape)> {
  let summary = "gradient of conv2d with respect to its weights";
  let description = [{
    The correlation of the forward input `x` `[n, c, h, w]` with `dy`
    `[n, f, oh, ow]`, summed over the batch, giving `dw` of `weight_shape`
    `[f, c / groups, kh, kw]` (static: weights have no batch dimension).
    `stride`, `padding`, `dilation` and `groups` are the forward op's. The
    bias gradient is `dy` summed over every axis but 1 (`nn.reduce_sum`).

    Example:

    ```mlir
    %dw = nn.conv2d_grad_weight %x, %dy weight_shape [16, 3, 3, 3] stride [2, 2] padding [1, 1]
        : tensor<?x3x32x32xf32>, tensor<?x16x16x16xf32> -> tensor<16x3x3x3xf32>
    ```
  }];
  let assemblyFormat = [{
    $x `,` $dy `weight_shape` $weight_shape (`stride` $stride^)?
    (`padding` $padding^)? (`dilation` $dilation^)? (`groups` $groups^)?
    attr-dict `:` type($x) `,` type($dy) `->` type($result)
  }];
}

// The window attributes of the pooling ops, as the forward ops spell them.
class NN_Pool2dGradOp<string mnemonic, dag operands, dag extraArgs = (ins)>
    : NN_InferredOp<mnemonic, [SameOperandsAndResultElementType]> {
  let arguments = !con(operands, (ins DenseI64ArrayAttr:$kernel,
                                      OptionalAttr<DenseI64ArrayAttr>:$stride,
                                      NN_Pair<"{0, 0}">:$padding), extraArgs);
  let results = (outs NN_FloatTensor:$result);
  let extraClassDeclaration = [{
    /// The stride pair; an absent stride means the kernel, as in PyTorch.
    ::llvm::ArrayRef<int64_t> getEffectiveStride() {
      return getStride() ? *getStride() : getKernel();
    }
  }];
}

def NN_MaxPool2dGradOp : NN_Pool2dGradOp<"max_pool2d_grad",
    (ins NN_FloatTensor:$x, NN_FloatTensor:$dy)> {
  let summary = "gradient of max_pool2d";
  let description = [{
    Routes each window's gradient in `dy` to the window's first maximum of
    the forward input `x` (row-major order within the window; padding never
    wins); overlapping windows accumulate. `kernel`, `stride` and `padding`
    are the forward op's; the result has `x`'s type.

    Example:

    ```mlir
    %dx = nn.max_pool2d_grad %x, %dy kernel [2, 2] : tensor<?x16x32x32xf32>, tensor<?x16x16x16xf32>
    ```
  }];
  let assemblyFormat = [{
    $x `,` $dy `kernel` $kernel (`stride` $stride^)? (`padding` $padding^)?
    attr-dict `:` type($x) `,` type($dy)
  }];
}

def NN_AvgPool2dGradOp : NN_Pool2dGradOp<"avg_pool2d_grad",
    (ins NN_FloatTensor:$dy),
    (ins DefaultValuedAttr<BoolAttr, "true">:$count_include_pad,
         DenseI64ArrayAttr:$input_shape)> {
  let summary = "gradient of avg_pool2d";
  let description = [{
    Spreads each window's gradient in `dy` evenly over the window's elements
    of an input of `input_shape`, with the forward op's divisor
    (`count_include_pad`, default true); overlapping windows accumulate.
    `kernel`, `stride` and `padding` are the forward op's. A leading -1 in
    `input_shape` is the batch dimension; it takes `dy`'s leading extent.

    Example:

    ```mlir
    %dx = nn.avg_pool2d_grad %dy kernel [3, 3] stride [1, 1] padding [1, 1] count_include_pad false
        input_shape [-1, 16, 8, 8] : tensor<?x16x8x8xf32> -> tensor<?x16x8x8xf32>
    ```
  }];
  let assemblyFormat = [{
    $dy `kernel` $kernel (`stride` $stride^)? (`padding` $padding^)?
    (`count_include_pad` $count_include_pad^)? `input_shape` $input_shape
    attr-dict `:` type($dy) `->` type($result)
  }];
}

def NN_BatchNormGradOp : NN_InferredOp<"batch_norm_grad",
    [SameOperandsAndResultElementType, AllTypesMatch<["x", "dy"]>,
     AllTypesMatch<["gamma", "mean", "var"]>]> {
  let nnFusion = "Reduction";
  let nnShapeRule = "batchNormGrad";
  // dgamma and dbeta.
  let nnResultTypesOf = ["gamma", "gamma"];
  let summary = "gradient of batch_norm";
  let description = [{
    Gives `(dx, dgamma, dbeta)` for the forward input `x` `[n, c, ...]`, the
    scale `gamma` `[c]` and the result's gradient `dy`. With `training` true
    the forward op normalised with the batch statistics of `x` (recomputed
    here; `mean` and `var` are unused) and `dx` flows through them too; with
    `training` false (the default) it used the running `mean` and `var`,
    which are constants. `eps` (default 1e-5) is the forward op's. `dx` has
    `x`'s type, `dgamma` and `dbeta` `gamma`'s.

    Example:

    ```mlir
    %dx, %dgamma, %dbeta = nn.batch_norm_grad %x, %gamma, %mean, %var, %dy training true
        : tensor<?x16x8x8xf32>, tensor<16xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, NN_FloatTensor:$gamma,
                       NN_FloatTensor:$mean, NN_FloatTensor:$var,
                       NN_FloatTensor:$dy,
                       DefaultValuedAttr<F64Attr, "1e-5">:$eps,
                       DefaultValuedAttr<BoolAttr, "false">:$training);
  let results = (outs NN_FloatTensor:$dx, NN_FloatTensor:$dgamma,
                      NN_FloatTensor:$dbeta);
  let assemblyFormat = [{
    $x `,` $gamma `,` $mean `,` $var `,` $dy (`eps` $eps^)?
    (`training` $training^)? attr-dict `:` type($x) `,` type($gamma)
  }];
}

def NN_DropoutGradOp : NN_InferredOp<"dropout_grad"> {
  let summary = "gradient of dropout";
  let description = [{
    `dy * mask / (1 - rate)` with the very mask the forward `nn.dropout`
    drew: `rate` (default 0.5), `seed` (default 0), `training` (default
    false: the identity) and the optional `step` (a scalar `tensor<i64>`,
    counting from 1) must be the forward op's.

    Example:

    ```mlir
    %dx = nn.dropout_grad %dy, %step {rate = 2.000000e-01 : f64, seed = 7 : i64, training = true}
        : tensor<?x128xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$dy, Optional<NN_StepTensor>:$step,
                       DefaultValuedAttr<F64Attr, "0.5">:$rate,
                       DefaultValuedAttr<I64Attr, "0">:$seed,
                       DefaultValuedAttr<BoolAttr, "false">:$training);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$dy (`,` $step^)? attr-dict `:` type($dy)";
}

//===----------------------------------------------------------------------===//
// Loss gradients
//===----------------------------------------------------------------------===//

def NN_SoftmaxCrossEntropyGradOp : NN_InferredOp<"softmax_cross_entropy_grad"> {
  let nnFusion = "Reduction";
  let nnShapeRule = "softmaxCrossEntropyGrad";
  let summary = "gradient of softmax_cross_entropy";
  let description = [{
    `(softmax(logits) - onehot(labels)) * dloss / positions` for `logits`
    `[n, ..., c]`, integer `labels` `[n, ...]` (one per position) and the
    scalar loss gradient `dloss`, of the logits' element type; positions
    labelled `ignore_index` get 0 and are not counted. The result has the
    logits' type.

    Example:

    ```mlir
    %dlogits = nn.softmax_cross_entropy_grad %logits, %labels, %dloss
        : tensor<?x10xf32>, tensor<?xi32>, tensor<f32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$logits, NN_IndexTensor:$labels,
                       NN_LossGradient:$dloss,
                       DefaultValuedAttr<I64Attr, "-100">:$ignore_index);
  let results = (outs NN_FloatTensor:$result);
  let hasVerifier = 1;
  let assemblyFormat = [{
    $logits `,` $labels `,` $dloss attr-dict `:` type($logits) `,`
    type($labels) `,` type($dloss)
  }];
}

def NN_BinaryCrossEntropyGradOp : NN_InferredOp<"binary_cross_entropy_grad",
    [SameOperandsAndResultElementType]> {
  let nnFusion = "Elementwise";
  let nnShapeRule = "binaryCrossEntropyGrad";
  let summary = "gradient of binary_cross_entropy";
  let description = [{
    `(p - t) / max(p * (1 - p), 1e-12) * dloss / numel` for the predicted
    `probabilities` `p`, the `target` `t` (broadcast to `p` as in the forward
    op) and the scalar loss gradient `dloss`; `numel` is `p`'s element count.
    The result has `p`'s type.

    Example:

    ```mlir
    %dp = nn.binary_cross_entropy_grad %p, %t, %dloss
        : tensor<?x1xf32>, tensor<?x1xf32>, tensor<f32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$probabilities, NN_FloatTensor:$target,
                       NN_LossGradient:$dloss);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $probabilities `,` $target `,` $dloss attr-dict `:` type($probabilities)
    `,` type($target) `,` type($dloss)
  }];
}

//===----------------------------------------------------------------------===//
// Optimizer updates
//===----------------------------------------------------------------------===//

// An optimizer step over one parameter: the parameter, its gradient and its
// state slots share one type, which every result has; `lr` is a scalar of
// the parameter's float type or f32 (the verifier checks it).
class NN_OptimizerOp<string mnemonic, list<string> sameTyped>
    : NN_InferredOp<mnemonic, [AllTypesMatch<sameTyped>]> {
  let nnFusion = "Elementwise";
  let nnSplitsByRows = 1;
  let hasVerifier = 1;
}

def NN_SgdUpdateOp : NN_OptimizerOp<"sgd_update", ["param", "grad"]> {
  let summary = "plain SGD step";
  let description = [{
    `param - lr * (grad + weight_decay * param)`, PyTorch's SGD without
    momentum. `weight_decay` defaults to 0.

    Example:

    ```mlir
    %p1 = nn.sgd_update %p, %g, %lr weight_decay 1.000000e-04 : tensor<64x10xf32>, tensor<f32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$param, NN_FloatTensor:$grad,
                       NN_LearningRate:$lr,
                       DefaultValuedAttr<F64Attr, "0.0">:$weight_decay);
  let results = (outs NN_FloatTensor:$new_param);
  let assemblyFormat = [{
    $param `,` $grad `,` $lr (`weight_decay` $weight_decay^)? attr-dict `:`
    type($param) `,` type($lr)
  }];
}

def NN_MomentumUpdateOp : NN_OptimizerOp<"momentum_update",
    ["param", "grad", "velocity"]> {
  let summary = "SGD step with momentum or Nesterov momentum";
  let description = [{
    PyTorch's SGD with momentum: `g = grad + weight_decay * param`,
    `velocity' = momentum * velocity + g`, then
    `param' = param - lr * (nesterov ? g + momentum * velocity' : velocity')`.
    Gives `(param', velocity')`. Defaults: `momentum` 0.9, `weight_decay` 0,
    `nesterov` false. The velocity starts at zero.

    Example:

    ```mlir
    %p1, %v1 = nn.momentum_update %p, %g, %v, %lr nesterov true : tensor<64x10xf32>, tensor<f32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$param, NN_FloatTensor:$grad,
                       NN_FloatTensor:$velocity, NN_LearningRate:$lr,
                       DefaultValuedAttr<F64Attr, "0.9">:$momentum,
                       DefaultValuedAttr<F64Attr, "0.0">:$weight_decay,
                       DefaultValuedAttr<BoolAttr, "false">:$nesterov);
  let results = (outs NN_FloatTensor:$new_param, NN_FloatTensor:$new_velocity);
  let assemblyFormat = [{
    $param `,` $grad `,` $velocity `,` $lr (`momentum` $momentum^)?
    (`weight_decay` $weight_decay^)? (`nesterov` $nesterov^)? attr-dict `:`
    type($param) `,` type($lr)
  }];
}

def NN_AdamUpdateOp : NN_OptimizerOp<"adam_update",
    ["param", "grad", "m", "v"]> {
  let summary = "Adam or AdamW step";
  let description = [{
    PyTorch's Adam at step `t` (`step`, a scalar `tensor<i64>` counting from
    1): with `decoupled` false (Adam) `g = grad + weight_decay * param`, with
    `decoupled` true (AdamW) `g = grad` and `param` is first scaled by
    `1 - lr * weight_decay`. Then `m' = beta1 * m + (1 - beta1) * g`,
    `v' = beta2 * v + (1 - beta2) * g^2` and
    `param' = param - lr * (m' / (1 - beta1^t)) / (sqrt(v' / (1 - beta2^t)) + eps)`.
    Gives `(param', m', v')`. Defaults: `beta1` 0.9, `beta2` 0.999, `eps`
    1e-8, `weight_decay` 0, `decoupled` false. The moments start at zero.

    Example:

    ```mlir
    %p1, %m1, %v1 = nn.adam_update %p, %g, %m, %v, %step, %lr weight_decay 1.000000e-02 decoupled true
        : tensor<64x10xf32>, tensor<f32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$param, NN_FloatTensor:$grad,
                       NN_FloatTensor:$m, NN_FloatTensor:$v,
                       NN_StepTensor:$step, NN_LearningRate:$lr,
                       DefaultValuedAttr<F64Attr, "0.9">:$beta1,
                       DefaultValuedAttr<F64Attr, "0.999">:$beta2,
                       DefaultValuedAttr<F64Attr, "1e-8">:$eps,
                       DefaultValuedAttr<F64Attr, "0.0">:$weight_decay,
                       DefaultValuedAttr<BoolAttr, "false">:$decoupled);
  let results = (outs NN_FloatTensor:$new_param, NN_FloatTensor:$new_m,
                      NN_FloatTensor:$new_v);
  let assemblyFormat = [{
    $param `,` $grad `,` $m `,` $v `,` $step `,` $lr (`beta1` $beta1^)?
    (`beta2` $beta2^)? (`eps` $eps^)? (`weight_decay` $weight_decay^)?
    (`decoupled` $decoupled^)? attr-dict `:` type($param) `,` type($lr)
  }];
}

#endif // NNC_IR_NNTRAININGOPS_TD
