// RUN: nnc-opt %s --nn-training-step=optimizer=sgd | FileCheck %s --check-prefix=SGD
// RUN: nnc-opt %s --nn-training-step="optimizer=sgd momentum=0.5 weight-decay=0.01" | FileCheck %s --check-prefix=SGDM
// RUN: nnc-opt %s --nn-training-step=optimizer=momentum | FileCheck %s --check-prefix=MOMENTUM
// RUN: nnc-opt %s --nn-training-step=optimizer=nesterov | FileCheck %s --check-prefix=NESTEROV
// RUN: nnc-opt %s --nn-training-step | FileCheck %s --check-prefix=ADAM
// RUN: nnc-opt %s --nn-training-step="optimizer=adamw weight-decay=0.01" | FileCheck %s --check-prefix=ADAMW
// RUN: nnc-opt %s --nn-training-step="optimizer=sgd clip-norm=1.5" | FileCheck %s --check-prefix=CLIP
// nn-training-step: the signature of @train_step and one update op per
// trainable parameter for each optimizer; the frozen `s` gets no state and
// no update. Without options, nn.train chooses (adam, lr 1e-3, beta1 0.8).

module attributes {nn.train = {optimizer = "adam", hyper = {lr = 1.000000e-03 : f64, beta1 = 8.000000e-01 : f64}}} {
  func.func @forward(%x: tensor<4x3xf32> {nn.name = "x", nn.role = "input"},
                     %t: tensor<4x2xf32> {nn.name = "t", nn.role = "input"},
                     %w: tensor<3x2xf32> {nn.name = "w", nn.role = "param"},
                     %b: tensor<2xf32> {nn.name = "b", nn.role = "param"},
                     %s: tensor<2xf32> {nn.frozen, nn.name = "s", nn.role = "param"})
      -> (tensor<4x2xf32> {nn.name = "y", nn.role = "output"},
          tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
    %0 = nn.matmul %x, %w : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
    %1 = nn.add %0, %b : tensor<4x2xf32>, tensor<2xf32> -> tensor<4x2xf32>
    %2 = nn.mul %1, %s : tensor<4x2xf32>, tensor<2xf32> -> tensor<4x2xf32>
    %3 = nn.mse %2, %t : tensor<4x2xf32>, tensor<4x2xf32> -> tensor<f32>
    return %2, %3 : tensor<4x2xf32>, tensor<f32>
  }
}

// SGD-LABEL: func.func @train_step(
// SGD-SAME: %arg0: tensor<4x3xf32> {nn.name = "x", nn.role = "input"}, %arg1: tensor<4x2xf32> {nn.name = "t", nn.role = "input"}, %arg2: tensor<3x2xf32> {nn.name = "w", nn.role = "param"}, %arg3: tensor<2xf32> {nn.name = "b", nn.role = "param"}, %arg4: tensor<2xf32> {nn.frozen, nn.name = "s", nn.role = "param"}, %arg5: tensor<i64> {nn.name = "step", nn.role = "step"}, %arg6: tensor<f32> {nn.name = "lr", nn.role = "lr"})
// SGD-SAME: -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}, tensor<4x2xf32> {nn.name = "y", nn.role = "output"}, tensor<3x2xf32> {nn.name = "w", nn.role = "param_update"}, tensor<2xf32> {nn.name = "b", nn.role = "param_update"})
// SGD-SAME: nn.optimizer = {{{.*}}lr = 1.000000e-03 : f64{{.*}}name = "sgd"
// SGD: %[[Y:.*]] = nn.mul %{{.*}}, %arg4
// SGD: %[[LOSS:.*]] = nn.mse %[[Y]], %arg1
// SGD: %[[W:.*]] = nn.sgd_update %arg2, %{{.*}}, %arg6 : tensor<3x2xf32>, tensor<f32>
// SGD: %[[B:.*]] = nn.sgd_update %arg3, %{{.*}}, %arg6 : tensor<2xf32>, tensor<f32>
// SGD-NOT: nn.sgd_update %arg4
// SGD: return %[[LOSS]], %[[Y]], %[[W]], %[[B]] : tensor<f32>, tensor<4x2xf32>, tensor<3x2xf32>, tensor<2xf32>

// SGDM-LABEL: func.func @train_step(
// SGDM-SAME: %arg5: tensor<3x2xf32> {nn.name = "w.velocity", nn.role = "opt_state"}, %arg6: tensor<2xf32> {nn.name = "b.velocity", nn.role = "opt_state"}, %arg7: tensor<i64> {nn.name = "step", nn.role = "step"}, %arg8: tensor<f32> {nn.name = "lr", nn.role = "lr"})
// SGDM-SAME: tensor<3x2xf32> {nn.name = "w.velocity", nn.role = "opt_state_update"}, tensor<2xf32> {nn.name = "b.velocity", nn.role = "opt_state_update"})
// SGDM: %[[W:.*]], %[[WV:.*]] = nn.momentum_update %arg2, %{{.*}}, %arg5, %arg8 momentum 5.000000e-01 weight_decay 1.000000e-02 : tensor<3x2xf32>, tensor<f32>
// SGDM: %[[B:.*]], %[[BV:.*]] = nn.momentum_update %arg3, %{{.*}}, %arg6, %arg8 momentum 5.000000e-01 weight_decay 1.000000e-02 : tensor<2xf32>, tensor<f32>
// SGDM: return %{{.*}}, %{{.*}}, %[[W]], %[[B]], %[[WV]], %[[BV]] :

