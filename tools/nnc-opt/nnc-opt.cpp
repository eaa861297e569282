//===- nnc-opt.cpp - mlir-opt for the nn dialect --------------------------===//
//
// Parses, verifies, transforms and prints nn IR; the driver of the lit
// tests. It knows nnc's dialects, passes and pipelines plus the generic
// canonicalize and cse passes, which exercise folders, and view-op-graph,
// which `nnc ir --dot` runs.
//
//===----------------------------------------------------------------------===//

#include "ir/NNDialect.h"
#include "passes/Passes.h"
#include "passes/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  nnc::registerAllDialects(registry);
  nnc::registerPasses();
  nnc::registerPipelines();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerViewOpGraphPass();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "nnc optimizer driver\n", registry));
}
