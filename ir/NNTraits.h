//===- NNTraits.h - Op traits of the nn dialect -----------------*- C++ -*-===//
//
// Traits shared by every nn op. They run before result-type inference when
// an op is verified, so inference can rely on what they check.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_IR_NNTRAITS_H
#define NNC_IR_NNTRAITS_H

#include "mlir/IR/OpDefinition.h"

namespace nnc::nn {

namespace detail {
/// Fails, with an error at the op, if an operand or result is a tensor with a
/// dynamic dimension other than the leading one.
llvm::LogicalResult verifyStaticExceptBatch(mlir::Operation *op);
} // namespace detail

/// Only the leading (batch) dimension of a tensor operand or result may be
/// dynamic: the batch size is specialised at compile time, every other extent
/// is fixed by the model.
template <typename ConcreteType>
class StaticExceptBatch
    : public mlir::OpTrait::TraitBase<ConcreteType, StaticExceptBatch> {
public:
  static llvm::LogicalResult verifyTrait(mlir::Operation *op) {
    return detail::verifyStaticExceptBatch(op);
  }
};

} // namespace nnc::nn

#endif // NNC_IR_NNTRAITS_H
