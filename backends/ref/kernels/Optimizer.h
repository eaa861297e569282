//===- Optimizer.h - Reference optimizer updates ----------------*- C++ -*-===//
//
// One optimizer step per parameter tensor, with PyTorch's semantics
// (torch.optim.SGD, with and without momentum and nesterov, Adam and AdamW).
// The parameter, its gradient and its state tensors share one float dtype
// and shape. The learning rate `lr` is a scalar [] tensor of f32 or f64
// (not necessarily the parameter's), so a schedule can change it between
// runs; Adam's `step` is a scalar i64 (or i32) counting from 1. Everything
// is computed per element in double and rounded once. Outputs may be the
// same tensors as the corresponding inputs (an in-place update): each
// element is read before it is written.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_REF_KERNELS_OPTIMIZER_H
#define NNC_BACKENDS_REF_KERNELS_OPTIMIZER_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

namespace nnc::ref {

/// Attributes of sgd_update.
struct SgdAttrs {
  double weightDecay = 0; ///< L2 penalty added to the gradient.
};

/// out = param - lr * (grad + weightDecay * param).
rt::Error sgdUpdate(rt::ConstTensorView param, rt::ConstTensorView grad,
                    rt::ConstTensorView lr, const SgdAttrs &attrs,
                    rt::TensorView out);

/// Attributes of momentum_update.
struct MomentumAttrs {
  double momentum = 0.9;  ///< Decay of the velocity.
  double weightDecay = 0; ///< L2 penalty added to the gradient.
  bool nesterov = false;  ///< Look-ahead update.
};

/// PyTorch's SGD with momentum and no dampening: g = grad + wd * param,
/// velocity' = momentum * velocity + g, then param' = param - lr * u with
/// u = g + momentum * velocity' (nesterov) or u = velocity'. A zero initial
/// velocity reproduces PyTorch's first step, where the buffer starts as g.
rt::Error momentumUpdate(rt::ConstTensorView param, rt::ConstTensorView grad,
                         rt::ConstTensorView velocity, rt::ConstTensorView lr,
                         const MomentumAttrs &attrs, rt::TensorView outParam,
                         rt::TensorView outVelocity);

/// Attributes of adam_update.
struct AdamAttrs {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weightDecay = 0;
  /// False: Adam's L2 penalty (wd * param added to the gradient). True:
  /// AdamW's decoupled decay (param scaled by 1 - lr * wd before the step).
  bool decoupled = false;
};

/// Adam with bias correction by `step` t >= 1:
///   m' = beta1 m + (1 - beta1) g,  v' = beta2 v + (1 - beta2) g^2,
///   param' = param - lr (m' / (1 - beta1^t)) / (sqrt(v' / (1 - beta2^t))
///            + eps),
/// with g and param adjusted for weight decay as AdamAttrs::decoupled says.
/// A step below 1 is an error.
rt::Error adamUpdate(rt::ConstTensorView param, rt::ConstTensorView grad,
                     rt::ConstTensorView m, rt::ConstTensorView v,
                     rt::ConstTensorView step, rt::ConstTensorView lr,
                     const AdamAttrs &attrs, rt::TensorView outParam,
                     rt::TensorView outM, rt::TensorView outV);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_KERNELS_OPTIMIZER_H
