//===- AttentionHeadPlan.cpp - An attention op as a kernel's native head --===//
//
// What planHead (KernelPlan.cpp) needs to run scaled_dot_product_attention
// or its gradient natively: the buffers each head reads and the strided
// layouts through which it reads transposed operands and writes transposed
// results, so that those transposes never run as kernels of their own.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/compiler/KernelPlanSupport.h"

#include "backends/cpu/compiler/LinalgBuilders.h"

#include "ir/NNOps.h"

#include <algorithm>
#include <type_traits>

using namespace mlir;
using namespace nnc;
using namespace nnc::cpu;

namespace {

/// Row-major strides of `shape`, in elements.
SmallVector<int64_t> denseStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;)
    strides[d - 1] = strides[d] * shape[d];
  return strides;
}

/// The HeadLayout of a tensor shaped `shape` ([leading..., rows, columns])
/// whose axes lie `strides` floats apart (the last 1): dense strides give
/// the dense layout.
/// Where each head's matrix starts, heads numbered row-major over the
/// leading axes `leading`, whose elements lie `strides` floats apart.
std::vector<int64_t> headOffsets(ArrayRef<int64_t> leading,
                                 ArrayRef<int64_t> strides) {
  int64_t heads = 1;
  for (int64_t extent : leading)
    heads *= extent;
  std::vector<int64_t> offsets;
  for (int64_t h = 0; h < heads; ++h) {
    int64_t rest = h, offset = 0;
    for (size_t d = leading.size(); d-- > 0;) {
      offset += (rest % leading[d]) * strides[d];
      rest /= leading[d];
    }
    offsets.push_back(offset);
  }
  return offsets;
}

HeadLayout headLayoutOf(ArrayRef<int64_t> shape, ArrayRef<int64_t> strides) {
  HeadLayout layout;
  if (strides == ArrayRef<int64_t>(denseStrides(shape)))
    return layout;
  layout.rowStride = strides[shape.size() - 2];
  layout.headOffset = headOffsets(shape.drop_back(2), strides);
  return layout;
}

/// The argument an attention operand reads and the layout it reads it
/// through: an argument itself (dense), or a transpose of one that keeps
/// the last axis (the fusion pass clones those in); nullopt otherwise.
std::optional<std::pair<int64_t, HeadLayout>> readThrough(Value value) {
  if (int64_t arg = argumentOf(value); arg >= 0)
    return std::make_pair(arg, HeadLayout());
  auto transpose = value.getDefiningOp<nn::TransposeOp>();
  if (!transpose || !transpose.keepsLastAxis() ||
      argumentOf(transpose.getX()) < 0 || !isF32(transpose.getX()))
    return std::nullopt;
  // Axis i of the transpose is axis perm[i] of the argument.
  SmallVector<int64_t> source =
      denseStrides(tensorTypeOf(transpose.getX()).getShape());
  SmallVector<int64_t> strides;
  for (int64_t axis : transpose.getPerm())
    strides.push_back(source[static_cast<size_t>(axis)]);
  return std::make_pair(argumentOf(transpose.getX()),
                        headLayoutOf(tensorTypeOf(value).getShape(), strides));
}

/// The layout an attention result is written through: dense, or that of
/// `written`, the transpose that keeps the last axis and reads it alone.
HeadLayout writeLayout(Value result, Value written) {
  auto transpose = written.getDefiningOp<nn::TransposeOp>();
  if (written == result || !transpose)
    return HeadLayout();
  // Axis perm[i] of the result is axis i of the transpose.
  SmallVector<int64_t> target = denseStrides(tensorTypeOf(written).getShape());
  SmallVector<int64_t> strides(target.size());
  for (auto [i, axis] : llvm::enumerate(transpose.getPerm()))
    strides[static_cast<size_t>(axis)] = target[i];
  return headLayoutOf(tensorTypeOf(result).getShape(), strides);
}

} // namespace

Value nnc::cpu::writtenFor(Value result) {
  if (!result.hasOneUse())
    return result;
  auto transpose = dyn_cast<nn::TransposeOp>(*result.getUsers().begin());
  return transpose && transpose.keepsLastAxis() && isF32(transpose.getResult())
             ? transpose.getResult()
             : result;
}

