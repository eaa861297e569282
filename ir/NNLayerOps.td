//===- NNLayerOps.td - Convolution, pooling, normalisation -*- tablegen -*-===//
//
// The layer-level ops over NCHW images, layer_norm and rms_norm (with their
// gradient ops), and the stochastic/stateful ops (batch_norm, dropout)
// whose training behaviour is chosen by an attribute.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_IR_NNLAYEROPS_TD
#define NNC_IR_NNLAYEROPS_TD

include "ir/NNBase.td"

// [height, width] pairs, such as stride or padding.
class NN_Pair<string default> : DefaultValuedAttr<DenseI64ArrayAttr, default>;

def NN_Conv2dOp : NN_InferredOp<"conv2d", [SameOperandsAndResultElementType]> {
  let nnFusion = "Contraction";
  let nnDsl = [NN_Dsl<"conv2d", "conv2dRule", 2, 3, [
      NN_DslAttr<"stride", "IntPair", "1">,
      NN_DslAttr<"padding", "IntPair", "0">,
      NN_DslAttr<"dilation", "IntPair", "1">,
      NN_DslAttr<"groups", "Int", "1">]>];
  let summary = "2-D convolution over NCHW images";
  let description = [{
    Convolves `x` `[n, c, h, w]` with weights `w` `[f, c / groups, kh, kw]`
    and adds the optional `bias` `[f]`. `stride`, `padding` and `dilation`
    are `[height, width]` pairs (defaults `[1, 1]`, `[0, 0]`, `[1, 1]`);
    `groups` (default 1) must divide both `c` and `f`. The result is
    `[n, f, (h + 2p - d(kh - 1) - 1) / s + 1, ...]`.

    Example:

    ```mlir
    %y = nn.conv2d %x, %w, %b stride [2, 2] padding [1, 1]
        : tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>
        -> tensor<?x16x16x16xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, NN_FloatTensor:$w,
                       Optional<NN_FloatTensor>:$bias,
                       NN_Pair<"{1, 1}">:$stride,
                       NN_Pair<"{0, 0}">:$padding,
                       NN_Pair<"{1, 1}">:$dilation,
                       DefaultValuedAttr<I64Attr, "1">:$groups);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $x `,` $w (`,` $bias^)? (`stride` $stride^)? (`padding` $padding^)?
    (`dilation` $dilation^)? (`groups` $groups^)? attr-dict
    `:` type($x) `,` type($w) (`,` type($bias)^)? `->` type($result)
  }];
}

class NN_Pool2dOp<string mnemonic, dag extraArgs = (ins)>
    : NN_InferredOp<mnemonic, [SameOperandsAndResultElementType]> {
  let arguments = !con((ins NN_FloatTensor:$x, DenseI64ArrayAttr:$kernel,
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

def NN_MaxPool2dOp : NN_Pool2dOp<"max_pool2d"> {
  let nnDsl = [NN_Dsl<"max_pool2d", "maxPoolRule", 1, 1, [
      NN_RequiredDslAttr<"kernel", "IntPair">,
      NN_DslAttr<"stride", "IntPair", "0", 0, "kernel">,
      NN_DslAttr<"padding", "IntPair", "0">]>];
  let summary = "2-D max pooling over NCHW images";
  let description = [{
    Takes the maximum of each `kernel` window of `x` `[n, c, h, w]`, moving by
    `stride` (default: the kernel) over the input padded by `padding`
    (default `[0, 0]`; at most half the kernel). Padding never wins the
    maximum. The result is `[n, c, (h + 2p - k) / s + 1, ...]`.

    Example:

    ```mlir
    %y = nn.max_pool2d %x kernel [2, 2] : tensor<?x16x32x32xf32> -> tensor<?x16x16x16xf32>
    ```
  }];
  let assemblyFormat = [{
    $x `kernel` $kernel (`stride` $stride^)? (`padding` $padding^)? attr-dict
    `:` type($x) `->` type($result)
  }];
}

def NN_AvgPool2dOp : NN_Pool2dOp<"avg_pool2d",
    (ins DefaultValuedAttr<BoolAttr, "true">:$count_include_pad)> {
  let nnDsl = [NN_Dsl<"avg_pool2d", "avgPoolRule", 1, 1, [
      NN_RequiredDslAttr<"kernel", "IntPair">,
      NN_DslAttr<"stride", "IntPair", "0", 0, "kernel">,
      NN_DslAttr<"padding", "IntPair", "0">,
      NN_DslAttr<"count_include_pad", "Bool", "1">]>];
  let summary = "2-D average pooling over NCHW images";
  let description = [{
    Averages each `kernel` window of `x` `[n, c, h, w]`, with `stride` and
    `padding` as in `nn.max_pool2d`. With `count_include_pad` (default true)
    padded elements count in the divisor, as in PyTorch.

    Example:

    ```mlir
    %y = nn.avg_pool2d %x kernel [3, 3] stride [1, 1] padding [1, 1] count_include_pad false
        : tensor<?x16x8x8xf32> -> tensor<?x16x8x8xf32>
    ```
  }];
  let assemblyFormat = [{
    $x `kernel` $kernel (`stride` $stride^)? (`padding` $padding^)?
    (`count_include_pad` $count_include_pad^)? attr-dict `:` type($x) `->`
    type($result)
  }];
}

def NN_BatchNormOp : NN_InferredOp<"batch_norm", [SameOperandsElementType]> {
  let nnFusion = "Reduction";
  let nnShapeRule = "batchNorm";
  // The updated running statistics replace the ones passed in.
  let nnResultTypesOf = ["mean", "var"];
  let nnDsl = [NN_ShapeRuleDsl<"batch_norm", [
      NN_PositiveDslAttr<"eps", "Float", "1e-5">,
      NN_DslAttr<"momentum", "Float", "0.1">]>];
  let summary = "batch normalisation over the channel axis";
  let description = [{
    Normalises `x` `[n, c, ...]` per channel `c` and scales it:
    `y = gamma * (x - mu) / sqrt(sigma2 + eps) + beta`, with `gamma`, `beta`,
    `mean` and `var` of shape `[c]`.

    With `training` false (the default, an inference graph), `mu` and
    `sigma2` are the running `mean` and `var`, which are returned unchanged.
    With `training` true, they are the batch statistics over every axis but
    `c`, and the running statistics are updated as
    `new = (1 - momentum) * old + momentum * batch` (PyTorch's convention,
    with the unbiased batch variance). The training step writes `new_mean`
    and `new_var` back into the model's buffers.

    Attributes: `eps` (default 1e-5), `momentum` (default 0.1).

    Example:

    ```mlir
    %y, %m, %v = nn.batch_norm %x, %gamma, %beta, %mean, %var {training = true}
        : tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
        -> tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, NN_FloatTensor:$gamma,
                       NN_FloatTensor:$beta, NN_FloatTensor:$mean,
                       NN_FloatTensor:$var,
                       DefaultValuedAttr<F64Attr, "1e-5">:$eps,
                       DefaultValuedAttr<F64Attr, "0.1">:$momentum,
                       DefaultValuedAttr<BoolAttr, "false">:$training);
  let results = (outs NN_FloatTensor:$y, NN_FloatTensor:$new_mean,
                      NN_FloatTensor:$new_var);
  let assemblyFormat = [{
    operands attr-dict `:` type(operands) `->` type(results)
  }];
}

def NN_LayerNormOp : NN_InferredOp<"layer_norm",
    [SameOperandsAndResultElementType, AllTypesMatch<["gamma", "beta"]>]> {
  let nnFusion = "Reduction";
  let nnGroupsOver = "gamma";
  let nnShapeRule = "layerNorm";
  let nnDsl = [NN_ShapeRuleDsl<"layer_norm", [
      NN_PositiveDslAttr<"eps", "Float", "1e-5">]>];
  let summary = "layer normalisation over the trailing axes";
  let description = [{
    Normalises `x` over its trailing axes, those of `gamma`'s shape (PyTorch's
    `normalized_shape`), and scales it per element of those axes:
    `y = gamma * (x - mu) / sqrt(sigma2 + eps) + beta`, where `mu` and
    `sigma2` are the mean and biased variance of each group of trailing
    elements. `beta` has `gamma`'s shape; `eps` defaults to 1e-5. The same
    in training and evaluation: there are no running statistics.

    Example:

    ```mlir
    %y = nn.layer_norm %x, %gamma, %beta : tensor<?x32x64xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, NN_FloatTensor:$gamma,
                       NN_FloatTensor:$beta,
                       DefaultValuedAttr<F64Attr, "1e-5">:$eps);
  let results = (outs NN_FloatTensor:$y);
  let assemblyFormat = [{
    $x `,` $gamma `,` $beta (`eps` $eps^)? attr-dict `:` type($x) `,`
    type($gamma)
  }];
}

// Declared beside its forward op: the two share the statistics' definition.
def NN_LayerNormGradOp : NN_InferredOp<"layer_norm_grad",
    [SameOperandsAndResultElementType, AllTypesMatch<["x", "dy"]>]> {
  let nnFusion = "Reduction";
  let nnShapeRule = "layerNormGrad";
  let nnResultTypesOf = ["gamma", "gamma"];
  let summary = "gradient of layer_norm";
  let description = [{
    Gives `(dx, dgamma, dbeta)` for the forward input `x`, the scale `gamma`
    and the result's gradient `dy`, recomputing each group's statistics from
    `x`: with `xhat = (x - mu) * rstd`, `g = dy * gamma` and means over the
    group, `dx = rstd * (g - mean(g) - xhat * mean(g * xhat))`;
    `dgamma = sum(dy * xhat)` and `dbeta = sum(dy)` over the leading axes.
    `eps` (default 1e-5) is the forward op's.

    Example:

    ```mlir
    %dx, %dgamma, %dbeta = nn.layer_norm_grad %x, %gamma, %dy
        : tensor<?x32x64xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, NN_FloatTensor:$gamma,
                       NN_FloatTensor:$dy,
                       DefaultValuedAttr<F64Attr, "1e-5">:$eps);
  let results = (outs NN_FloatTensor:$dx, NN_FloatTensor:$dgamma,
                      NN_FloatTensor:$dbeta);
  let assemblyFormat = [{
    $x `,` $gamma `,` $dy (`eps` $eps^)? attr-dict `:` type($x) `,`
    type($gamma)
  }];
}

def NN_RmsNormOp : NN_InferredOp<"rms_norm",
    [SameOperandsAndResultElementType]> {
  let nnFusion = "Reduction";
  let nnGroupsOver = "gamma";
  let nnShapeRule = "rmsNorm";
  let nnDsl = [NN_ShapeRuleDsl<"rms_norm", [
      NN_PositiveDslAttr<"eps", "Float", "1e-6">]>];
  let summary = "root-mean-square normalisation over the trailing axes";
  let description = [{
    Scales `x` by the reciprocal root mean square of each group of its
    trailing axes, those of `gamma`'s shape, then by `gamma` per element:
    `y = gamma * x / sqrt(mean(x^2) + eps)` (Zhang and Sennrich, 2019;
    PyTorch's `nn.RMSNorm`). Unlike layer_norm it neither centres nor
    shifts: there is no mean to subtract and no `beta`. `eps` defaults to
    1e-6.

    Example:

    ```mlir
    %y = nn.rms_norm %x, %gamma : tensor<?x32x64xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, NN_FloatTensor:$gamma,
                       DefaultValuedAttr<F64Attr, "1e-6">:$eps);
  let results = (outs NN_FloatTensor:$y);
  let assemblyFormat = [{
    $x `,` $gamma (`eps` $eps^)? attr-dict `:` type($x) `,` type($gamma)
  }];
}

def NN_RmsNormGradOp : NN_InferredOp<"rms_norm_grad",
    [SameOperandsAndResultElementType, AllTypesMatch<["x", "dy"]>]> {
  let nnFusion = "Reduction";
  let nnShapeRule = "rmsNormGrad";
  let nnResultTypesOf = ["gamma"];
  let summary = "gradient of rms_norm";
  let description = [{
    Gives `(dx, dgamma)` for the forward input `x`, the scale `gamma` and
    the result's gradient `dy`, recomputing each group's `rstd =
    1 / sqrt(mean(x^2) + eps)`: with `xhat = x * rstd` and `g = dy * gamma`,
    `dx = rstd * (g - xhat * mean(g * xhat))` over the group, and
    `dgamma = sum(dy * xhat)` over the leading axes.

    Example:

    ```mlir
    %dx, %dgamma = nn.rms_norm_grad %x, %gamma, %dy
        : tensor<?x32x64xf32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, NN_FloatTensor:$gamma,
                       NN_FloatTensor:$dy,
                       DefaultValuedAttr<F64Attr, "1e-6">:$eps);
  let results = (outs NN_FloatTensor:$dx, NN_FloatTensor:$dgamma);
  let assemblyFormat = [{
    $x `,` $gamma `,` $dy (`eps` $eps^)? attr-dict `:` type($x) `,`
    type($gamma)
  }];
}

// Attention as one op, so that the cpu backend can run it blocked over keys
// and never keep a [queries, keys] matrix per head for the backward pass.
def NN_ScaledDotProductAttentionOp
    : NN_InferredOp<"scaled_dot_product_attention",
                    [SameOperandsAndResultElementType]> {
  let nnDsl = [NN_Dsl<"scaled_dot_product_attention", "attentionRule", 3, 4, [
      NN_DslAttr<"causal", "Bool", "0">,
      NN_DslAttr<"scale", "Float", "0">]>];
  let summary = "scaled dot-product attention (PyTorch 2's F.scaled_dot_product_attention)";
  let description = [{
    `softmax(scale * q @ kT + mask) @ v` over the last two axes, for
    queries `q` `[..., t, d]`, keys `k` `[..., s, d]` and values `v`
    `[..., s, dv]` with the same leading axes; the result is `[..., t, dv]`.
    `mask`, optional, is added to the scores and broadcasts to
    `[..., t, s]` (0 to keep a key, -inf to hide it); no gradient flows to
    it. With `causal`, query i sees keys j <= i only (the upper-left
    aligned triangle, as PyTorch's `is_causal`). `scale` 0, the default,
    means `1 / sqrt(d)`. A query whose every key is hidden gets 0, not NaN.

    Example:

    ```mlir
    %y = nn.scaled_dot_product_attention %q, %k, %v causal true
        : tensor<?x4x64x32xf32>, tensor<?x4x64x32xf32>, tensor<?x4x64x32xf32>
        -> tensor<?x4x64x32xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$q, NN_FloatTensor:$k,
                       NN_FloatTensor:$v, Optional<NN_FloatTensor>:$mask,
                       DefaultValuedAttr<BoolAttr, "false">:$causal,
                       DefaultValuedAttr<F64Attr, "0.0">:$scale);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $q `,` $k `,` $v (`,` $mask^)? (`causal` $causal^)? (`scale` $scale^)?
    attr-dict `:` type($q) `,` type($k) `,` type($v) (`,` type($mask)^)?
    `->` type($result)
  }];
  let extraClassDeclaration = [{
    /// The factor of the scores: `scale`, or 1 / sqrt(d) when it is 0.
    double getEffectiveScale();
  }];
}

// Declared beside its forward op: the two share the scores' definition.
def NN_ScaledDotProductAttentionGradOp
    : NN_InferredOp<"scaled_dot_product_attention_grad",
                    [SameOperandsAndResultElementType,
                     AllTypesMatch<["out", "dout"]>]> {
  let summary = "gradient of scaled_dot_product_attention";
  let description = [{
    Gives `(dq, dk, dv)` for the forward op's operands and attributes, its
    result `out` and the result's gradient `dout`. The probabilities are
    recomputed from `q`, `k` and the mask block by block, so the forward
    pass keeps nothing but `out`: with `P` the softmax and
    `D = rowsum(dout * out)`, `dv = PT @ dout`,
    `dS = P * (dout @ vT - D)`, `dq = scale * dS @ k` and
    `dk = scale * dST @ q`.

    Example:

    ```mlir
    %dq, %dk, %dv = nn.scaled_dot_product_attention_grad %q, %k, %v, %y, %dy
        causal true
        : tensor<?x4x64x32xf32>, tensor<?x4x64x32xf32>, tensor<?x4x64x32xf32>,
          tensor<?x4x64x32xf32>, tensor<?x4x64x32xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$q, NN_FloatTensor:$k,
                       NN_FloatTensor:$v, NN_FloatTensor:$out,
                       NN_FloatTensor:$dout, Optional<NN_FloatTensor>:$mask,
                       DefaultValuedAttr<BoolAttr, "false">:$causal,
                       DefaultValuedAttr<F64Attr, "0.0">:$scale);
  let results = (outs NN_FloatTensor:$dq, NN_FloatTensor:$dk,
                      NN_FloatTensor:$dv);
  let assemblyFormat = [{
    $q `,` $k `,` $v `,` $out `,` $dout (`,` $mask^)? (`causal` $causal^)?
    (`scale` $scale^)? attr-dict `:` type($q) `,` type($k) `,` type($v) `,`
    type($out) `,` type($dout) (`,` type($mask)^)?
  }];
  let extraClassDeclaration = [{
    /// The factor of the scores: `scale`, or 1 / sqrt(d) when it is 0.
    double getEffectiveScale();
  }];
}

// A training step counter, a scalar tensor<i64> counting from 1. Its type is
// implied in the assembly.
def NN_StepTensor : 0DTensorOf<[I64]>,
    BuildableType<"::mlir::RankedTensorType::get({}, $_builder.getI64Type())">;

def NN_DropoutOp : NN_InferredOp<"dropout"> {
  let nnDsl = [NN_Dsl<"dropout", "dropoutRule", 1, 1, [
      NN_DslAttr<"rate", "Float", "0.5">,
      NN_DslAttr<"seed", "Int", "0">]>];
  let summary = "seeded dropout";
  let description = [{
    With `training` true, zeroes each element with probability `rate`
    (default 0.5) and scales the kept ones by `1 / (1 - rate)`; the mask is a
    deterministic function of `seed` (default 0) and of the optional `step`
    (a scalar `tensor<i64>`, counting from 1; absent, step 0), so that each
    training step draws a new mask and a step can be replayed. With
    `training` false (the default) it is the identity.

    Example:

    ```mlir
    %y = nn.dropout %x {rate = 2.000000e-01 : f64, seed = 7 : i64, training = true} : tensor<?x128xf32>
    %z = nn.dropout %x, %step {training = true} : tensor<?x128xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x, Optional<NN_StepTensor>:$step,
                       DefaultValuedAttr<F64Attr, "0.5">:$rate,
                       DefaultValuedAttr<I64Attr, "0">:$seed,
                       DefaultValuedAttr<BoolAttr, "false">:$training);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$x (`,` $step^)? attr-dict `:` type($x)";
}

#endif // NNC_IR_NNLAYEROPS_TD
