//===- Passes.td - nnc's passes over the nn dialect -------*- tablegen -*-===//
//
// Every nnc pass is declared here; `nnc::registerPasses()` registers them all
// for nnc-opt and the CLI. One pass per .cpp file, named after it.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_PASSES_TD
#define NNC_PASSES_PASSES_TD

include "mlir/Pass/PassBase.td"

def SpecializeBatchPass
    : Pass<"nn-specialize-batch", "mlir::func::FuncOp"> {
  let summary = "fixes the dynamic batch dimension to a given size";
  let description = [{
    Replaces a dynamic leading dimension of every function argument by
    `batch-size`, then re-infers the result types of every op in order
    through InferTypeOpInterface and updates the function's result types
    from its return. Extents other than the leading one are left as they
    are. Fails, at the op's location, when an op cannot infer its types for
    the new batch or does not implement the interface while its result is
    dynamic.

    Example, with `batch-size=4`:

    ```mlir
    func.func @f(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
      %0 = nn.relu %x : tensor<?x8xf32>
      return %0 : tensor<?x8xf32>
    }
    // becomes
    func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
      %0 = nn.relu %x : tensor<4x8xf32>
      return %0 : tensor<4x8xf32>
    }
    ```
  }];
  let options = [
    Option<"batchSize", "batch-size", "int64_t", /*default=*/"0",
           "the batch size to specialise to; must be positive">,
  ];
}

def PrintExecutionPlanPass
    : Pass<"nn-print-execution-plan", "mlir::ModuleOp"> {
  let summary = "prints the execution plan of every function (for tests)";
  let description = [{
    Runs the partitioner, scheduler and memory planner
    (passes/ExecutionPlanner.h) on every function with a body and prints
    the plan to standard output as `execution plan for @NAME` followed by
    rt::formatExecutionPlan's text; with `print-kernels`, the module of
    kernel functions follows. The input is left unchanged. A test pass:
    the CLI calls planExecution itself.
  }];
  let options = [
    Option<"printKernels", "print-kernels", "bool", /*default=*/"false",
           "also print the module of kernel functions">,
    Option<"inPlace", "in-place", "bool", /*default=*/"true",
           "let kernels compute results in place of operands they read "
           "last">,
  ];
  let dependentDialects = ["mlir::func::FuncDialect"];
}

def SimplifyPass : Pass<"nn-simplify"> {
  let summary = "algebraic simplification of nn graphs";
  let description = [{
    Applies the rewrites of populateSimplifyPatterns (passes/SimplifyPatterns.h),
    which go beyond the ops' folders and canonicalisation patterns, to every
    op nested in the one it runs on, forward and training-step graphs alike:

    - a transpose of the last two axes feeding nn.matmul becomes its
      `transpose_lhs` or `transpose_rhs` flag;
    - `log(softmax(x))` becomes `log_softmax(x)` (more accurate: no underflow
      to log(0));
    - `broadcast_to(broadcast_to(x))` becomes one broadcast_to, and a reshape
      that only adds or drops leading unit axes before a broadcast_to is
      dropped;
    - `x * -1`, `-1 * x` and `x / -1` become `neg(x)`, and `x + neg(y)`,
      `neg(y) + x` and `x - neg(y)` become `x - y` and `x + y`; each only
      when no broadcasting changes the result's shape;
    - attention written out, `matmul(softmax(q @ kT * c + mask), v)`,
      becomes `nn.scaled_dot_product_attention %q, %k, %v, %mask scale c`
      (passes/AttentionFusion.cpp): the factor a splat constant, written
      `* c`, `c *` or `/ c`, or left out (scale 1); the mask optional, on
      either side of the add, and computed from no trainable parameter
      (the fused op gives it no gradient, so a learned bias stays as
      written); kT as a transpose_rhs flag or any tensor (k becomes its
      last-two-axes transpose); the softmax over the last axis; q, k and v
      of one rank with the same leading dimensions; and nothing else using
      the scores or the probabilities. Since nn-simplify runs before
      nn-autodiff, the backward pass then uses the fused gradient op.

    Values are unchanged by every rewrite except two: the log-softmax
    result is more accurate, and fused attention rounds in another order
    and gives 0, not NaN, in a row whose every key is masked with -inf.
    `--no-simplify` (or `nn-optimize{simplify=false}`) keeps the graph as
    written. Ops left unused are erased. Run `canonicalize` and `cse`
    around it (the nn-optimize pipeline does).

    Example:

    ```mlir
    %t = nn.transpose %w perm [1, 0] : tensor<10x64xf32> -> tensor<64x10xf32>
    %y = nn.matmul %x, %t : tensor<?x64xf32>, tensor<64x10xf32> -> tensor<?x10xf32>
    // becomes
    %y = nn.matmul %x, %w transpose_rhs true : tensor<?x64xf32>, tensor<10x64xf32> -> tensor<?x10xf32>
    ```
  }];
  let dependentDialects = ["nnc::nn::NNDialect"];
}

