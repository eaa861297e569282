//===- SpecializeBatchPass.cpp - Fix the batch dimension ------------------===//
//
// Compiled kernels and the memory plan need static shapes, but a model is
// written for any batch size: its arguments' leading extent is `?`. This
// pass gives that extent a value and lets every op recompute its result
// types through InferTypeOpInterface, the same rules the verifier uses, so
// no op needs code here.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"

namespace nnc {
#define GEN_PASS_DEF_SPECIALIZEBATCHPASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;

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

bool hasDynamicShape(Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  return shaped && !shaped.hasStaticShape();
}

struct SpecializeBatchPass
    : nnc::impl::SpecializeBatchPassBase<SpecializeBatchPass> {
  using Base::Base;

  void runOnOperation() override;

private:
  LogicalResult reinfer(Operation *op);
};

LogicalResult SpecializeBatchPass::reinfer(Operation *op) {
  auto inferable = dyn_cast<InferTypeOpInterface>(op);
  if (!inferable) {
    // Such an op keeps its types; that is only wrong if they are dynamic.
    if (llvm::any_of(op->getResultTypes(), hasDynamicShape))
      return op->emitError()
             << "cannot specialise the batch through this op: it does not "
                "infer its result types";
    return success();
  }
  SmallVector<Type> types;
  // Inference reports its own error at the op's location.
  if (failed(inferable.inferReturnTypes(
          op->getContext(), op->getLoc(), op->getOperands(),
          op->getAttrDictionary(), op->getPropertiesStorage(), op->getRegions(),
          types)))
    return failure();
  for (auto [result, type] : llvm::zip_equal(op->getResults(), types))
    result.setType(type);
  return success();
}

void SpecializeBatchPass::runOnOperation() {
  func::FuncOp function = getOperation();
  if (batchSize <= 0) {
    function.emitError() << "nn-specialize-batch needs a positive batch-size, "
                            "got "
                         << static_cast<int64_t>(batchSize);
    return signalPassFailure();
  }
  if (function.isExternal())
    return;

  SmallVector<Type> argumentTypes;
  for (BlockArgument argument : function.getArguments()) {
    argumentTypes.push_back(
        specializeLeadingDim(argument.getType(), batchSize.getValue()));
    argument.setType(argumentTypes.back());
  }

  // Program order, so every op sees its operands' new types.
  WalkResult walk =
      function.getBody().walk<WalkOrder::PreOrder>([&](Operation *op) {
        if (op->hasTrait<OpTrait::ReturnLike>())
          return WalkResult::advance();
        return failed(reinfer(op)) ? WalkResult::interrupt()
                                   : WalkResult::advance();
      });
  if (walk.wasInterrupted())
    return signalPassFailure();

  SmallVector<Type> resultTypes(function.getResultTypes());
  function.getBody().walk([&](func::ReturnOp ret) {
    if (ret->getParentOp() == function)
      resultTypes.assign(ret.getOperandTypes().begin(),
                         ret.getOperandTypes().end());
  });
  function.setFunctionType(
      FunctionType::get(&getContext(), argumentTypes, resultTypes));
}

} // namespace
