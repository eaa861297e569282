//===- SpecializeBatchPass.cpp - Fix the batch dimension ------------------===//
//
// Compiled kernels and the memory plan need static shapes, but a model is
// written for any batch size: its arguments' leading extent is `?`. This
// pass gives that extent a value and lets every op recompute its result
// types through InferTypeOpInterface, the same rules the verifier uses.
// One op needs more: broadcast_to's -1 names the batch, which its operand
// need not carry (broadcast_to(bias, shape=[-1, 4])), so the pass writes
// the batch size there before the op infers its type.
//
//===----------------------------------------------------------------------===//

#include "ir/NNOps.h"
#include "passes/Passes.h"
#include "passes/TypeRefinement.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/SmallVector.h"

namespace nnc {
#define GEN_PASS_DEF_SPECIALIZEBATCHPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;
namespace nn = nnc::nn;

namespace {

/// `type` with a dynamic leading extent replaced by `batch`; any other type
/// unchanged.
Type specializeLeadingDim(Type type, int64_t batch) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || tensor.getRank() == 0 || !tensor.isDynamicDim(0))
    return type;
  SmallVector<int64_t> shape(tensor.getShape());
  shape[0] = batch;
  return tensor.clone(shape);
}

/// A broadcast_to's -1 (or dynamic) target entries, the batch, become
/// `batch`; any other op unchanged.
void specializeBroadcastTarget(Operation *op, int64_t batch) {
  auto broadcast = dyn_cast<nn::BroadcastToOp>(op);
  if (!broadcast)
    return;
  SmallVector<int64_t> shape(broadcast.getShape());
  bool changed = false;
  for (int64_t &extent : shape)
    if (extent == -1 || ShapedType::isDynamic(extent)) {
      extent = batch;
      changed = true;
    }
  if (changed)
    broadcast.setShape(shape);
}

struct SpecializeBatchPass
    : nnc::impl::SpecializeBatchPassBase<SpecializeBatchPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (batchSize <= 0) {
      function.emitError() << "nn-specialize-batch needs a positive "
                              "batch-size, got "
                           << static_cast<int64_t>(batchSize);
      return signalPassFailure();
    }
    int64_t batch = batchSize.getValue();
    if (failed(nnc::refineFunctionTypes(
            function,
            [batch](Type type) { return specializeLeadingDim(type, batch); },
            [batch](Operation *op) { specializeBroadcastTarget(op, batch); })))
      signalPassFailure();
  }
};

} // namespace
