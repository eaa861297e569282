// RUN: nnc-opt %s -split-input-file -verify-diagnostics -allow-unregistered-dialect --nn-autodiff
// nn-autodiff's errors: every op without a gradient rule is reported, at its
// location, in one run; a forward without a loss, or a bad wrt input.

module {
  func.func @forward(%x: tensor<4x3xf32> {nn.name = "x", nn.role = "input"},
                     %w: tensor<4x3xf32> {nn.name = "w", nn.role = "param"})
      -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
    // expected-error @+1 {{no gradient rule for 'test.square'}}
    %0 = "test.square"(%w) : (tensor<4x3xf32>) -> tensor<4x3xf32>
    // expected-error @+1 {{no gradient rule for 'test.loss'}}
    %1 = "test.loss"(%x, %0) : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<f32>
    return %1 : tensor<f32>
  }
}

// -----

module {
  // expected-error @+1 {{@forward has no result with role 'loss'}}
  func.func @forward(%x: tensor<4x3xf32> {nn.name = "x", nn.role = "input"})
      -> (tensor<4x3xf32> {nn.name = "y", nn.role = "output"}) {
    return %x : tensor<4x3xf32>
  }
}

// -----

// expected-error @+1 {{nn-autodiff needs a @forward function}}
module {
  func.func @other() {
    return
  }
}

// -----

module {
  // expected-error @+1 {{the loss of @forward must be a scalar float tensor, got 'tensor<2xf32>'}}
  func.func @forward(%w: tensor<2xf32> {nn.name = "w", nn.role = "param"})
      -> (tensor<2xf32> {nn.name = "loss", nn.role = "loss"}) {
    return %w : tensor<2xf32>
  }
}
