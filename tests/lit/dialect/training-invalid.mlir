// RUN: nnc-opt %s -split-input-file -verify-diagnostics
// Every verifier and type-inference error of the backward and optimizer ops.

func.func @maximum_mixed_dtype(%a: tensor<4xf32>, %b: tensor<4xf64>) {
  // expected-error @+1 {{requires the same element type for all operands and results}}
  %0 = nn.maximum %a, %b : tensor<4xf32>, tensor<4xf64> -> tensor<4xf32>
  return
}
// -----

func.func @minimum_broadcast(%a: tensor<4x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{cannot broadcast [4, 3] with [4, 5]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.minimum %a, %b : tensor<4x3xf32>, tensor<4x5xf32> -> tensor<4x5xf32>
  return
}
// -----

func.func @relu_grad_int(%x: tensor<4xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 64-bit float values, but got 'tensor<4xi32>'}}
  %0 = nn.relu_grad %x, %x : tensor<4xi32>
  return
}
// -----

func.func @relu_grad_types(%x: tensor<4xf32>, %dy: tensor<5xf32>) {
  // expected-error @+1 {{failed to verify that all of {x, dy} have same type}}
  %0 = "nn.relu_grad"(%x, %dy) : (tensor<4xf32>, tensor<5xf32>) -> tensor<4xf32>
  return
}
// -----

func.func @gelu_grad_dynamic_inner(%x: tensor<4x?xf32>) {
  // expected-error @+1 {{operand #0 may only have a dynamic leading (batch) dimension, got 'tensor<4x?xf32>'}}
  %0 = nn.gelu_grad %x, %x : tensor<4x?xf32>
  return
}
// -----

func.func @softmax_grad_axis(%y: tensor<?x10xf32>) {
  // expected-error @+1 {{axis 2 is out of range for [?, 10]}}
  %0 = nn.softmax_grad %y, %y axis 2 : tensor<?x10xf32>
  return
}
// -----

func.func @reduce_max_grad_y(%x: tensor<?x10xf32>, %y: tensor<?x1xf32>) {
  // expected-error @+1 {{reduce_max_grad y [?, 1] does not match the forward result [?]}}
  %0 = nn.reduce_max_grad %x, %y, %y axes [1] : tensor<?x10xf32>, tensor<?x1xf32>
  return
}
// -----

func.func @reduce_max_grad_dy_type(%x: tensor<?x10xf32>, %y: tensor<?xf32>, %dy: tensor<?x1xf32>) {
  // expected-error @+1 {{failed to verify that all of {y, dy} have same type}}
  %0 = "nn.reduce_max_grad"(%x, %y, %dy) <{axes = array<i64: 1>}> : (tensor<?x10xf32>, tensor<?xf32>, tensor<?x1xf32>) -> tensor<?x10xf32>
  return
}
// -----

func.func @slice_grad_dy(%dy: tensor<?x4xf32>) {
  // expected-error @+2 {{slice_grad dy [?, 4] does not match the forward result [?, 3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.slice_grad %dy shape [-1, 10] axes [1] starts [2] ends [8] steps [2] : tensor<?x4xf32> -> tensor<?x10xf32>
  return
}
// -----

func.func @slice_grad_inner_batch(%dy: tensor<4x3xf32>) {
  // expected-error @+2 {{slice_grad shape [4, -1] may only have -1 as its leading (batch) entry}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.slice_grad %dy shape [4, -1] axes [1] starts [0] ends [3] : tensor<4x3xf32> -> tensor<4x3xf32>
  return
}
// -----

func.func @slice_grad_extent(%dy: tensor<4x3xf32>) {
  // expected-error @+2 {{slice_grad shape [4, -3] has invalid extent -3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.slice_grad %dy shape [4, -3] axes [1] starts [0] ends [3] : tensor<4x3xf32> -> tensor<4x3xf32>
  return
}
// -----

func.func @slice_grad_wrong_result(%dy: tensor<4x3xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<4x10xf32>' are incompatible with return type(s) of operation 'tensor<?x10xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.slice_grad %dy shape [-1, 10] axes [1] starts [0] ends [3] : tensor<4x3xf32> -> tensor<?x10xf32>
  return
}
// -----

