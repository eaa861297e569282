// RUN: nnc-opt %s --nn-autodiff | FileCheck %s
// A frozen layer gets no gradient, and no backward work is built for it:
// the backbone's relu and matmul are not differentiated, since no
// trainable parameter lies upstream of them.

module {
  func.func @forward(%x: tensor<4x3xf32> {nn.name = "x", nn.role = "input"},
                     %t: tensor<4x2xf32> {nn.name = "t", nn.role = "input"},
                     %w0: tensor<3x5xf32> {nn.frozen, nn.name = "w0", nn.role = "param"},
                     %b0: tensor<5xf32> {nn.frozen, nn.name = "b0", nn.role = "param"},
                     %w1: tensor<5x2xf32> {nn.name = "w1", nn.role = "param"},
                     %b1: tensor<2xf32> {nn.name = "b1", nn.role = "param"})
      -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
    %0 = nn.matmul %x, %w0 : tensor<4x3xf32>, tensor<3x5xf32> -> tensor<4x5xf32>
    %1 = nn.add %0, %b0 : tensor<4x5xf32>, tensor<5xf32> -> tensor<4x5xf32>
    %2 = nn.relu %1 : tensor<4x5xf32>
    %3 = nn.matmul %2, %w1 : tensor<4x5xf32>, tensor<5x2xf32> -> tensor<4x2xf32>
    %4 = nn.add %3, %b1 : tensor<4x2xf32>, tensor<2xf32> -> tensor<4x2xf32>
    %5 = nn.mse %4, %t : tensor<4x2xf32>, tensor<4x2xf32> -> tensor<f32>
    return %5 : tensor<f32>
  }
}

// CHECK-LABEL: func.func @grad(
// CHECK-SAME: -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}, tensor<5x2xf32> {nn.name = "grad_w1", nn.role = "grad"}, tensor<2xf32> {nn.name = "grad_b1", nn.role = "grad"})
// CHECK: %[[LOSS:.*]] = nn.mse
// CHECK-NOT: nn.relu_grad
// CHECK-NOT: nn.transpose %arg4
// CHECK-NOT: tensor<3x5xf32>
// CHECK-NOT: -> tensor<5xf32>
// CHECK: return %[[LOSS]], %{{.*}}, %{{.*}} : tensor<f32>, tensor<5x2xf32>, tensor<2xf32>
