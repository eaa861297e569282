//===- InferContext.h - Helpers of the ops' result-type inference -*- C++ -*-===//
//
// Shared by NNTypeInference.cpp (forward ops) and NNTrainingOps.cpp
// (backward and optimizer ops): inference runs while parsing and building
// too, when there is no Operation to call emitOpError on, so errors go
// through an InferContext naming the op. Private to ir/.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_IR_INFERCONTEXT_H
#define NNC_IR_INFERCONTEXT_H

#include "ir/ShapeRules.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"

#include <optional>
#include <vector>

namespace nnc::nn::detail {

/// The op being inferred, for messages.
struct InferContext {
  llvm::StringRef opName;
  std::optional<mlir::Location> loc;

  /// Reports `args` as "'nn.X' op ..." at the op's location, if any.
  template <typename... Args> mlir::LogicalResult error(Args &&...args) const {
    return mlir::emitOptionalError(loc, "'", opName, "' op ",
                                   std::forward<Args>(args)...);
  }

  /// `type` as a ranked tensor, or an error naming `what`.
  mlir::FailureOr<mlir::RankedTensorType> tensor(mlir::Type type,
                                                 llvm::StringRef what) const {
    auto ranked = mlir::dyn_cast<mlir::RankedTensorType>(type);
    if (!ranked)
      return error(what, " must be a ranked tensor, got ", type);
    return ranked;
  }

  /// The shapes of `values`, or an error if one is not a ranked tensor.
  /// `names` holds one operand name per value, for the message.
  mlir::FailureOr<llvm::SmallVector<shape::Shape>>
  shapes(llvm::ArrayRef<mlir::Value> values,
         llvm::ArrayRef<llvm::StringRef> names) const {
    llvm::SmallVector<shape::Shape> out;
    for (auto [value, name] : llvm::zip_equal(values, names)) {
      mlir::FailureOr<mlir::RankedTensorType> ranked =
          tensor(value.getType(), name);
      if (mlir::failed(ranked))
        return mlir::failure();
      out.emplace_back(ranked->getShape().begin(), ranked->getShape().end());
    }
    return out;
  }

  /// Appends a tensor of the rule's shape and `elementType`, or reports the
  /// rule's error.
  mlir::LogicalResult push(const shape::ShapeResult &result,
                           mlir::Type elementType,
                           llvm::SmallVectorImpl<mlir::Type> &types) const {
    if (!result.ok())
      return error(result.error);
    types.push_back(mlir::RankedTensorType::get(result.shape, elementType));
    return mlir::success();
  }

  /// As above, with `like`'s element type.
  mlir::LogicalResult push(const shape::ShapeResult &result, mlir::Value like,
                           llvm::SmallVectorImpl<mlir::Type> &types) const {
    return push(result, mlir::getElementTypeOrSelf(like), types);
  }

  /// `values` as a window field pair: two entries, [height, width].
  mlir::LogicalResult checkPair(llvm::ArrayRef<int64_t> values,
                                llvm::StringRef name) const {
    if (values.size() != 2)
      return error("'", name, "' must have 2 entries [height, width], got ",
                   values.size());
    return mlir::success();
  }
};

template <typename OpTy>
InferContext contextFor(std::optional<mlir::Location> loc) {
  return {OpTy::getOperationName(), loc};
}

inline shape::Shape toShape(mlir::RankedTensorType type) {
  return shape::Shape(type.getShape().begin(), type.getShape().end());
}

inline std::vector<int64_t> toVector(llvm::ArrayRef<int64_t> values) {
  return std::vector<int64_t>(values.begin(), values.end());
}

/// `adaptor` with its absent default-valued attributes filled in. MLIR 19's
/// adaptor getters dereference an absent attribute, and the parser infers
/// result types before the defaults are set.
template <typename OpTy>
typename OpTy::Adaptor withDefaults(mlir::MLIRContext *context,
                                    typename OpTy::Adaptor adaptor) {
  typename OpTy::Properties properties = adaptor.getProperties();
  OpTy::populateDefaultProperties(
      mlir::OperationName(OpTy::getOperationName(), context), properties);
  return typename OpTy::Adaptor(adaptor.getOperands(), adaptor.getAttributes(),
                                properties);
}

/// The window (stride, padding, dilation) of a conv2d or conv2d_grad_*
/// adaptor, or an error.
template <typename Adaptor>
mlir::FailureOr<shape::Window2d> convWindow(const InferContext &ctx,
                                      Adaptor adaptor) {
  llvm::ArrayRef<int64_t> stride = adaptor.getStride(),
                    padding = adaptor.getPadding(),
                    dilation = adaptor.getDilation();
  if (mlir::failed(ctx.checkPair(stride, "stride")) ||
      mlir::failed(ctx.checkPair(padding, "padding")) ||
      mlir::failed(ctx.checkPair(dilation, "dilation")))
    return mlir::failure();
  shape::Window2d window;
  window.strideH = stride[0];
  window.strideW = stride[1];
  window.padH = padding[0];
  window.padW = padding[1];
  window.dilationH = dilation[0];
  window.dilationW = dilation[1];
  return window;
}

/// The window of a *_pool2d or *_pool2d_grad adaptor, or an error.
template <typename Adaptor>
mlir::FailureOr<shape::Window2d> poolWindow(const InferContext &ctx,
                                      Adaptor adaptor) {
  llvm::ArrayRef<int64_t> kernel = adaptor.getKernel();
  // PyTorch's convention: without a stride, windows do not overlap.
  llvm::ArrayRef<int64_t> stride = adaptor.getStride().value_or(kernel);
  llvm::ArrayRef<int64_t> padding = adaptor.getPadding();
  if (mlir::failed(ctx.checkPair(kernel, "kernel")) ||
      mlir::failed(ctx.checkPair(stride, "stride")) ||
      mlir::failed(ctx.checkPair(padding, "padding")))
    return mlir::failure();
  shape::Window2d window;
  window.kh = kernel[0];
  window.kw = kernel[1];
  window.strideH = stride[0];
  window.strideW = stride[1];
  window.padH = padding[0];
  window.padW = padding[1];
  return window;
}

} // namespace nnc::nn::detail

#endif // NNC_IR_INFERCONTEXT_H