def TrainingModePass : Pass<"nn-training-mode", "mlir::func::FuncOp"> {
  let summary = "switches batch_norm and dropout to training mode";
  let description = [{
    Sets `training = true` on every `nn.batch_norm` (normalise with the
    batch's statistics) and `nn.dropout` (drop, with the mask of step 0
    unless a step operand is given). `nnc grad --training-mode` and
    `nnc gradcheck --training-mode` run it before differentiating, so the
    gradient is the one the training step follows; the training step itself
    does the same to its copy of the forward, with its step counter.
  }];
}

def AutodiffPass : Pass<"nn-autodiff", "mlir::ModuleOp"> {
  let summary = "builds @grad, the gradient of @forward's loss";
  let description = [{
    Adds `func.func @grad` next to `@forward`, per docs/autodiff.md: the
    same arguments; results the loss (role `loss`), then `grad_NAME` (role
    `grad`) for every parameter that is not `nn.frozen`, in argument order,
    then the gradients of the inputs named by `wrt-inputs`, in that order.

    The forward body is cloned, d(loss) is seeded with 1, and every op on a
    path from a differentiated argument to the loss is differentiated in
    reverse order through GradientOpInterface; fan-out accumulates with
    `nn.add`. Frozen parameters and inputs not asked for get no backward
    work. A parameter that does not reach the loss gets zeros and a
    warning. Fails when @forward is missing or has no `loss` result, and
    reports every op without a gradient rule, at its location, in one run.

    Example:

    ```mlir
    func.func @forward(%x: tensor<4x3xf32> {nn.name = "x", nn.role = "input"},
                       %w: tensor<3x1xf32> {nn.name = "w", nn.role = "param"},
                       %t: tensor<4x1xf32> {nn.name = "t", nn.role = "input"})
        -> (tensor<f32> {nn.name = "loss", nn.role = "loss"})
    // gains
    func.func @grad(/* the same arguments */)
        -> (tensor<f32> {nn.name = "loss", nn.role = "loss"},
            tensor<3x1xf32> {nn.name = "grad_w", nn.role = "grad"})
    ```
  }];
  let options = [
    ListOption<"wrtInputs", "wrt-inputs", "std::string",
               "names of float inputs whose gradients are also returned">,
  ];
  let dependentDialects = ["mlir::func::FuncDialect", "nnc::nn::NNDialect"];
}

def TrainingStepPass : Pass<"nn-training-step", "mlir::ModuleOp"> {
  let summary = "builds @train_step: forward, gradients and optimizer update";
  let description = [{
    Adds `func.func @train_step` next to `@forward`, per docs/autodiff.md.
    Arguments: the forward's (inputs, params, buffers), then each optimizer
    state slot of each trainable parameter (role `opt_state`, name
    `NAME.velocity` for sgd with momentum, momentum and nesterov, `NAME.m`
    and `NAME.v` for adam and adamw), then `step` (`tensor<i64>`, role
    `step`) and `lr` (`tensor<f32>`, role `lr`). Results: the loss, the forward outputs,
    the updated parameters (role `param_update`), the updated buffers (role
    `buffer_update`) and the updated optimizer state (role
    `opt_state_update`).

    Batch-norm and dropout run in training mode; dropout draws its mask
    from `step`. Gradients come from the nn-autodiff core; with
    `clip-norm` > 0 they are scaled by min(1, C / (||g||_2 + 1e-6)) over
    every trainable parameter. The update is `nn.sgd_update` (sgd without
    momentum), `nn.momentum_update` (sgd with momentum, momentum,
    nesterov) or `nn.adam_update` (adam, adamw with `decoupled`). Frozen
    parameters get no gradient, state or update.

    The optimizer and its hyperparameters come from the module's
    `nn.train` dictionary; every option given overrides it. The choice is
    recorded as @train_step's `nn.optimizer` dictionary (with `lr`, the
    rate a caller feeds by default).

    Example, with `optimizer=sgd`:

    ```mlir
    func.func @train_step(/* forward args */, %step: tensor<i64>, %lr: tensor<f32>)
        -> (/* loss, outputs */, tensor<3x2xf32> {nn.name = "w", nn.role = "param_update"}) {
      // forward, then gradients, then
      %w1 = nn.sgd_update %w, %dw, %lr : tensor<3x2xf32>, tensor<f32>
    }
    ```
  }];
  let options = [
    Option<"optimizer", "optimizer", "std::string", /*default=*/"\"sgd\"",
           "sgd, momentum, nesterov, adam or adamw">,
    Option<"lr", "lr", "double", /*default=*/"0.01",
           "the learning rate the caller feeds by default (documentation)">,
    Option<"momentum", "momentum", "double", /*default=*/"0.0",
           "momentum of sgd, momentum and nesterov (unset: 0 for sgd, "
           "0.9 for the others)">,
    Option<"weightDecay", "weight-decay", "double", /*default=*/"0.0",
           "L2 penalty (decoupled for adamw)">,
    Option<"beta1", "beta1", "double", /*default=*/"0.9",
           "adam's first-moment decay">,
    Option<"beta2", "beta2", "double", /*default=*/"0.999",
           "adam's second-moment decay">,
    Option<"eps", "eps", "double", /*default=*/"1e-8",
           "adam's denominator term">,
    Option<"clipNorm", "clip-norm", "double", /*default=*/"0.0",
           "global gradient-norm bound; 0 disables clipping">,
    Option<"split", "split", "bool", /*default=*/"false",
           "build @train_grads and @train_apply, meeting at the gradients, "
           "instead of @train_step (data-parallel training)">,
  ];
  let dependentDialects = ["mlir::func::FuncDialect", "nnc::nn::NNDialect"];
}

