//===- NNTensorOps.td - Contractions, reductions, layout ops -*- tablegen -*-===//
//
// matmul, the softmax family, reductions, the ops that move or reshape data,
// and constants. Result types are inferred in NNTypeInference.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_IR_NNTENSOROPS_TD
#define NNC_IR_NNTENSOROPS_TD

include "ir/NNBase.td"

//===----------------------------------------------------------------------===//
// Contraction and normalisation
//===----------------------------------------------------------------------===//

def NN_MatmulOp : NN_InferredOp<"matmul", [SameOperandsAndResultElementType]> {
  let nnFusion = "Contraction";
  let nnDsl = [NN_Dsl<"matmul", "matmulRule", 2, 2>];
  let summary = "batched matrix multiplication";
  let description = [{
    Multiplies `[..., m, k]` by `[..., k, n]` into `[broadcast(...), m, n]`
    (the `@` of the model language). Both operands have rank 2 or more and
    their leading (batch) dimensions broadcast with NumPy rules.

    With `transpose_lhs` (default false) the last two axes of `lhs` are
    swapped before the product, so `lhs` is `[..., k, m]`; `transpose_rhs`
    likewise makes `rhs` `[..., n, k]`. No transposed copy is built, and a
    `[?, k]` operand can be contracted over its batch axis (`x^T @ y`),
    which a separate nn.transpose could not express.

    Example:

    ```mlir
    %r = nn.matmul %a, %b : tensor<?x64xf32>, tensor<64x10xf32> -> tensor<?x10xf32>
    %g = nn.matmul %x, %dy transpose_lhs true : tensor<?x64xf32>, tensor<?x10xf32> -> tensor<64x10xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$lhs, NN_FloatTensor:$rhs,
                       DefaultValuedAttr<BoolAttr, "false">:$transpose_lhs,
                       DefaultValuedAttr<BoolAttr, "false">:$transpose_rhs);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`transpose_lhs` $transpose_lhs^)?
    (`transpose_rhs` $transpose_rhs^)? attr-dict `:` type($lhs) `,` type($rhs)
    `->` type($result)
  }];
}

class NN_SoftmaxBaseOp<string mnemonic> : NN_InferredOp<mnemonic> {
  let nnFusion = "Reduction";
  let nnDsl = [NN_Dsl<mnemonic, "softmaxRule", 1, 1, [
      NN_DslAttr<"axis", "Int", "-1">]>];
  let arguments = (ins NN_FloatTensor:$x,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$x (`axis` $axis^)? attr-dict `:` type($x)";
}

def NN_SoftmaxOp : NN_SoftmaxBaseOp<"softmax"> {
  let summary = "softmax along one axis";
  let description = [{
    Computes `exp(x) / sum(exp(x))` along `axis` (default -1, the last; a
    negative axis counts from the end), in the numerically stable form that
    subtracts the maximum first.

    Example:

    ```mlir
    %p = nn.softmax %logits : tensor<?x10xf32>
    %q = nn.softmax %x axis 0 : tensor<4x10xf32>
    ```
  }];
}

def NN_LogSoftmaxOp : NN_SoftmaxBaseOp<"log_softmax"> {
  let summary = "log-softmax along one axis";
  let description = [{
    Computes `x - log(sum(exp(x)))` along `axis` (default -1), the logarithm
    of the softmax without its underflow.

    Example:

    ```mlir
    %lp = nn.log_softmax %logits axis 1 : tensor<?x10xf32>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class NN_ReduceOp<string mnemonic, string what> : NN_InferredOp<mnemonic,
    [SameOperandsAndResultElementType]> {
  let nnFusion = "Reduction";
  let nnDsl = [NN_Dsl<mnemonic, "reduceRule", 1, 1, [
      NN_DslAttr<"axes", "IntList">,
      NN_DslAttr<"keepdims", "Bool">]>];
  let summary = what # " over axes";
  let description = [{
    Reduces `x` over `axes` (default: every axis) by its }] # what # [{.
    Reduced axes are dropped, or kept with extent 1 when `keepdims` is true.
    Negative axes count from the end; a repeated or out-of-range axis is an
    error.

    Example:

    ```mlir
    %r = nn.}] # mnemonic # [{ %x axes [1] : tensor<?x10xf32> -> tensor<?xf32>
    %k = nn.}] # mnemonic # [{ %x axes [-1] keepdims true : tensor<?x10xf32> -> tensor<?x1xf32>
    %all = nn.}] # mnemonic # [{ %x : tensor<?x10xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins NN_Tensor:$x,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$axes,
                       DefaultValuedAttr<BoolAttr, "false">:$keepdims);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $x (`axes` $axes^)? (`keepdims` $keepdims^)? attr-dict `:` type($x) `->`
    type($result)
  }];
  // Folds to x when nothing is reduced away; a reduction over extent-1 axes
  // alone canonicalises to nn.reshape (ir/NNCanonicalize.cpp).
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def NN_ReduceSumOp : NN_ReduceOp<"reduce_sum", "sum">;
def NN_ReduceMeanOp : NN_ReduceOp<"reduce_mean", "mean">;
def NN_ReduceMaxOp : NN_ReduceOp<"reduce_max", "maximum">;

//===----------------------------------------------------------------------===//
// Layout
//===----------------------------------------------------------------------===//

def NN_ReshapeOp : NN_InferredOp<"reshape", [SameOperandsAndResultElementType]> {
  let nnDsl = [NN_Dsl<"reshape", "reshapeRule", 1, 1, [
      NN_RequiredDslAttr<"shape", "IntList">]>];
  let summary = "reinterprets a tensor with a new shape";
  let description = [{
    Gives the elements of `x`, in row-major order, the extents in `shape`. At
    most one entry is -1; it is inferred from the element count. A dynamic
    input dimension can only be absorbed by that -1 entry, which then makes
    the result's dimension dynamic.

    Example:

    ```mlir
    %r = nn.reshape %x shape [-1, 64] : tensor<?x8x8xf32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$x, DenseI64ArrayAttr:$shape);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $x `shape` $shape attr-dict `:` type($x) `->` type($result)
  }];
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def NN_TransposeOp : NN_InferredOp<"transpose",
    [SameOperandsAndResultElementType]> {
  let nnDsl = [NN_Dsl<"transpose", "transposeRule", 1, 1, [
      NN_DslAttr<"perm", "IntList">]>];
  let summary = "permutes the axes of a tensor";
  let description = [{
    Result axis `i` is input axis `perm[i]`. `perm` must be a permutation of
    `[0, rank)`; the default (empty) reverses the axes.

    Example:

    ```mlir
    %t = nn.transpose %x perm [1, 0] : tensor<?x10xf32> -> tensor<10x?xf32>
    ```

    (A result whose dynamic dimension leaves the leading position is
    rejected: only the leading dimension may be dynamic.)
  }];
  let arguments = (ins NN_Tensor:$x,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$perm);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $x (`perm` $perm^)? attr-dict `:` type($x) `->` type($result)
  }];
  let extraClassDeclaration = [{
    /// True when the last axis stays last, so that every row of the result
    /// is a run of consecutive elements of `x`: a kernel can read the
    /// result where `x` lies, through strides.
    bool keepsLastAxis();
  }];
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def NN_BroadcastToOp : NN_InferredOp<"broadcast_to",
    [SameOperandsAndResultElementType]> {
  let nnSplitsByRows = 1;
  let nnDsl = [NN_Dsl<"broadcast_to", "broadcastToRule", 1, 1, [
      NN_RequiredDslAttr<"shape", "IntList">]>];
  let summary = "broadcasts a tensor to a shape";
  let description = [{
    Expands `x` to `shape` with NumPy broadcasting. A -1 entry of `shape`
    stands for the dynamic batch dimension.

    Example:

    ```mlir
    %b = nn.broadcast_to %x shape [-1, 10] : tensor<10xf32> -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$x, DenseI64ArrayAttr:$shape);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $x `shape` $shape attr-dict `:` type($x) `->` type($result)
  }];
  let hasFolder = 1;
}

def NN_ConcatOp : NN_InferredOp<"concat", [SameOperandsAndResultElementType]> {
  let nnDsl = [NN_Dsl<"concat", "concatRule", 1, -1, [
      NN_DslAttr<"axis", "Int">]>];
  let summary = "joins tensors along an axis";
  let description = [{
    Concatenates one or more tensors of equal rank along `axis` (default 0);
    their other extents must be equal.

    Example:

    ```mlir
    %c = nn.concat %a, %b axis 1 : tensor<?x3xf32>, tensor<?x5xf32> -> tensor<?x8xf32>
    ```
  }];
  let arguments = (ins Variadic<NN_Tensor>:$inputs,
                       DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $inputs (`axis` $axis^)? attr-dict `:` type($inputs) `->` type($result)
  }];
}

def NN_SliceOp : NN_InferredOp<"slice", [SameOperandsAndResultElementType]> {
  let nnDsl = [NN_Dsl<"slice", "sliceRule", 1, 1, [
      NN_RequiredDslAttr<"axes", "IntList">,
      NN_RequiredDslAttr<"starts", "IntList">,
      NN_RequiredDslAttr<"ends", "IntList">,
      NN_DslAttr<"steps", "IntList">]>];
  let summary = "strided slice along some axes";
  let description = [{
    For each `axes[i]`, keeps the elements `[starts[i], ends[i])` taken every
    `steps[i]` (default 1). Negative starts and ends count from the end and
    are clamped as in Python. The four lists have one entry per listed axis;
    an empty `steps` means all ones.

    Example:

    ```mlir
    %s = nn.slice %x axes [1] starts [2] ends [8] steps [2] : tensor<?x10xf32> -> tensor<?x3xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$x, DenseI64ArrayAttr:$axes,
                       DenseI64ArrayAttr:$starts, DenseI64ArrayAttr:$ends,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$steps);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $x `axes` $axes `starts` $starts `ends` $ends (`steps` $steps^)? attr-dict
    `:` type($x) `->` type($result)
  }];
  let hasFolder = 1;
}

