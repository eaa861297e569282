// RUN: nnc-opt %s -verify-diagnostics --nn-autodiff | FileCheck %s
// A trainable parameter that does not reach the loss gets a zero gradient
// and a warning at its argument.

module {
  func.func @forward(%x: tensor<4x2xf32> {nn.name = "x", nn.role = "input"},
                     %w: tensor<2xf32> {nn.name = "w", nn.role = "param"},
                     // expected-warning @+1 {{parameter 'unused' does not reach the loss; its gradient is zero}}
                     %u: tensor<2x3xf32> {nn.name = "unused", nn.role = "param"})
      -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
    %0 = nn.mul %x, %w : tensor<4x2xf32>, tensor<2xf32> -> tensor<4x2xf32>
    %1 = nn.reduce_mean %0 : tensor<4x2xf32> -> tensor<f32>
    return %1 : tensor<f32>
  }
}

// CHECK-LABEL: func.func @grad(
// CHECK-SAME: tensor<2x3xf32> {nn.name = "grad_unused", nn.role = "grad"}
// CHECK: %[[ZERO:.*]] = nn.constant dense<0.000000e+00> : tensor<2x3xf32>
// CHECK: return %{{.*}}, %{{.*}}, %[[ZERO]] : tensor<f32>, tensor<2xf32>, tensor<2x3xf32>
