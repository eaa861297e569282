//===- NNFusionOps.td - Fusion groups of nn ops -------------*- tablegen -*-===//
//
// The region op nn-fuse builds around a group of ops that run as one kernel,
// and its terminator. The execution planner inlines each group's body into
// one kernel function, so no backend ever sees these two ops.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_IR_NNFUSIONOPS_TD
#define NNC_IR_NNFUSIONOPS_TD

include "ir/NNBase.td"

def NN_FusionOp : NN_Op<"fusion", [IsolatedFromAbove, SingleBlock]> {
  let nnCompiled = 0;
  let summary = "a group of nn ops that runs as one kernel";
  let description = [{
    Holds a producer-consumer group of nn ops chosen by `nn-fuse`
    (passes/FusionCostModel.h). The single block's arguments are the
    operands, in order and of the same types; its `nn.yield` gives the
    results, the group's values that are used outside it. Being isolated
    from above, the body reads nothing but its arguments and its own
    constants, so the planner turns it into a kernel function by inlining
    the body. Values inside the group never reach memory between kernels.

    The body holds nn ops without regions (no nested groups). Fusion runs
    after autodiff, so the op has no gradient rule.

    Example:

    ```mlir
    %r = nn.fusion(%x, %w, %b) : (tensor<4x3xf32>, tensor<3x2xf32>, tensor<2xf32>)
        -> tensor<4x2xf32> {
    ^bb0(%a: tensor<4x3xf32>, %c: tensor<3x2xf32>, %d: tensor<2xf32>):
      %0 = nn.matmul %a, %c : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
      %1 = nn.add %0, %d : tensor<4x2xf32>, tensor<2xf32> -> tensor<4x2xf32>
      %2 = nn.relu %1 : tensor<4x2xf32>
      nn.yield %2 : tensor<4x2xf32>
    }
    ```
  }];
  let arguments = (ins Variadic<NN_Tensor>:$inputs);
  let results = (outs Variadic<NN_Tensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `(` $inputs `)` attr-dict `:` functional-type($inputs, $results) $body
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
}

def NN_YieldOp : Op<NN_Dialect, "yield",
                    [Pure, Terminator, HasParent<"FusionOp">]> {
  let summary = "the results of an nn.fusion group";
  let description = [{
    Ends the body of an `nn.fusion`; its operands become the group's
    results, so their types must match the results of the enclosing op.

    Example:

    ```mlir
    nn.yield %1, %2 : tensor<4x2xf32>, tensor<4x2xf32>
    ```
  }];
  let arguments = (ins Variadic<NN_Tensor>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

#endif // NNC_IR_NNFUSIONOPS_TD
