//===- NNElementwiseOps.td - Elementwise ops of nn ---------*- tablegen -*-===//
//
// Unary maps and broadcasting binary ops. Their operands, format, inference
// and traits come from the base classes in NNBase.td.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_IR_NNELEMENTWISEOPS_TD
#define NNC_IR_NNELEMENTWISEOPS_TD

include "ir/NNBase.td"

//===----------------------------------------------------------------------===//
// Binary ops
//===----------------------------------------------------------------------===//

def NN_AddOp : NN_BinaryOp<"add", NN_Tensor, [Commutative]> {
  let nnDsl = [NN_BinaryDsl<"add">];
  let nnSamples = [NN_Sample<["1.5", "-4"], "-2.5">,
                   NN_Sample<["0.25", "0.5"], "0.75">];
  let summary = "elementwise addition with broadcasting";
  let description = [{
    Adds two tensors element by element after NumPy broadcasting (the `+` of the
    model language). The operands share one element type.

    Example:

    ```mlir
    %r = nn.add %a, %b : tensor<?x10xf32>, tensor<10xf32> -> tensor<?x10xf32>
    ```
  }];
  let hasFolder = 1;
}

def NN_SubOp : NN_BinaryOp<"sub", NN_Tensor, []> {
  let nnDsl = [NN_BinaryDsl<"sub">];
  let nnSamples = [NN_Sample<["1.5", "-4"], "5.5">,
                   NN_Sample<["0.25", "0.5"], "-0.25">];
  let summary = "elementwise subtraction with broadcasting";
  let description = [{
    Subtracts `rhs` from `lhs` element by element after NumPy broadcasting (the
    binary `-` of the model language).

    Example:

    ```mlir
    %r = nn.sub %a, %b : tensor<?x10xf32>, tensor<?x1xf32> -> tensor<?x10xf32>
    ```
  }];
  let hasFolder = 1;
}

def NN_MulOp : NN_BinaryOp<"mul", NN_Tensor, [Commutative]> {
  let nnDsl = [NN_BinaryDsl<"mul">];
  let nnSamples = [NN_Sample<["1.5", "-4"], "-6">,
                   NN_Sample<["0.25", "0.5"], "0.125">];
  let summary = "elementwise multiplication with broadcasting";
  let description = [{
    Multiplies two tensors element by element after NumPy broadcasting (the `*`
    of the model language).

    Example:

    ```mlir
    %r = nn.mul %a, %b : tensor<4x10xf32>, tensor<f32> -> tensor<4x10xf32>
    ```
  }];
  let hasFolder = 1;
}

def NN_DivOp : NN_BinaryOp<"div", NN_Tensor, []> {
  let nnDsl = [NN_BinaryDsl<"div">];
  let nnSamples = [NN_Sample<["1.5", "-4"], "-0.375">,
                   NN_Sample<["1", "8"], "0.125">];
  let summary = "elementwise division with broadcasting";
  let description = [{
    Divides `lhs` by `rhs` element by element after NumPy broadcasting (the `/`
    of the model language). Integer division truncates toward zero.

    Example:

    ```mlir
    %r = nn.div %a, %b : tensor<?x10xf32>, tensor<?x1xf32> -> tensor<?x10xf32>
    ```
  }];
  let hasFolder = 1;
}

