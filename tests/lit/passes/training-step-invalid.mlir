// RUN: nnc-opt %s -split-input-file -verify-diagnostics --nn-training-step
// nn-training-step's errors: an unknown optimizer or a hyperparameter out of
// range (from nn.train or an option), and a forward without a loss.

// expected-error @+1 {{unknown optimizer 'rmsprop'; expected sgd, momentum, nesterov, adam or adamw}}
module attributes {nn.train = {optimizer = "rmsprop", hyper = {}}} {
  func.func @forward(%w: tensor<2xf32> {nn.name = "w", nn.role = "param"})
      -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
    %0 = nn.reduce_sum %w : tensor<2xf32> -> tensor<f32>
    return %0 : tensor<f32>
  }
}

// -----

// expected-error @+1 {{optimizer momentum must be in [0, 1), got 1.5}}
module attributes {nn.train = {optimizer = "momentum", hyper = {momentum = 1.5 : f64}}} {
  func.func @forward(%w: tensor<2xf32> {nn.name = "w", nn.role = "param"})
      -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
    %0 = nn.reduce_sum %w : tensor<2xf32> -> tensor<f32>
    return %0 : tensor<f32>
  }
}

// -----

module {
  // expected-error @+1 {{@forward has no result with role 'loss'}}
  func.func @forward(%w: tensor<2xf32> {nn.name = "w", nn.role = "param"})
      -> (tensor<2xf32> {nn.name = "y", nn.role = "output"}) {
    return %w : tensor<2xf32>
  }
}

// -----

// expected-error @+1 {{optimizer lr must be >= 0, got -1}}
module attributes {nn.train = {optimizer = "sgd", hyper = {lr = -1.0 : f64}}} {
  func.func @forward(%w: tensor<2xf32> {nn.name = "w", nn.role = "param"})
      -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
    %0 = nn.reduce_sum %w : tensor<2xf32> -> tensor<f32>
    return %0 : tensor<f32>
  }
}
