//===- RefOpLowering.h - nn ops to interpreter steps ------------*- C++ -*-===//
//
// The compiler half's op-by-op mapping: each nn op the ref backend supports
// becomes one Step of RefProgram.h, its kind and attributes read off the op.
// The operands and results (the step's slots) are the caller's business.
// Forward ops are in RefOpLowering.cpp, the backward and optimizer ops of
// docs/autodiff.md in RefTrainingOpLowering.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_REF_REFOPLOWERING_H
#define NNC_BACKENDS_REF_REFOPLOWERING_H

#include "backends/ref/RefProgram.h"

#include "mlir/IR/Operation.h"
#include "mlir/Support/LogicalResult.h"

#include <array>
#include <cstdint>
#include <optional>

namespace nnc::ref {

/// Fills step.kind and step.attrs from `op`. An op without a mapping (one
/// listed in refSupportedOps() by mistake) or with a malformed attribute is
/// an error emitted at `op`.
mlir::LogicalResult lowerOpToStep(mlir::Operation *op, Step &step);

/// As lowerOpToStep(), for the backward and optimizer ops; called by it for
/// every op that is not a forward op.
mlir::LogicalResult lowerTrainingOp(mlir::Operation *op, Step &step);

/// A [height, width] attribute `name` of `op` as the kernels' std::array;
/// any other length is an error emitted at `op`.
mlir::FailureOr<std::array<int64_t, 2>> pairOf(mlir::Operation *op,
                                               llvm::StringRef name,
                                               llvm::ArrayRef<int64_t> values);

/// The window attributes of a conv2d-like op (conv2d and its two gradient
/// ops): `stride`, `padding`, `dilation` and `groups`.
template <typename ConvOp>
mlir::FailureOr<Conv2dAttrs> conv2dAttrsOf(ConvOp conv) {
  mlir::Operation *op = conv.getOperation();
  mlir::FailureOr<std::array<int64_t, 2>> stride =
      pairOf(op, "stride", conv.getStride());
  mlir::FailureOr<std::array<int64_t, 2>> padding =
      pairOf(op, "padding", conv.getPadding());
  mlir::FailureOr<std::array<int64_t, 2>> dilation =
      pairOf(op, "dilation", conv.getDilation());
  if (mlir::failed(stride) || mlir::failed(padding) || mlir::failed(dilation))
    return mlir::failure();
  Conv2dAttrs attrs;
  attrs.stride = *stride;
  attrs.padding = *padding;
  attrs.dilation = *dilation;
  attrs.groups = conv.getGroupsAttr().getInt();
  return attrs;
}

/// The window attributes of a pooling op (forward or gradient): `kernel`,
/// the optional `stride` and `padding`; countIncludePad is left true.
template <typename PoolOp>
mlir::FailureOr<Pool2dAttrs> pool2dAttrsOf(PoolOp pool) {
  mlir::Operation *op = pool.getOperation();
  mlir::FailureOr<std::array<int64_t, 2>> kernel =
      pairOf(op, "kernel", pool.getKernel());
  mlir::FailureOr<std::array<int64_t, 2>> padding =
      pairOf(op, "padding", pool.getPadding());
  if (mlir::failed(kernel) || mlir::failed(padding))
    return mlir::failure();
  Pool2dAttrs attrs;
  attrs.kernel = *kernel;
  attrs.padding = *padding;
  if (std::optional<llvm::ArrayRef<int64_t>> stride = pool.getStride()) {
    mlir::FailureOr<std::array<int64_t, 2>> pair =
        pairOf(op, "stride", *stride);
    if (mlir::failed(pair))
      return mlir::failure();
    attrs.stride = *pair;
  }
  return attrs;
}

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_REFOPLOWERING_H
