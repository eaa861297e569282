//===- TrainingStep.h - Build @train_step from @forward ---------*- C++ -*-===//
//
// One training step as one function: the forward in training mode, its
// gradients (the autodiff core of passes/Autodiff.h) and the optimizer's
// update. The contract is docs/autodiff.md.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_TRAININGSTEP_H
#define NNC_PASSES_TRAININGSTEP_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"

#include <optional>
#include <string>

namespace nnc {

/// Switches the batch_norm and dropout ops of `body` to training mode;
/// dropout draws its mask from `step` when it is given, else from step 0.
void enterTrainingMode(mlir::Block &body, mlir::Value step);

/// Options of the training step. An unset field takes the module's
/// `nn.train` value (`optimizer`, `hyper.NAME`), else the default noted.
struct TrainingStepOptions {
  /// sgd (default), momentum, nesterov, adam or adamw.
  std::optional<std::string> optimizer;
  /// Learning rate (default 0.01). `lr` is an argument of @train_step, so
  /// this value is only recorded, in @train_step's `nn.optimizer`, as the
  /// one a caller feeds by default.
  std::optional<double> lr;
  /// Momentum of sgd, momentum and nesterov (default 0 for sgd, 0.9 for
  /// the others; sgd with a positive momentum updates as momentum does).
  std::optional<double> momentum;
  /// L2 penalty, decoupled for adamw (default 0).
  std::optional<double> weightDecay;
  /// Adam's moment decays and denominator term (defaults 0.9, 0.999, 1e-8).
  std::optional<double> beta1, beta2, eps;
  /// Global gradient-norm bound (`hyper.clip_norm`; default 0, no clipping).
  std::optional<double> clipNorm;
  /// Build the step as two functions meeting at the gradients, so that a
  /// caller can combine gradients between them (data-parallel training):
  /// @train_grads (the forward and the gradients) and @train_apply
  /// (clipping and the update), instead of @train_step.
  bool split = false;
};

/// Adds `func.func @train_step` next to `@forward` in `module`, per
/// docs/autodiff.md, and returns it. Its attribute `nn.optimizer` records
/// the optimizer and hyperparameters chosen (a dictionary: `name`, `lr`,
/// `momentum`, `weight_decay`, `beta1`, `beta2`, `eps`, `clip_norm`).
/// Fails, with located errors, when @forward is missing or has no loss,
/// @train_step exists, the optimizer is unknown, a hyperparameter is out of
/// range, or gradient rules are missing (then the module is unchanged).
///
/// With `options.split`, adds @train_grads and @train_apply instead and
/// returns @train_grads. @train_grads takes the forward's arguments and
/// `step`, and returns the loss, the outputs, one gradient per trainable
/// parameter (role `grad`, the parameter's name) and the updated buffers.
/// @train_apply takes the trainable parameters, their gradients (role
/// `grad`), the optimizer state, `step` and `lr`, and returns the updated
/// parameters and state; clipping by the global norm happens there, on the
/// gradients it is given.
mlir::FailureOr<mlir::func::FuncOp>
buildTrainStepFunction(mlir::ModuleOp module,
                       const TrainingStepOptions &options);

} // namespace nnc

#endif // NNC_PASSES_TRAININGSTEP_H
