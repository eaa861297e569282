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
  ];
  let dependentDialects = ["mlir::func::FuncDialect"];
}

#endif // NNC_PASSES_PASSES_TD