def PromoteToF64Pass : Pass<"nn-promote-f64", "mlir::func::FuncOp"> {
  let summary = "computes a function in f64 instead of f32";
  let description = [{
    Turns every f32 tensor of the function into f64: its arguments, the
    values of its constants, and through result-type inference every op.
    Finite-difference gradient checks run the promoted graph, where a
    central difference keeps about ten significant digits instead of two.

    ```mlir
    func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
      %0 = nn.exp %x : tensor<4xf32>
      return %0 : tensor<4xf32>
    }
    // becomes
    func.func @f(%x: tensor<4xf64>) -> tensor<4xf64> {
      %0 = nn.exp %x : tensor<4xf64>
      return %0 : tensor<4xf64>
    }
    ```
  }];
  let dependentDialects = ["nnc::nn::NNDialect"];
}

def FusionPass : Pass<"nn-fuse", "mlir::func::FuncOp"> {
  let summary = "groups producer-consumer chains into nn.fusion ops";
  let description = [{
    Partitions the function's ops into fusion groups with the cost model of
    passes/FusionCostModel.h (docs/architecture.md, "Fusion") and outlines
    each group of two or more ops into an `nn.fusion`, which the execution
    planner turns into one kernel: elementwise chains; bias adds,
    activations and residual adds after a matmul or conv2d; elementwise
    prologues and epilogues of reductions (softmax, losses, normalisation);
    and the same in backward graphs (relu_grad after its matmul, an
    optimizer update after the gradient it reads). Nothing expensive is
    recomputed: a value used outside its group is a result of the group.
    Run it after autodiff and nn-training-step, before planning.

    Example:

    ```mlir
    %0 = nn.matmul %x, %w : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
    %1 = nn.add %0, %b : tensor<4x2xf32>, tensor<2xf32> -> tensor<4x2xf32>
    %2 = nn.relu %1 : tensor<4x2xf32>
    // becomes
    %2 = nn.fusion(%x, %w, %b) : (tensor<4x3xf32>, tensor<3x2xf32>,
                                  tensor<2xf32>) -> tensor<4x2xf32> {
    ^bb0(%a: tensor<4x3xf32>, %c: tensor<3x2xf32>, %d: tensor<2xf32>):
      %0 = nn.matmul %a, %c : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
      %1 = nn.add %0, %d : tensor<4x2xf32>, tensor<2xf32> -> tensor<4x2xf32>
      %2 = nn.relu %1 : tensor<4x2xf32>
      nn.yield %2 : tensor<4x2xf32>
    }
    ```
  }];
  let options = [
    Option<"fuseContractions", "fuse-contractions", "bool",
           /*default=*/"true",
           "let elementwise epilogues join matmul and conv2d groups">,
    Option<"fuseReductions", "fuse-reductions", "bool", /*default=*/"true",
           "let reductions take elementwise prologues and epilogues">,
    Option<"maxGroupSize", "max-group-size", "int64_t", /*default=*/"32",
           "the most ops in one group (at least 2)">,
  ];
  let dependentDialects = ["nnc::nn::NNDialect"];
}

def PrintGraphStatsPass : Pass<"nn-print-graph-stats", "mlir::ModuleOp"> {
  let summary = "prints the graph statistics of every function (for tests)";
  let description = [{
    Plans every function with a body (passes/ExecutionPlanner.h) and prints
    computeGraphStats's numbers (passes/GraphStats.h) to standard output as
    `graph stats for @NAME` followed by one `key: value` line each: ops,
    fusion groups, kernels, arena bytes, flops. The input is left unchanged.
    A test pass: the CLI calls computeGraphStats itself.
  }];
  let dependentDialects = ["mlir::func::FuncDialect"];
}

#endif // NNC_PASSES_PASSES_TD
