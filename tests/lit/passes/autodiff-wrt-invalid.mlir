// RUN: nnc-opt %s -split-input-file -verify-diagnostics --nn-autodiff=wrt-inputs=labels
// wrt-inputs names only float inputs of @forward.

module {
  // expected-error @+1 {{cannot differentiate with respect to input 'labels': it is not a float tensor}}
  func.func @forward(%x: tensor<4x3xf32> {nn.name = "x", nn.role = "input"},
                     %labels: tensor<4xi32> {nn.name = "labels", nn.role = "input"},
                     %w: tensor<3x5xf32> {nn.name = "w", nn.role = "param"})
      -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
    %0 = nn.matmul %x, %w : tensor<4x3xf32>, tensor<3x5xf32> -> tensor<4x5xf32>
    %1 = nn.softmax_cross_entropy %0, %labels : tensor<4x5xf32>, tensor<4xi32> -> tensor<f32>
    return %1 : tensor<f32>
  }
}

// -----

module {
  // expected-error @+1 {{wrt-inputs names 'labels', which is not an input of @forward}}
  func.func @forward(%x: tensor<4x3xf32> {nn.name = "x", nn.role = "input"},
                     %w: tensor<3x5xf32> {nn.name = "labels", nn.role = "param"},
                     %t: tensor<4x5xf32> {nn.name = "t", nn.role = "input"})
      -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
    %0 = nn.matmul %x, %w : tensor<4x3xf32>, tensor<3x5xf32> -> tensor<4x5xf32>
    %1 = nn.mse %0, %t : tensor<4x5xf32>, tensor<4x5xf32> -> tensor<f32>
    return %1 : tensor<f32>
  }
}
