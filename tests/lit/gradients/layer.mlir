// RUN: nnc-opt %s -split-input-file --nn-autodiff | FileCheck %s
// Gradient rules of conv2d, pooling, batch_norm and dropout: the forward's
// attributes pass to the backward ops, shape attributes spell the batch -1.

// conv2d: conv2d_grad_input for x (here scaled by a parameter, so that it
// needs a gradient), conv2d_grad_weight for w, a reduce_sum over n, h and w
// for the bias.
// CHECK-LABEL: func.func @grad
// CHECK: %[[X:.*]] = nn.mul %arg0, %arg3
// CHECK: %[[Y:.*]] = nn.conv2d %[[X]], %arg1, %arg2 stride [2, 2] padding [1, 1]
// CHECK: %[[DY:.*]] = nn.broadcast_to %{{.*}} shape [-1, 4, 4, 4]
// CHECK-DAG: %[[DX:.*]] = nn.conv2d_grad_input %[[DY]], %arg1 input_shape [-1, 3, 8, 8] stride [2, 2] padding [1, 1] : tensor<?x4x4x4xf32>, tensor<4x3x3x3xf32> -> tensor<?x3x8x8xf32>
// CHECK-DAG: %[[DW:.*]] = nn.conv2d_grad_weight %[[X]], %[[DY]] weight_shape [4, 3, 3, 3] stride [2, 2] padding [1, 1] : tensor<?x3x8x8xf32>, tensor<?x4x4x4xf32> -> tensor<4x3x3x3xf32>
// CHECK-DAG: %[[DB:.*]] = nn.reduce_sum %[[DY]] axes [0, 2, 3] : tensor<?x4x4x4xf32> -> tensor<4xf32>
// CHECK: nn.mul %[[DX]], %arg0
// CHECK: return %{{.*}}, %[[DW]], %[[DB]], %{{.*}}
func.func @forward(%x: tensor<?x3x8x8xf32> {nn.name = "x", nn.role = "input"},
                   %w: tensor<4x3x3x3xf32> {nn.name = "w", nn.role = "param"},
                   %b: tensor<4xf32> {nn.name = "b", nn.role = "param"},
                   %s: tensor<f32> {nn.name = "s", nn.role = "param"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.mul %x, %s : tensor<?x3x8x8xf32>, tensor<f32> -> tensor<?x3x8x8xf32>
  %1 = nn.conv2d %0, %w, %b stride [2, 2] padding [1, 1]
      : tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32> -> tensor<?x4x4x4xf32>
  %2 = nn.reduce_sum %1 : tensor<?x4x4x4xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// Grouped, dilated conv2d of a parameter image: both operands get their
// backward op, with dilation and groups.
// CHECK-LABEL: func.func @grad
// CHECK: %[[DX:.*]] = nn.conv2d_grad_input %[[DY:.*]], %arg1 input_shape [2, 6, 8, 8] dilation [2, 2] groups 3 : tensor<2x6x4x4xf64>, tensor<6x2x3x3xf64> -> tensor<2x6x8x8xf64>
// CHECK: %[[DW:.*]] = nn.conv2d_grad_weight %arg0, %[[DY]] weight_shape [6, 2, 3, 3] dilation [2, 2] groups 3 : tensor<2x6x8x8xf64>, tensor<2x6x4x4xf64> -> tensor<6x2x3x3xf64>
// CHECK: return %{{.*}}, %[[DX]], %[[DW]]
func.func @forward(%x: tensor<2x6x8x8xf64> {nn.name = "x", nn.role = "param"},
                   %w: tensor<6x2x3x3xf64> {nn.name = "w", nn.role = "param"})
    -> (tensor<f64> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.conv2d %x, %w dilation [2, 2] groups 3
      : tensor<2x6x8x8xf64>, tensor<6x2x3x3xf64> -> tensor<2x6x4x4xf64>
  %1 = nn.reduce_sum %0 : tensor<2x6x4x4xf64> -> tensor<f64>
  return %1 : tensor<f64>
}

// -----

// max_pool2d_grad reads the forward input; avg_pool2d_grad only needs its
// shape. An absent stride stays absent (it means the kernel).
// CHECK-LABEL: func.func @grad
// CHECK: %[[M:.*]] = nn.max_pool2d %arg0 kernel [2, 2] : tensor<4x3x8x8xf32> -> tensor<4x3x4x4xf32>
// CHECK: nn.avg_pool2d %[[M]] kernel [3, 3] stride [1, 1] padding [1, 1] count_include_pad false
// CHECK: %[[DA:.*]] = nn.avg_pool2d_grad %{{.*}} kernel [3, 3] stride [1, 1] padding [1, 1] count_include_pad false input_shape [4, 3, 4, 4] : tensor<4x3x4x4xf32> -> tensor<4x3x4x4xf32>
// CHECK: %[[DM:.*]] = nn.max_pool2d_grad %arg0, %[[DA]] kernel [2, 2] : tensor<4x3x8x8xf32>, tensor<4x3x4x4xf32>
// CHECK: return %{{.*}}, %[[DM]]
func.func @forward(%w: tensor<4x3x8x8xf32> {nn.name = "w", nn.role = "param"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.max_pool2d %w kernel [2, 2] : tensor<4x3x8x8xf32> -> tensor<4x3x4x4xf32>
  %1 = nn.avg_pool2d %0 kernel [3, 3] stride [1, 1] padding [1, 1] count_include_pad false
      : tensor<4x3x4x4xf32> -> tensor<4x3x4x4xf32>
  %2 = nn.reduce_sum %1 : tensor<4x3x4x4xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// batch_norm: one batch_norm_grad gives dx, dgamma and dbeta; the running
// statistics (operands and results) carry no gradient.
// CHECK-LABEL: func.func @grad
// CHECK: %[[Y:.*]], %{{.*}}, %{{.*}} = nn.batch_norm %arg0, %arg1, %arg2, %arg3, %arg4
// CHECK: %[[DX:.*]], %[[DG:.*]], %[[DB:.*]] = nn.batch_norm_grad %arg0, %arg1, %arg3, %arg4, %{{.*}} eps 1.000000e-03 training true : tensor<?x3x4x4xf32>, tensor<3xf32>
// CHECK: return %{{.*}}, %[[DG]], %[[DB]]
func.func @forward(%x: tensor<?x3x4x4xf32> {nn.name = "x", nn.role = "input"},
                   %gamma: tensor<3xf32> {nn.name = "gamma", nn.role = "param"},
                   %beta: tensor<3xf32> {nn.name = "beta", nn.role = "param"},
                   %mean: tensor<3xf32> {nn.name = "mean", nn.role = "buffer"},
                   %var: tensor<3xf32> {nn.name = "var", nn.role = "buffer"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %y, %m, %v = nn.batch_norm %x, %gamma, %beta, %mean, %var {eps = 1.0e-3 : f64, training = true}
      : tensor<?x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
      -> tensor<?x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>
  %0 = nn.reduce_sum %y : tensor<?x3x4x4xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// dropout: dropout_grad with the forward's rate, seed, mode and step, so it
// replays the same mask.
// CHECK-LABEL: func.func @grad
// CHECK: nn.dropout %arg0, %arg1 {rate = 2.000000e-01 : f64, seed = 7 : i64, training = true}
// CHECK: %[[DW:.*]] = nn.dropout_grad %{{.*}}, %arg1 {rate = 2.000000e-01 : f64, seed = 7 : i64, training = true} : tensor<4x8xf32>
// CHECK: return %{{.*}}, %[[DW]]
func.func @forward(%w: tensor<4x8xf32> {nn.name = "w", nn.role = "param"},
                   %step: tensor<i64> {nn.name = "step", nn.role = "input"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.dropout %w, %step {rate = 0.2 : f64, seed = 7 : i64, training = true} : tensor<4x8xf32>
  %1 = nn.reduce_sum %0 : tensor<4x8xf32> -> tensor<f32>
  return %1 : tensor<f32>
}
