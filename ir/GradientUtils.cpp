//===- GradientUtils.cpp - Helpers shared by gradient rules ---------------===//

#include "ir/GradientUtils.h"

#include "ir/NNOps.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <numeric>

using namespace mlir;

namespace nnc::nn {

LogicalResult emitMissingGradient(Operation *op) {
  return op->emitError() << "no gradient rule for '" << op->getName() << "'";
}

bool allGradientsNull(ValueRange grads) {
  return llvm::all_of(grads, [](Value grad) { return !grad; });
}

bool isDifferentiable(Value value) {
  auto tensor = dyn_cast<RankedTensorType>(value.getType());
  return tensor && isa<FloatType>(tensor.getElementType());
}

Value beginGradientRule(Operation *op, ValueRange resultGrads,
                        SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign(op->getNumOperands(), Value());
  if (allGradientsNull(resultGrads) || !isDifferentiable(op->getResult(0)))
    return Value();
  return resultGrads[0];
}

SmallVector<int64_t> getShapeAttrValue(RankedTensorType type) {
  SmallVector<int64_t> shape(type.getShape());
  for (int64_t &extent : shape)
    if (ShapedType::isDynamic(extent))
      extent = -1;
  return shape;
}

Value createScalarConstant(OpBuilder &builder, Location loc, Type elementType,
                           double value) {
  auto type = RankedTensorType::get({}, elementType);
  APFloat element = FloatAttr::get(elementType, value).getValue();
  auto attr = DenseElementsAttr::get(type, ArrayRef<APFloat>(element));
  return builder.create<ConstantOp>(loc, cast<ElementsAttr>(attr));
}

Value createScalarLike(OpBuilder &builder, Location loc, Value like,
                       double value) {
  Type elementType = cast<RankedTensorType>(like.getType()).getElementType();
  return createScalarConstant(builder, loc, elementType, value);
}

Value reduceGradientToShape(OpBuilder &builder, Location loc, Value grad,
                            RankedTensorType operandType) {
  auto gradType = cast<RankedTensorType>(grad.getType());
  if (gradType == operandType)
    return grad;
  int64_t rank = gradType.getRank();
  int64_t leading = rank - operandType.getRank();
  assert(leading >= 0 && "the operand has a higher rank than its gradient");

  // Axes the operand lacks, and axes where its extent 1 was stretched
  // (the dynamic batch included); equal extents, even dynamic ones, stay.
  SmallVector<int64_t> axes;
  bool stretched = false;
  for (int64_t axis = 0; axis < rank; ++axis) {
    if (axis < leading) {
      axes.push_back(axis);
      continue;
    }
    int64_t operandExtent = operandType.getDimSize(axis - leading);
    if (operandExtent == gradType.getDimSize(axis))
      continue;
    assert(operandExtent == 1 && "the operand does not broadcast to its "
                                 "gradient's shape");
    axes.push_back(axis);
    stretched = true;
  }
  if (axes.empty())
    return grad;
  // Summing only the leading axes away yields the operand's shape at once.
  if (!stretched)
    return builder.create<ReduceSumOp>(loc, grad, axes, /*keepdims=*/false);
  // Otherwise keep the stretched axes as 1 and drop the leading ones with a
  // reshape; they were summed to extent 1, so the target is static unless it
  // keeps the batch, in which case there are no leading axes to drop.
  Value reduced =
      builder.create<ReduceSumOp>(loc, grad, axes, /*keepdims=*/true);
  if (leading == 0)
    return reduced;
  return builder.create<ReshapeOp>(loc, reduced,
                                   getShapeAttrValue(operandType));
}

Value createElementCount(OpBuilder &builder, Location loc, Value like,
                         ArrayRef<int64_t> axes) {
  auto type = cast<RankedTensorType>(like.getType());
  Type elementType = type.getElementType();
  int64_t rank = type.getRank();
  SmallVector<bool> counted(rank, axes.empty());
  for (int64_t axis : axes)
    counted[axis] = true;

  double staticCount = 1;
  bool countsBatch = false;
  bool empty = false;
  for (int64_t axis = 0; axis < rank; ++axis) {
    int64_t extent = type.getDimSize(axis);
    empty |= extent == 0;
    if (!counted[axis])
      continue;
    if (ShapedType::isDynamic(extent))
      countsBatch = true;
    else
      staticCount *= static_cast<double>(extent);
  }
  // A tensor without elements has no batch rows to count; its gradient is
  // empty whatever the count.
  if (!countsBatch || empty)
    return createScalarConstant(builder, loc, elementType, staticCount);

  // One element per batch row: every other axis sliced to its first index
  // (those of extent 1 already are), then flattened to [?].
  Value rows = like;
  SmallVector<int64_t> sliceAxes;
  for (int64_t axis = 1; axis < rank; ++axis)
    if (type.getDimSize(axis) != 1)
      sliceAxes.push_back(axis);
  if (!sliceAxes.empty()) {
    SmallVector<int64_t> starts(sliceAxes.size(), 0), ends(sliceAxes.size(), 1);
    rows = builder.create<SliceOp>(loc, rows, sliceAxes, starts, ends);
  }
  if (rank > 1)
    rows = builder.create<ReshapeOp>(loc, rows, ArrayRef<int64_t>{-1});
  Value zero = createScalarConstant(builder, loc, elementType, 0.0);
  Value ones = builder.create<PowOp>(loc, rows, zero);
  Value batch = builder.create<ReduceSumOp>(loc, ones, ArrayRef<int64_t>{},
                                            /*keepdims=*/false);
  if (staticCount == 1)
    return batch;
  return builder.create<MulOp>(
      loc, batch, createScalarConstant(builder, loc, elementType, staticCount));
}

Value transposeLastTwo(OpBuilder &builder, Location loc, Value value) {
  int64_t rank = cast<RankedTensorType>(value.getType()).getRank();
  assert(rank >= 2 && "transposeLastTwo needs rank 2 or more");
  SmallVector<int64_t> perm(rank);
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[rank - 1], perm[rank - 2]);
  return builder.create<TransposeOp>(loc, value, perm);
}

} // namespace nnc::nn
