//===- PromoteToF64Pass.cpp - Compute a function in double precision ------===//
//
// Finite-difference gradient checks need more precision than f32 gives: a
// central difference with step h loses about log10(1/h) of f32's seven
// digits. This pass turns every f32 tensor of a function into f64 (arguments,
// constants, and through type inference every op), so the same graph can be
// checked in double precision on the same backend.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/TypeRefinement.h"

#include "ir/NNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

namespace nnc {
#define GEN_PASS_DEF_PROMOTETOF64PASS
#include "passes/Passes.h.inc"
} // namespace nnc

using namespace mlir;

namespace {

Type promote(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.getElementType().isF32())
    return type;
  return tensor.clone(Float64Type::get(type.getContext()));
}

/// Rewrites an f32 constant's value in f64, so inference gives f64.
void promoteConstant(Operation *op) {
  auto constant = dyn_cast<nnc::nn::ConstantOp>(op);
  if (!constant)
    return;
  auto value = dyn_cast<DenseElementsAttr>(constant.getValue());
  if (!value || !value.getElementType().isF32())
    return;
  SmallVector<double> values;
  for (float v : value.getValues<float>())
    values.push_back(v);
  auto type = cast<RankedTensorType>(promote(value.getType()));
  constant.setValueAttr(DenseElementsAttr::get(type, ArrayRef<double>(values)));
}

struct PromoteToF64Pass : nnc::impl::PromoteToF64PassBase<PromoteToF64Pass> {
  void runOnOperation() override {
    if (failed(nnc::refineFunctionTypes(getOperation(), promote,
                                        promoteConstant)))
      signalPassFailure();
  }
};

} // namespace