func.func @gather_grad_dy(%dy: tensor<?x16x32xf32>, %ids: tensor<?x16xi32>) {
  // expected-error @+2 {{gather_grad dy [?, 16, 32] does not match the forward result [?, 16, 64]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.gather_grad %dy, %ids shape [1000, 64] : tensor<?x16x32xf32>, tensor<?x16xi32> -> tensor<1000x64xf32>
  return
}
// -----

func.func @gather_grad_float_indices(%dy: tensor<4x64xf32>, %ids: tensor<4xf32>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4xf32>'}}
  %0 = nn.gather_grad %dy, %ids shape [1000, 64] : tensor<4x64xf32>, tensor<4xf32> -> tensor<1000x64xf32>
  return
}
// -----

func.func @conv2d_grad_input_dy(%dy: tensor<?x16x15x15xf32>, %w: tensor<16x3x3x3xf32>) {
  // expected-error @+2 {{conv2d_grad_input dy [?, 16, 15, 15] does not match the forward result [?, 16, 16, 16]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d_grad_input %dy, %w input_shape [-1, 3, 32, 32] stride [2, 2] padding [1, 1]
      : tensor<?x16x15x15xf32>, tensor<16x3x3x3xf32> -> tensor<?x3x32x32xf32>
  return
}
// -----

func.func @conv2d_grad_input_pair(%dy: tensor<?x16x16x16xf32>, %w: tensor<16x3x3x3xf32>) {
  // expected-error @+2 {{'stride' must have 2 entries [height, width], got 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d_grad_input %dy, %w input_shape [-1, 3, 32, 32] stride [2, 2, 2]
      : tensor<?x16x16x16xf32>, tensor<16x3x3x3xf32> -> tensor<?x3x32x32xf32>
  return
}
// -----

func.func @conv2d_grad_input_dtype(%dy: tensor<?x16x16x16xf32>, %w: tensor<16x3x3x3xf64>) {
  // expected-error @+1 {{requires the same element type for all operands and results}}
  %0 = nn.conv2d_grad_input %dy, %w input_shape [-1, 3, 32, 32] stride [2, 2] padding [1, 1]
      : tensor<?x16x16x16xf32>, tensor<16x3x3x3xf64> -> tensor<?x3x32x32xf32>
  return
}
// -----

func.func @conv2d_grad_weight_dynamic(%x: tensor<?x3x32x32xf32>, %dy: tensor<?x16x16x16xf32>) {
  // expected-error @+2 {{conv2d_grad_weight weight_shape [-1, 3, 3, 3] must be static}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d_grad_weight %x, %dy weight_shape [-1, 3, 3, 3] stride [2, 2] padding [1, 1]
      : tensor<?x3x32x32xf32>, tensor<?x16x16x16xf32> -> tensor<16x3x3x3xf32>
  return
}
// -----

func.func @conv2d_grad_weight_dy(%x: tensor<?x3x32x32xf32>, %dy: tensor<?x16x16x16xf32>) {
  // expected-error @+2 {{conv2d_grad_weight dy [?, 16, 16, 16] does not match the forward result [?, 16, 15, 15]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d_grad_weight %x, %dy weight_shape [16, 3, 5, 5] stride [2, 2] padding [1, 1]
      : tensor<?x3x32x32xf32>, tensor<?x16x16x16xf32> -> tensor<16x3x5x5xf32>
  return
}
// -----

func.func @max_pool2d_grad_dy(%x: tensor<?x16x32x32xf32>, %dy: tensor<?x16x15x15xf32>) {
  // expected-error @+1 {{max_pool2d_grad dy [?, 16, 15, 15] does not match the forward result [?, 16, 16, 16]}}
  %0 = nn.max_pool2d_grad %x, %dy kernel [2, 2] : tensor<?x16x32x32xf32>, tensor<?x16x15x15xf32>
  return
}
// -----

func.func @max_pool2d_grad_kernel(%x: tensor<?x16x32x32xf32>, %dy: tensor<?x16x16x16xf32>) {
  // expected-error @+1 {{'kernel' must have 2 entries [height, width], got 1}}
  %0 = nn.max_pool2d_grad %x, %dy kernel [2] : tensor<?x16x32x32xf32>, tensor<?x16x16x16xf32>
  return
}
// -----