def NN_PowOp : NN_BinaryOp<"pow", NN_FloatTensor, []> {
  let nnDsl = [NN_FloatBinaryDsl<"pow">];
  let nnSamples = [NN_Sample<["2", "3"], "8">,
                   NN_Sample<["4", "0.5"], "2">,
                   NN_Sample<["2", "-1"], "0.5">];
  let summary = "elementwise power with broadcasting";
  let description = [{
    Raises `lhs` to the power `rhs` element by element after NumPy broadcasting.
    Both operands are float tensors.

    Example:

    ```mlir
    %r = nn.pow %a, %b : tensor<?x10xf32>, tensor<f32> -> tensor<?x10xf32>
    ```
  }];
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Unary ops
//===----------------------------------------------------------------------===//

def NN_NegOp : NN_UnaryOp<"neg", NN_Tensor> {
  let nnDsl = [NN_UnaryDsl<"neg">];
  let nnSamples = [NN_Sample<["1.5"], "-1.5">, NN_Sample<["-2"], "2">];
  let summary = "elementwise negation";
  let description = [{
    Negates every element (the unary `-` of the model language).

    Example:

    ```mlir
    %y = nn.neg %x : tensor<?x64xf32>
    ```
  }];
  let hasFolder = 1;
}

def NN_AbsOp : NN_UnaryOp<"abs", NN_Tensor> {
  let nnDsl = [NN_UnaryDsl<"abs">];
  let nnSamples = [NN_Sample<["1.5"], "1.5">, NN_Sample<["-2"], "2">];
  let nnGradcheckDomain = "nonzero";
  let summary = "elementwise absolute value";
  let description = [{
    Takes the absolute value of every element.

    Example:

    ```mlir
    %y = nn.abs %x : tensor<?x64xf32>
    ```
  }];
  let hasFolder = 1;
}

def NN_ExpOp : NN_FloatUnaryOp<"exp"> {
  let nnDsl = [NN_FloatUnaryDsl<"exp">];
  let nnSamples = [NN_Sample<["0"], "1">,
                   NN_Sample<["1"], "2.718281828459045">,
                   NN_Sample<["-2"], "0.1353352832366127">];
  let summary = "elementwise exponential";
  let description = [{
    Computes `e^x` for every element of a float tensor.

    Example:

    ```mlir
    %y = nn.exp %x : tensor<?x64xf32>
    ```
  }];
  let hasFolder = 1;
}

def NN_LogOp : NN_FloatUnaryOp<"log"> {
  let nnDsl = [NN_FloatUnaryDsl<"log">];
  let nnSamples = [NN_Sample<["1"], "0">,
                   NN_Sample<["2.718281828459045"], "1">,
                   NN_Sample<["0.5"], "-0.6931471805599453">];
  let nnGradcheckDomain = "positive";
  let summary = "elementwise natural logarithm";
  let description = [{
    Computes the natural logarithm of every element of a float tensor;
    non-positive inputs give -inf or NaN as in IEEE 754.

    Example:

    ```mlir
    %y = nn.log %x : tensor<?x64xf32>
    ```
  }];
  let hasFolder = 1;
}

def NN_SqrtOp : NN_FloatUnaryOp<"sqrt"> {
  let nnDsl = [NN_FloatUnaryDsl<"sqrt">];
  let nnSamples = [NN_Sample<["4"], "2">,
                   NN_Sample<["2"], "1.4142135623730951">,
                   NN_Sample<["0.25"], "0.5">];
  let nnGradcheckDomain = "positive";
  let summary = "elementwise square root";
  let description = [{
    Computes the square root of every element of a float tensor.

    Example:

    ```mlir
    %y = nn.sqrt %x : tensor<?x64xf32>
    ```
  }];
  let hasFolder = 1;
}

def NN_ReluOp : NN_FloatUnaryOp<"relu"> {
  let nnDsl = [NN_FloatUnaryDsl<"relu">];
  let nnSamples = [NN_Sample<["1.5"], "1.5">, NN_Sample<["-2"], "0">];
  let nnGradcheckDomain = "nonzero";
  let summary = "rectified linear unit";
  let description = [{
    Computes `max(x, 0)` for every element of a float tensor.

    Example:

    ```mlir
    %y = nn.relu %x : tensor<?x64xf32>
    ```
  }];
  let hasFolder = 1;
}

def NN_SigmoidOp : NN_FloatUnaryOp<"sigmoid"> {
  let nnDsl = [NN_FloatUnaryDsl<"sigmoid">];
  let nnSamples = [NN_Sample<["0"], "0.5">,
                   NN_Sample<["2"], "0.8807970779778823">,
                   NN_Sample<["-3"], "0.04742587317756678">];
  let summary = "logistic sigmoid";
  let description = [{
    Computes `1 / (1 + e^-x)` for every element of a float tensor.

    Example:

    ```mlir
    %y = nn.sigmoid %x : tensor<?x64xf32>
    ```
  }];
  let hasFolder = 1;
}

def NN_TanhOp : NN_FloatUnaryOp<"tanh"> {
  let nnDsl = [NN_FloatUnaryDsl<"tanh">];
  let nnSamples = [NN_Sample<["0"], "0">,
                   NN_Sample<["0.5"], "0.46211715726000974">,
                   NN_Sample<["-2"], "-0.9640275800758169">];
  let summary = "hyperbolic tangent";
  let description = [{
    Computes `tanh(x)` for every element of a float tensor.

    Example:

    ```mlir
    %y = nn.tanh %x : tensor<?x64xf32>
    ```
  }];
  let hasFolder = 1;
}

def NN_GeluOp : NN_FloatUnaryOp<"gelu"> {
  let nnDsl = [NN_FloatUnaryDsl<"gelu">];
  let nnSamples = [NN_Sample<["0"], "0">,
                   NN_Sample<["1"], "0.8413447460685429">,
                   NN_Sample<["-1"], "-0.15865525393145707">];
  let summary = "Gaussian error linear unit";
  let description = [{
    Computes `x * Phi(x)`, with `Phi` the standard normal CDF (the exact erf
    form, as PyTorch's default), for every element of a float tensor.

    Example:

    ```mlir
    %y = nn.gelu %x : tensor<?x64xf32>
    ```
  }];
}

def NN_SoftplusOp : NN_FloatUnaryOp<"softplus"> {
  let nnDsl = [NN_FloatUnaryDsl<"softplus">];
  let nnSamples = [NN_Sample<["0"], "0.6931471805599453">,
                   NN_Sample<["1"], "1.3132616875182228">,
                   NN_Sample<["-2"], "0.1269280110429725">,
                   NN_Sample<["20"], "20.000000002061153">,
                   NN_Sample<["-20"], "2.061153620314381e-09">];
  let summary = "softplus, a smooth rectifier";
  let description = [{
    Computes `log(1 + exp(x))` for every element of a float tensor, as
    `max(x, 0) + log1p(exp(-|x|))` so that no `exp` overflows and small
    results keep their precision. Its derivative is `sigmoid(x)`.

    Example:

    ```mlir
    %y = nn.softplus %x : tensor<?x64xf32>
    ```
  }];
}

def NN_LeakyReluOp : NN_FloatUnaryOp<"leaky_relu"> {
  let nnDsl = [NN_FloatUnaryDsl<"leaky_relu", [
      NN_DslAttr<"alpha", "Float", "0.01">]>];
  let nnSamples = [NN_Sample<["1.5"], "1.5">, NN_Sample<["-2"], "-0.02">];
  let nnGradcheckDomain = "nonzero";
  let summary = "leaky rectified linear unit";
  let description = [{
    Computes `x` for positive elements and `alpha * x` for the others.
    `alpha` defaults to 0.01.

    Example:

    ```mlir
    %y = nn.leaky_relu %x alpha 2.000000e-01 : tensor<?x64xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$x,
                       DefaultValuedAttr<F64Attr, "0.01">:$alpha);
  let assemblyFormat = "$x (`alpha` $alpha^)? attr-dict `:` type($x)";
}

//===----------------------------------------------------------------------===//
// Comparisons
//===----------------------------------------------------------------------===//

// A comparison after NumPy broadcasting: 1 where `relation` holds and 0
// elsewhere, in the operands' element type (nnc has no boolean tensors), so
// that a mask multiplies or adds straight into a float graph. A comparison
// with NaN is false, except not_equal, which is true (IEEE, as PyTorch).
// Its gradient is zero wherever it is defined: no gradient flows through.
class NN_CompareOp<string mnemonic, string relation>
    : NN_BinaryOp<mnemonic, NN_Tensor, []> {
  let nnDsl = [NN_BinaryDsl<mnemonic>];
  let summary = "elementwise `" # relation # "`, as 1 or 0";
  let description = "Gives 1 where `" # relation # "` holds for the "
      # "broadcast elements `a` and `b`, else 0, in the operands' element "
      # "type. NaN compares false (not_equal: true). Its gradient is zero."
      # "\n\nExample:\n\n```mlir\n%m = nn." # mnemonic
      # " %a, %b : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>\n```";
}

def NN_LessOp : NN_CompareOp<"less", "a < b"> {
  let nnSamples = [NN_Sample<["1", "2"], "1">, NN_Sample<["2", "2"], "0">,
                   NN_Sample<["3", "-2"], "0">];
}
def NN_LessEqualOp : NN_CompareOp<"less_equal", "a <= b"> {
  let nnSamples = [NN_Sample<["1", "2"], "1">, NN_Sample<["2", "2"], "1">,
                   NN_Sample<["3", "-2"], "0">];
}
def NN_GreaterOp : NN_CompareOp<"greater", "a > b"> {
  let nnSamples = [NN_Sample<["1", "2"], "0">, NN_Sample<["2", "2"], "0">,
                   NN_Sample<["3", "-2"], "1">];
}
def NN_GreaterEqualOp : NN_CompareOp<"greater_equal", "a >= b"> {
  let nnSamples = [NN_Sample<["1", "2"], "0">, NN_Sample<["2", "2"], "1">,
                   NN_Sample<["3", "-2"], "1">];
}
def NN_EqualOp : NN_CompareOp<"equal", "a == b"> {
  let nnSamples = [NN_Sample<["1", "2"], "0">, NN_Sample<["2", "2"], "1">,
                   NN_Sample<["-0", "0"], "1">];
}
def NN_NotEqualOp : NN_CompareOp<"not_equal", "a != b"> {
  let nnSamples = [NN_Sample<["1", "2"], "1">, NN_Sample<["2", "2"], "0">,
                   NN_Sample<["-0", "0"], "0">];
}

def NN_WhereOp : NN_InferredOp<"where", [SameOperandsAndResultElementType]> {
  let nnDsl = [NN_Dsl<"where", "whereRule", 3, 3>];
  let nnSplitsByRows = 1;
  let summary = "elementwise choice: a where cond is nonzero, else b";
  let description = [{
    Takes `a` where `cond` is nonzero (NaN counts as nonzero) and `b`
    elsewhere, after NumPy broadcasting of the three operands, which share
    one element type: `cond` is typically a comparison's 1 or 0. Unlike
    `cond * a + (1 - cond) * b` it keeps infinities of the branch not taken
    out of the result, as a mask of -inf needs. The gradient flows to `a`
    where `cond` holds and to `b` elsewhere; `cond` gets none.

    Example:

    ```mlir
    %s = nn.where %keep, %scores, %minus_inf : tensor<8x8xf32>, tensor<?x8x8xf32>, tensor<f32> -> tensor<?x8x8xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$cond, NN_Tensor:$a, NN_Tensor:$b);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    operands attr-dict `:` type(operands) `->` type($result)
  }];
}

#endif // NNC_IR_NNELEMENTWISEOPS_TD
