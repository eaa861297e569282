// RUN: nnc-opt %s -split-input-file --nn-autodiff | FileCheck %s
// RUN: nnc-opt %s -split-input-file --nn-autodiff=wrt-inputs=x | FileCheck %s --check-prefix=WRT
// nn-autodiff on a linear model with an mse loss: @grad returns the loss
// and the gradients of the trainable parameters, and of the inputs asked
// for; nothing is built for an input not asked for.

module {
  func.func @forward(%x: tensor<4x3xf32> {nn.name = "x", nn.role = "input"},
                     %t: tensor<4x2xf32> {nn.name = "t", nn.role = "input"},
                     %w: tensor<3x2xf32> {nn.name = "w", nn.role = "param"},
                     %b: tensor<2xf32> {nn.name = "b", nn.role = "param"})
      -> (tensor<4x2xf32> {nn.name = "y", nn.role = "output"},
          tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
    %0 = nn.matmul %x, %w : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
    %1 = nn.add %0, %b : tensor<4x2xf32>, tensor<2xf32> -> tensor<4x2xf32>
    %2 = nn.mse %1, %t : tensor<4x2xf32>, tensor<4x2xf32> -> tensor<f32>
    return %1, %2 : tensor<4x2xf32>, tensor<f32>
  }
}

// CHECK-LABEL: func.func @forward(
// CHECK-LABEL: func.func @grad(
// CHECK-SAME: %arg0: tensor<4x3xf32> {nn.name = "x", nn.role = "input"}, %arg1: tensor<4x2xf32> {nn.name = "t", nn.role = "input"}, %arg2: tensor<3x2xf32> {nn.name = "w", nn.role = "param"}, %arg3: tensor<2xf32> {nn.name = "b", nn.role = "param"})
// CHECK-SAME: -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}, tensor<3x2xf32> {nn.name = "grad_w", nn.role = "grad"}, tensor<2xf32> {nn.name = "grad_b", nn.role = "grad"})
// CHECK: %[[MM:.*]] = nn.matmul %arg0, %arg2
// CHECK: %[[Y:.*]] = nn.add %[[MM]], %arg3
// CHECK: %[[LOSS:.*]] = nn.mse %[[Y]], %arg1
// CHECK: nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[DB:.*]] = nn.reduce_sum %[[DY:.*]] axes [0] : tensor<4x2xf32> -> tensor<2xf32>
// The gradient of x is not asked for: no dY @ W^T.
// CHECK-NOT: %arg2 transpose_rhs true
// CHECK: %[[DW:.*]] = nn.matmul %arg0, %[[DY]] transpose_lhs true : tensor<4x3xf32>, tensor<4x2xf32> -> tensor<3x2xf32>
// CHECK-NOT: %arg2 transpose_rhs true
// CHECK: return %[[LOSS]], %[[DW]], %[[DB]] : tensor<f32>, tensor<3x2xf32>, tensor<2xf32>

// WRT-LABEL: func.func @grad(
// WRT-SAME: -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}, tensor<3x2xf32> {nn.name = "grad_w", nn.role = "grad"}, tensor<2xf32> {nn.name = "grad_b", nn.role = "grad"}, tensor<4x3xf32> {nn.name = "grad_x", nn.role = "grad"})
// WRT: %[[DX:.*]] = nn.matmul %{{.*}}, %arg2 transpose_rhs true : tensor<4x2xf32>, tensor<3x2xf32> -> tensor<4x3xf32>
// WRT: return %{{.*}}, %{{.*}}, %{{.*}}, %[[DX]] : tensor<f32>, tensor<3x2xf32>, tensor<2xf32>, tensor<4x3xf32>

// -----

// A parameter used twice: its gradients accumulate with nn.add.
module {
  func.func @forward(%x: tensor<4x3xf32> {nn.name = "x", nn.role = "input"},
                     %w: tensor<3xf32> {nn.name = "w", nn.role = "param"})
      -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
    %0 = nn.mul %w, %w : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
    %1 = nn.mse %x, %0 : tensor<4x3xf32>, tensor<3xf32> -> tensor<f32>
    return %1 : tensor<f32>
  }
}

// CHECK-LABEL: func.func @grad(
// CHECK-SAME: -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}, tensor<3xf32> {nn.name = "grad_w", nn.role = "grad"})
// CHECK: %[[D0:.*]] = nn.mul %[[DSQ:[0-9]+]], %arg1 : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
// CHECK: %[[D1:.*]] = nn.mul %[[DSQ]], %arg1 : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
// CHECK: %[[DW:.*]] = nn.add %[[D0]], %[[D1]] : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
// CHECK: return %{{.*}}, %[[DW]] : tensor<f32>, tensor<3xf32>
