//===- AutodiffPass.cpp - Build @grad from @forward -----------------------===//
//
// The pass form of buildGradFunction (passes/Autodiff.h), for nnc-opt and
// pipelines; the CLI may call the function directly.
//
//===----------------------------------------------------------------------===//

#include "passes/Autodiff.h"
#include "passes/Passes.h"

#include "ir/NNDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace nnc {
#define GEN_PASS_DEF_AUTODIFFPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

struct AutodiffPass : nnc::impl::AutodiffPassBase<AutodiffPass> {
  using Base::Base;

  void runOnOperation() override {
    nnc::AutodiffOptions options;
    options.wrtInputs.assign(wrtInputs.begin(), wrtInputs.end());
    if (failed(nnc::buildGradFunction(getOperation(), options)))
      signalPassFailure();
  }
};

} // namespace
