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

def NN_LeakyReluOp : NN_FloatUnaryOp<"leaky_relu"> {
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

#endif // NNC_IR_NNELEMENTWISEOPS_TD
