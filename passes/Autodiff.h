//===- Autodiff.h - Reverse-mode differentiation of nn funcs ----*- C++ -*-===//
//
// The core of the nn-autodiff and nn-training-step passes, as functions, so
// that the training step and the CLI reuse it without running one pass
// inside another. The contract of the functions built here is
// docs/autodiff.md.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_AUTODIFF_H
#define NNC_PASSES_AUTODIFF_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>
#include <vector>

namespace nnc {

/// Builds, at `builder`'s insertion point, the reverse-mode gradient of the
/// scalar float `loss` with respect to each argument in `wrt` of `function`'s
/// entry block, and returns one gradient per entry of `wrt`, in order.
///
/// The ops differentiated are those of the entry block that precede the
/// insertion point (the point must be in that block, after `loss` is
/// defined); each is differentiated through GradientOpInterface, never by
/// name. Only ops on a path from some `wrt` argument to `loss` are
/// differentiated, and only gradients of values that depend on a `wrt`
/// argument are kept, so nothing is built for frozen parameters or inputs
/// not asked for beyond what the rules themselves create (callers erase
/// that with eraseDeadOps). Fan-out accumulates with nn.add; non-float
/// values get no gradient.
///
/// An entry is a null Value when its argument does not reach `loss`. Fails
/// after reporting, at each op's location, every op whose rule is missing
/// or failed, in one run (ops upstream of a failed one are still visited),
/// leaving partial backward ops the caller discards; the builder's
/// insertion point is kept.
mlir::FailureOr<llvm::SmallVector<mlir::Value>>
buildGradients(mlir::OpBuilder &builder, mlir::func::FuncOp function,
               mlir::Value loss, llvm::ArrayRef<mlir::BlockArgument> wrt);

/// Warns, at `arg`, that `described` ("parameter 'w'", "input 'x'") gets a
/// zero gradient because buildGradients found none: either nothing it
/// feeds reaches `loss`, or every path to `loss` goes through an operand
/// that takes no gradient (an attention mask, an integer index), which the
/// warning then says, since the argument does change the loss.
void warnZeroGradient(mlir::BlockArgument arg, mlir::Value loss,
                      llvm::StringRef described);

/// Builds a tensor of zeros of `type` (a ranked float tensor): an
/// nn.constant when the shape is static, else a scalar zero broadcast with
/// nn.broadcast_to, whose -1 extents stand for the dynamic batch.
mlir::Value buildZeros(mlir::OpBuilder &builder, mlir::Location loc,
                       mlir::Type type);

/// Erases, last first, every op of `block` that has no uses and no side
/// effects: the forward work a gradient or training-step function does not
/// return and the backward work built for values nobody asked for.
void eraseDeadOps(mlir::Block &block);

/// The string attribute `name` of `function`'s argument or result, or "".
llvm::StringRef getArgString(mlir::func::FuncOp function, unsigned index,
                             llvm::StringRef name);
llvm::StringRef getResultString(mlir::func::FuncOp function, unsigned index,
                                llvm::StringRef name);

/// Whether argument `index` of a forward function is a parameter that is
/// trained: role `param` and no `nn.frozen`.
bool isTrainableParam(mlir::func::FuncOp function, unsigned index);

/// The index of the forward function's result with role `loss`; reports
/// "@NAME has no result with role 'loss'" at the function and fails when
/// there is none, or when that result is not a scalar float tensor.
mlir::FailureOr<unsigned> findLossResult(mlir::func::FuncOp function);

/// What `nn-autodiff` differentiates beyond the trainable parameters.
struct AutodiffOptions {
  /// Names (`nn.name`) of float inputs whose gradients are also returned,
  /// in this order, after the parameters'.
  std::vector<std::string> wrtInputs;
};

/// Adds `func.func @grad` next to `@forward` in `module`, per
/// docs/autodiff.md: the forward's arguments; results the loss (role
/// `loss`), then `grad_NAME` (role `grad`) for every trainable parameter in
/// argument order, then for every input of `options.wrtInputs`. A trainable
/// parameter that does not reach the loss gets zeros and a warning at its
/// argument. Fails, with located errors, when @forward is missing, has no
/// loss, names a bad input, @grad already exists, or rules are missing (the
/// module then has no @grad).
mlir::FailureOr<mlir::func::FuncOp>
buildGradFunction(mlir::ModuleOp module, const AutodiffOptions &options);

} // namespace nnc

#endif // NNC_PASSES_AUTODIFF_H