func.func @avg_pool2d_grad_dy(%dy: tensor<?x16x4x4xf32>) {
  // expected-error @+2 {{avg_pool2d_grad dy [?, 16, 4, 4] does not match the forward result [?, 16, 8, 8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.avg_pool2d_grad %dy kernel [3, 3] stride [1, 1] padding [1, 1] input_shape [-1, 16, 8, 8]
      : tensor<?x16x4x4xf32> -> tensor<?x16x8x8xf32>
  return
}
// -----

func.func @avg_pool2d_grad_inner_batch(%dy: tensor<?x16x8x8xf32>) {
  // expected-error @+2 {{avg_pool2d_grad input_shape [-1, 16, -1, 8] may only have -1 as its leading (batch) entry}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.avg_pool2d_grad %dy kernel [3, 3] stride [1, 1] padding [1, 1] input_shape [-1, 16, -1, 8]
      : tensor<?x16x8x8xf32> -> tensor<?x16x8x8xf32>
  return
}
// -----

func.func @batch_norm_grad_gamma(%x: tensor<?x16x8x8xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{batch_norm gamma must be [16], got [8]}}
  %0:3 = nn.batch_norm_grad %x, %g, %g, %g, %x : tensor<?x16x8x8xf32>, tensor<8xf32>
  return
}
// -----

func.func @batch_norm_grad_stats(%x: tensor<?x16x8x8xf32>, %g: tensor<16xf32>, %v: tensor<8xf32>) {
  // expected-error @+1 {{failed to verify that all of {gamma, mean, var} have same type}}
  %0:3 = "nn.batch_norm_grad"(%x, %g, %g, %v, %x) : (tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<8xf32>, tensor<?x16x8x8xf32>) -> (tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>)
  return
}
// -----

func.func @dropout_step_i32(%x: tensor<4xf32>, %s: tensor<i32>) {
  // expected-error @+1 {{operand #1 must be 0D tensor of 64-bit signless integer values, but got 'tensor<i32>'}}
  %0 = "nn.dropout"(%x, %s) : (tensor<4xf32>, tensor<i32>) -> tensor<4xf32>
  return
}
// -----

func.func @dropout_grad_step_rank(%dy: tensor<4xf32>, %s: tensor<1xi64>) {
  // expected-error @+1 {{operand #1 must be 0D tensor of 64-bit signless integer values, but got 'tensor<1xi64>'}}
  %0 = "nn.dropout_grad"(%dy, %s) : (tensor<4xf32>, tensor<1xi64>) -> tensor<4xf32>
  return
}
// -----

func.func @softmax_cross_entropy_grad_labels(%logits: tensor<?x10xf32>, %labels: tensor<4xi32>, %dl: tensor<f32>) {
  // expected-error @+1 {{softmax_cross_entropy labels [4] do not match logits [?, 10]}}
  %0 = nn.softmax_cross_entropy_grad %logits, %labels, %dl : tensor<?x10xf32>, tensor<4xi32>, tensor<f32>
  return
}
// -----

func.func @softmax_cross_entropy_grad_dloss(%logits: tensor<?x10xf32>, %labels: tensor<?xi32>, %dl: tensor<f64>) {
  // expected-error @+1 {{dloss 'tensor<f64>' must have the logits' element type 'f32'}}
  %0 = nn.softmax_cross_entropy_grad %logits, %labels, %dl : tensor<?x10xf32>, tensor<?xi32>, tensor<f64>
  return
}
// -----

func.func @softmax_cross_entropy_grad_scalar(%logits: tensor<?x10xf32>, %labels: tensor<?xi32>, %dl: tensor<1xf32>) {
  // expected-error @+1 {{softmax_cross_entropy_grad dloss must be a scalar, got [1]}}
  %0 = nn.softmax_cross_entropy_grad %logits, %labels, %dl : tensor<?x10xf32>, tensor<?xi32>, tensor<1xf32>
  return
}
// -----

