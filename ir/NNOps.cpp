//===- NNOps.cpp - Ops of the nn dialect ----------------------------------===//
//
// The generated op definitions, the shared traits' verifiers and the
// folders. Result-type inference lives in NNTypeInference.cpp.
//
//===----------------------------------------------------------------------===//

#include "ir/NNOps.h"

#include "ir/NNTypeInference.h"
#include "ir/ShapeRules.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace nnc::nn;

//===----------------------------------------------------------------------===//
// Traits
//===----------------------------------------------------------------------===//

/// Reports the first tensor in `types` with a dynamic non-leading dimension.
static LogicalResult checkStaticExceptBatch(Operation *op, TypeRange types,
                                            StringRef kind) {
  for (auto [index, type] : llvm::enumerate(types)) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor)
      continue;
    ArrayRef<int64_t> shape = tensor.getShape();
    for (size_t dim = 1; dim < shape.size(); ++dim) {
      if (ShapedType::isDynamic(shape[dim]))
        return op->emitOpError()
               << kind << " #" << index
               << " may only have a dynamic leading (batch) dimension, got "
               << type;
    }
  }
  return success();
}

LogicalResult nnc::nn::detail::verifyStaticExceptBatch(Operation *op) {
  if (failed(checkStaticExceptBatch(op, op->getOperandTypes(), "operand")))
    return failure();
  return checkStaticExceptBatch(op, op->getResultTypes(), "result");
}

//===----------------------------------------------------------------------===//
// Folders
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValueAttr(); }

//===----------------------------------------------------------------------===//
// Derived attributes
//===----------------------------------------------------------------------===//

double ScaledDotProductAttentionOp::getEffectiveScale() {
  return nnc::shape::attentionScale(
      getScale().convertToDouble(),
      cast<RankedTensorType>(getQ().getType()).getShape().back());
}

double ScaledDotProductAttentionGradOp::getEffectiveScale() {
  return nnc::shape::attentionScale(
      getScale().convertToDouble(),
      cast<RankedTensorType>(getQ().getType()).getShape().back());
}

bool TransposeOp::keepsLastAxis() {
  ArrayRef<int64_t> perm = getPerm();
  return !perm.empty() && perm.back() == static_cast<int64_t>(perm.size()) - 1;
}

#define GET_OP_CLASSES
#include "ir/NNOps.cpp.inc"
