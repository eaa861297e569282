//===- Passes.td - nnc's passes over the nn dialect -------*- tablegen -*-===//
//
// Every nnc pass is declared here; `nnc::registerPasses()` registers them all
// for nnc-opt and the CLI. One pass per .cpp file, named after it.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_PASSES_TD
#define NNC_PASSES_PASSES_TD

include "mlir/Pass/PassBase.td"

// Passes come here, e.g.:
//   def Autodiff : Pass<"nnc-autodiff", "mlir::ModuleOp"> { ... }

#endif // NNC_PASSES_PASSES_TD