func.func @binary_cross_entropy_grad_target(%p: tensor<?x1xf32>, %t: tensor<?x2xf32>, %dl: tensor<f32>) {
  // expected-error @+1 {{loss target [?, 2] does not match prediction [?, 1]}}
  %0 = nn.binary_cross_entropy_grad %p, %t, %dl : tensor<?x1xf32>, tensor<?x2xf32>, tensor<f32>
  return
}
// -----

func.func @binary_cross_entropy_grad_dtype(%p: tensor<?x1xf32>, %dl: tensor<f64>) {
  // expected-error @+1 {{requires the same element type for all operands and results}}
  %0 = nn.binary_cross_entropy_grad %p, %p, %dl : tensor<?x1xf32>, tensor<?x1xf32>, tensor<f64>
  return
}
// -----

func.func @sgd_lr_f64(%p: tensor<4xf32>, %lr: tensor<f64>) {
  // expected-error @+1 {{lr 'tensor<f64>' must be tensor<f32> or have the parameter's element type 'f32'}}
  %0 = nn.sgd_update %p, %p, %lr : tensor<4xf32>, tensor<f64>
  return
}
// -----

func.func @sgd_lr_rank(%p: tensor<4xf32>, %lr: tensor<1xf32>) {
  // expected-error @+1 {{operand #2 must be 0D tensor of 32-bit float or 64-bit float values, but got 'tensor<1xf32>'}}
  %0 = nn.sgd_update %p, %p, %lr : tensor<4xf32>, tensor<1xf32>
  return
}
// -----

func.func @sgd_grad_type(%p: tensor<4xf32>, %g: tensor<5xf32>, %lr: tensor<f32>) {
  // expected-error @+1 {{failed to verify that all of {param, grad} have same type}}
  %0 = "nn.sgd_update"(%p, %g, %lr) : (tensor<4xf32>, tensor<5xf32>, tensor<f32>) -> tensor<4xf32>
  return
}
// -----

func.func @momentum_lr_f64(%p: tensor<4xf32>, %lr: tensor<f64>) {
  // expected-error @+1 {{lr 'tensor<f64>' must be tensor<f32> or have the parameter's element type 'f32'}}
  %0:2 = nn.momentum_update %p, %p, %p, %lr : tensor<4xf32>, tensor<f64>
  return
}
// -----

func.func @momentum_velocity_type(%p: tensor<4xf32>, %v: tensor<4xf64>, %lr: tensor<f32>) {
  // expected-error @+1 {{failed to verify that all of {param, grad, velocity} have same type}}
  %0:2 = "nn.momentum_update"(%p, %p, %v, %lr) : (tensor<4xf32>, tensor<4xf32>, tensor<4xf64>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>)
  return
}
// -----

func.func @adam_lr_f64(%p: tensor<4xf32>, %s: tensor<i64>, %lr: tensor<f64>) {
  // expected-error @+1 {{lr 'tensor<f64>' must be tensor<f32> or have the parameter's element type 'f32'}}
  %0:3 = nn.adam_update %p, %p, %p, %p, %s, %lr : tensor<4xf32>, tensor<f64>
  return
}
// -----

func.func @adam_step_f32(%p: tensor<4xf32>, %s: tensor<f32>, %lr: tensor<f32>) {
  // expected-error @+1 {{operand #4 must be 0D tensor of 64-bit signless integer values, but got 'tensor<f32>'}}
  %0:3 = "nn.adam_update"(%p, %p, %p, %p, %s, %lr) : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}
// -----

func.func @adam_int_param(%p: tensor<4xi32>, %s: tensor<i64>, %lr: tensor<f32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 64-bit float values, but got 'tensor<4xi32>'}}
  %0:3 = nn.adam_update %p, %p, %p, %p, %s, %lr : tensor<4xi32>, tensor<f32>
  return
}
// -----

func.func @binary_cross_entropy_grad_scalar(%p: tensor<?x1xf32>, %dl: tensor<1xf32>) {
  // expected-error @+1 {{binary_cross_entropy_grad dloss must be a scalar, got [1]}}
  %0 = nn.binary_cross_entropy_grad %p, %p, %dl : tensor<?x1xf32>, tensor<?x1xf32>, tensor<1xf32>
  return
}