namespace nnc::cpu {

/// scaled_dot_product_attention or its gradient by heads (the product of
/// the axes before the last two). Buffers are function argument numbers;
/// the gradient's results are set by planHead, which knows where the kernel
/// returns them. q, k, v and the gradient's out and dout may be read
/// through transposes, and the results written through them (readThrough,
/// writtenFor).
template <typename AttentionOp>
std::optional<HeadPlan> planAttention(AttentionOp op,
                                      ContractionHead::Kind kind) {
  HeadPlan plan;
  ContractionHead &head = plan.head;
  head.kind = kind;
  for (Value result : op->getResults())
    if (!isF32(result))
      return std::nullopt;
  RankedTensorType q = tensorTypeOf(op.getQ());
  RankedTensorType k = tensorTypeOf(op.getK());
  RankedTensorType v = tensorTypeOf(op.getV());
  int64_t rank = q.getRank();
  AttentionShape &shape = head.attention;
  shape.queries = q.getDimSize(rank - 2);
  shape.depth = q.getDimSize(rank - 1);
  shape.keys = k.getDimSize(rank - 2);
  shape.valueDepth = v.getDimSize(rank - 1);
  shape.heads =
      q.getNumElements() / std::max<int64_t>(1, shape.queries * shape.depth);
  shape.scale = static_cast<float>(op.getEffectiveScale());
  shape.causal = op.getCausal();
  head.rows = shape.heads;
  head.rowElements = shape.queries * (kind == ContractionHead::Kind::Attention
                                          ? shape.valueDepth
                                          : shape.depth);
  using B = ContractionHead;
  using O = AttentionOperand;
  head.attentionBuffers.assign(B::DV + 1, -1);
  auto read = [&](Value value, B::AttentionBuffer buffer, O operand) {
    std::optional<std::pair<int64_t, HeadLayout>> source = readThrough(value);
    if (!source)
      return false;
    head.attentionBuffers[buffer] = source->first;
    shape.layouts[static_cast<int>(operand)] = std::move(source->second);
    return true;
  };
  if (!read(op.getQ(), B::Q, O::Q) || !read(op.getK(), B::K, O::K) ||
      !read(op.getV(), B::V, O::V))
    return std::nullopt;
  if (Value mask = op.getMask()) {
    // The mask's element strides over the scores [..., t, s], 0 along the
    // axes it broadcasts, give each head's offset and the row and column
    // strides.
    head.attentionBuffers[B::Mask] = argumentOf(mask);
    if (argumentOf(mask) < 0 || !isF32(mask))
      return std::nullopt;
    ArrayRef<int64_t> maskShape = tensorTypeOf(mask).getShape();
    std::vector<int64_t> strides(static_cast<size_t>(rank), 0);
    int64_t stride = 1;
    for (size_t d = maskShape.size(); d-- > 0;) {
      size_t axis = static_cast<size_t>(rank) - maskShape.size() + d;
      strides[axis] = maskShape[d] == 1 ? 0 : stride;
      stride *= maskShape[d];
    }
    shape.maskRowStride = strides[static_cast<size_t>(rank - 2)];
    shape.maskColumnStride = strides[static_cast<size_t>(rank - 1)];
    shape.maskHeadOffset = headOffsets(q.getShape().drop_back(2), strides);
  }
  if constexpr (std::is_same_v<AttentionOp,
                               nn::ScaledDotProductAttentionGradOp>) {
    if (!read(op.getOut(), B::Out, O::Out) ||
        !read(op.getDout(), B::DOut, O::DOut))
      return std::nullopt;
    const O gradients[] = {O::DQ, O::DK, O::DV};
    for (auto [result, operand] : llvm::zip(op->getResults(), gradients))
      shape.layouts[static_cast<int>(operand)] =
          writeLayout(result, writtenFor(result));
  } else {
    shape.layouts[static_cast<int>(O::Out)] =
        writeLayout(op.getResult(), writtenFor(op.getResult()));
  }
  // Each head reads whole matrices of every operand (the arguments before
  // the gradient's results).
  for (size_t i = 0; i <= B::DOut; ++i)
    if (head.attentionBuffers[i] >= 0)
      plan.wholeArgs.push_back(head.attentionBuffers[i]);
  return plan;
}

template std::optional<HeadPlan>
planAttention(nn::ScaledDotProductAttentionOp op, ContractionHead::Kind kind);
template std::optional<HeadPlan>
planAttention(nn::ScaledDotProductAttentionGradOp op,
              ContractionHead::Kind kind);

} // namespace nnc::cpu