// MOMENTUM-LABEL: func.func @train_step(
// MOMENTUM-SAME: {nn.name = "w.velocity", nn.role = "opt_state"}
// MOMENTUM-SAME: momentum = 9.000000e-01 : f64, name = "momentum"
// MOMENTUM: nn.momentum_update %arg2, %{{.*}}, %arg5, %arg8 : tensor<3x2xf32>, tensor<f32>
// MOMENTUM: nn.momentum_update %arg3, %{{.*}}, %arg6, %arg8 : tensor<2xf32>, tensor<f32>

// NESTEROV-LABEL: func.func @train_step(
// NESTEROV: nn.momentum_update %arg2, %{{.*}}, %arg5, %arg8 nesterov true : tensor<3x2xf32>, tensor<f32>
// NESTEROV: nn.momentum_update %arg3, %{{.*}}, %arg6, %arg8 nesterov true : tensor<2xf32>, tensor<f32>

// ADAM-LABEL: func.func @train_step(
// ADAM-SAME: %arg5: tensor<3x2xf32> {nn.name = "w.m", nn.role = "opt_state"}, %arg6: tensor<3x2xf32> {nn.name = "w.v", nn.role = "opt_state"}, %arg7: tensor<2xf32> {nn.name = "b.m", nn.role = "opt_state"}, %arg8: tensor<2xf32> {nn.name = "b.v", nn.role = "opt_state"}, %arg9: tensor<i64> {nn.name = "step", nn.role = "step"}, %arg10: tensor<f32> {nn.name = "lr", nn.role = "lr"})
// ADAM-SAME: tensor<3x2xf32> {nn.name = "w.m", nn.role = "opt_state_update"}, tensor<3x2xf32> {nn.name = "w.v", nn.role = "opt_state_update"}, tensor<2xf32> {nn.name = "b.m", nn.role = "opt_state_update"}, tensor<2xf32> {nn.name = "b.v", nn.role = "opt_state_update"})
// ADAM-SAME: name = "adam"
// ADAM: %[[W:.*]], %[[WM:.*]], %[[WV:.*]] = nn.adam_update %arg2, %{{.*}}, %arg5, %arg6, %arg9, %arg10 beta1 8.000000e-01 : tensor<3x2xf32>, tensor<f32>
// ADAM: %[[B:.*]], %[[BM:.*]], %[[BV:.*]] = nn.adam_update %arg3, %{{.*}}, %arg7, %arg8, %arg9, %arg10 beta1 8.000000e-01 : tensor<2xf32>, tensor<f32>
// ADAM: return %{{.*}}, %{{.*}}, %[[W]], %[[B]], %[[WM]], %[[WV]], %[[BM]], %[[BV]] :

// ADAMW-LABEL: func.func @train_step(
// ADAMW: nn.adam_update %arg2, %{{.*}}, %arg5, %arg6, %arg9, %arg10 beta1 8.000000e-01 weight_decay 1.000000e-02 decoupled true : tensor<3x2xf32>, tensor<f32>
// ADAMW: nn.adam_update %arg3, %{{.*}}, %arg7, %arg8, %arg9, %arg10 beta1 8.000000e-01 weight_decay 1.000000e-02 decoupled true : tensor<2xf32>, tensor<f32>

// The global norm over both gradients, then one scale for both.
// CLIP-LABEL: func.func @train_step(
// CLIP: %[[DB:.*]] = nn.reduce_sum %{{.*}} axes [0] : tensor<4x2xf32> -> tensor<2xf32>
// CLIP: %[[DW:.*]] = nn.matmul %{{.*}} transpose_lhs true : tensor<4x3xf32>, tensor<4x2xf32> -> tensor<3x2xf32>
// CLIP: %[[W2:.*]] = nn.mul %[[DW]], %[[DW]]
// CLIP: %[[WS:.*]] = nn.reduce_sum %[[W2]] : tensor<3x2xf32> -> tensor<f32>
// CLIP: %[[B2:.*]] = nn.mul %[[DB]], %[[DB]]
// CLIP: %[[BS:.*]] = nn.reduce_sum %[[B2]] : tensor<2xf32> -> tensor<f32>
// CLIP: %[[SS:.*]] = nn.add %[[WS]], %[[BS]]
// CLIP: %[[NORM:.*]] = nn.sqrt %[[SS]] : tensor<f32>
// CLIP: %[[EPS:.*]] = nn.constant dense<9.99999997E-7> : tensor<f32>
// CLIP: %[[DEN:.*]] = nn.add %[[NORM]], %[[EPS]]
// CLIP: %[[C:.*]] = nn.constant dense<1.500000e+00> : tensor<f32>
// CLIP: %[[RATIO:.*]] = nn.div %[[C]], %[[DEN]]
// CLIP: %[[ONE:.*]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CLIP: %[[SCALE:.*]] = nn.minimum %[[RATIO]], %[[ONE]] : tensor<f32>, tensor<f32> -> tensor<f32>
// CLIP: %[[CW:.*]] = nn.mul %[[DW]], %[[SCALE]]
// CLIP: %[[CB:.*]] = nn.mul %[[DB]], %[[SCALE]]
// CLIP: nn.sgd_update %arg2, %[[CW]], %arg6
// CLIP: nn.sgd_update %arg3, %[[CB]], %arg6