def NN_GatherOp : NN_InferredOp<"gather"> {
  let nnDsl = [NN_Dsl<"gather", "gatherRule", 2, 2, [
      NN_DslAttr<"axis", "Int">]>,
      NN_Dsl<"embedding", "embeddingRule", 2, 2, [], "axis", 0>];
  let summary = "gathers slices of a tensor by integer indices";
  let description = [{
    Picks the slices of `x` along `axis` (default 0) named by `indices`; the
    result shape is `x[:axis] + indices + x[axis+1:]`. The model language's
    `embedding(table, ids)` is `gather` on axis 0.

    Example:

    ```mlir
    %e = nn.gather %table, %ids : tensor<1000x64xf32>, tensor<?x16xi32> -> tensor<?x16x64xf32>
    ```
  }];
  let arguments = (ins NN_Tensor:$x, NN_IndexTensor:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = [{
    $x `,` $indices (`axis` $axis^)? attr-dict `:` type($x) `,` type($indices)
    `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def NN_ConstantOp : NN_InferredOp<"constant", [ConstantLike]> {
  let nnFusion = "Constant";
  let summary = "a constant tensor";
  let description = [{
    Produces the tensor held by `value`; the result type is the attribute's
    type. Folding yields the attribute, so constant operands fold through
    the dialect's materializer.

    Example:

    ```mlir
    %c = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
    %z = nn.constant dense<0.0> : tensor<4x10xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs NN_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

#endif // NNC_IR_NNTENSOROPS_TD
