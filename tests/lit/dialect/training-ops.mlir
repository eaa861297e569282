// RUN: nnc-opt %s | nnc-opt | FileCheck %s
// RUN: nnc-opt %s --nn-specialize-batch=batch-size=8 | FileCheck %s --check-prefix=SPEC
// Round trip of the backward and optimizer ops of docs/autodiff.md. Ops whose
// result type is not spelled get it from inference; each function returns
// its results, so func.return checks the inferred types too. Specialising the
// batch gives the -1 entry of a shape attribute dy's batch extent.

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%a: tensor<?x10xf32>, %b: tensor<f32>, %c: tensor<4xi32>, %d: tensor<4xi32>)
    -> (tensor<?x10xf32>, tensor<?x10xf32>, tensor<?x10xf32>, tensor<4xi32>, tensor<4xi32>) {
  // CHECK: nn.maximum %{{.*}}, %{{.*}} : tensor<?x10xf32>, tensor<f32> -> tensor<?x10xf32>
  %0 = nn.maximum %a, %b : tensor<?x10xf32>, tensor<f32> -> tensor<?x10xf32>
  // CHECK: nn.minimum %{{.*}}, %{{.*}} : tensor<f32>, tensor<?x10xf32> -> tensor<?x10xf32>
  %1 = nn.minimum %b, %0 : tensor<f32>, tensor<?x10xf32> -> tensor<?x10xf32>
  // CHECK: nn.sign %{{.*}} : tensor<?x10xf32>
  %2 = nn.sign %1 : tensor<?x10xf32>
  // CHECK: nn.maximum %{{.*}}, %{{.*}} : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %3 = nn.maximum %c, %d : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  // CHECK: nn.sign %{{.*}} : tensor<4xi32>
  %4 = nn.sign %3 : tensor<4xi32>
  return %0, %1, %2, %3, %4 : tensor<?x10xf32>, tensor<?x10xf32>, tensor<?x10xf32>, tensor<4xi32>, tensor<4xi32>
}

// CHECK-LABEL: func.func @activation_grads
func.func @activation_grads(%x: tensor<?x64xf64>, %dy: tensor<?x64xf64>)
    -> (tensor<?x64xf64>, tensor<?x64xf64>, tensor<?x64xf64>, tensor<?x64xf64>) {
  // CHECK: nn.relu_grad %{{.*}}, %{{.*}} : tensor<?x64xf64>
  %0 = nn.relu_grad %x, %dy : tensor<?x64xf64>
  // CHECK: nn.leaky_relu_grad %{{.*}}, %{{.*}} : tensor<?x64xf64>
  %1 = nn.leaky_relu_grad %x, %0 : tensor<?x64xf64>
  // CHECK: nn.leaky_relu_grad %{{.*}}, %{{.*}} alpha 2.000000e-01 : tensor<?x64xf64>
  %2 = nn.leaky_relu_grad %x, %1 alpha 0.2 : tensor<?x64xf64>
  // CHECK: nn.gelu_grad %{{.*}}, %{{.*}} : tensor<?x64xf64>
  %3 = nn.gelu_grad %x, %2 : tensor<?x64xf64>
  return %0, %1, %2, %3 : tensor<?x64xf64>, tensor<?x64xf64>, tensor<?x64xf64>, tensor<?x64xf64>
}

// CHECK-LABEL: func.func @softmax_and_reduce_grads
func.func @softmax_and_reduce_grads(%y: tensor<?x10xf32>, %dy: tensor<?x10xf32>, %m: tensor<?xf32>,
                                    %dm: tensor<?xf32>, %k: tensor<?x1xf32>)
    -> (tensor<?x10xf32>, tensor<?x10xf32>, tensor<?x10xf32>, tensor<?x10xf32>) {
  // CHECK: nn.softmax_grad %{{.*}}, %{{.*}} : tensor<?x10xf32>
  %0 = nn.softmax_grad %y, %dy : tensor<?x10xf32>
  // CHECK: nn.log_softmax_grad %{{.*}}, %{{.*}} axis 0 : tensor<?x10xf32>
  %1 = nn.log_softmax_grad %y, %dy axis 0 : tensor<?x10xf32>
  // CHECK: nn.reduce_max_grad %{{.*}}, %{{.*}}, %{{.*}} axes [1] : tensor<?x10xf32>, tensor<?xf32>
  %2 = nn.reduce_max_grad %y, %m, %dm axes [1] : tensor<?x10xf32>, tensor<?xf32>
  // CHECK: nn.reduce_max_grad %{{.*}}, %{{.*}}, %{{.*}} axes [-1] keepdims true : tensor<?x10xf32>, tensor<?x1xf32>
  %3 = nn.reduce_max_grad %y, %k, %k axes [-1] keepdims true : tensor<?x10xf32>, tensor<?x1xf32>
  return %0, %1, %2, %3 : tensor<?x10xf32>, tensor<?x10xf32>, tensor<?x10xf32>, tensor<?x10xf32>
}

// CHECK-LABEL: func.func @layout_grads
func.func @layout_grads(%ds: tensor<?x3xf32>, %dg: tensor<?x16x64xf32>, %ids: tensor<?x16xi32>,
                        %dc: tensor<4x3xf64>, %cols: tensor<3xi64>)
    -> (tensor<?x10xf32>, tensor<1000x64xf32>, tensor<4x10xf64>, tensor<4x10xf64>) {
  // CHECK: nn.slice_grad %{{.*}} shape [-1, 10] axes [1] starts [2] ends [8] steps [2] : tensor<?x3xf32> -> tensor<?x10xf32>
  // SPEC-LABEL: func.func @layout_grads
  // SPEC: nn.slice_grad %{{.*}} shape [-1, 10] {{.*}} : tensor<8x3xf32> -> tensor<8x10xf32>
  %0 = nn.slice_grad %ds shape [-1, 10] axes [1] starts [2] ends [8] steps [2] : tensor<?x3xf32> -> tensor<?x10xf32>
  // CHECK: nn.gather_grad %{{.*}}, %{{.*}} shape [1000, 64] : tensor<?x16x64xf32>, tensor<?x16xi32> -> tensor<1000x64xf32>
  %1 = nn.gather_grad %dg, %ids shape [1000, 64] : tensor<?x16x64xf32>, tensor<?x16xi32> -> tensor<1000x64xf32>
  // CHECK: nn.gather_grad %{{.*}}, %{{.*}} axis 1 shape [-1, 10] : tensor<4x3xf64>, tensor<3xi64> -> tensor<4x10xf64>
  %2 = nn.gather_grad %dc, %cols axis 1 shape [-1, 10] : tensor<4x3xf64>, tensor<3xi64> -> tensor<4x10xf64>
  // The batch entry of `shape` takes dy's static leading extent.
  // CHECK: nn.slice_grad %{{.*}} shape [-1, 10] axes [1] starts [0] ends [3] : tensor<4x3xf64> -> tensor<4x10xf64>
  %3 = nn.slice_grad %dc shape [-1, 10] axes [1] starts [0] ends [3] : tensor<4x3xf64> -> tensor<4x10xf64>
  return %0, %1, %2, %3 : tensor<?x10xf32>, tensor<1000x64xf32>, tensor<4x10xf64>, tensor<4x10xf64>
}

// CHECK-LABEL: func.func @conv_grads
func.func @conv_grads(%x: tensor<?x3x32x32xf32>, %w: tensor<16x3x3x3xf32>, %dy: tensor<?x16x16x16xf32>,
                      %dwx: tensor<2x4x5x5xf32>, %wd: tensor<4x1x3x3xf32>)
    -> (tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<2x4x7x7xf32>) {
  // CHECK: nn.conv2d_grad_input %{{.*}}, %{{.*}} input_shape [-1, 3, 32, 32] stride [2, 2] padding [1, 1] : tensor<?x16x16x16xf32>, tensor<16x3x3x3xf32> -> tensor<?x3x32x32xf32>
  // SPEC-LABEL: func.func @conv_grads
  // SPEC: nn.conv2d_grad_input {{.*}} : tensor<8x16x16x16xf32>, tensor<16x3x3x3xf32> -> tensor<8x3x32x32xf32>
  %0 = nn.conv2d_grad_input %dy, %w input_shape [-1, 3, 32, 32] stride [2, 2] padding [1, 1]
      : tensor<?x16x16x16xf32>, tensor<16x3x3x3xf32> -> tensor<?x3x32x32xf32>
  // CHECK: nn.conv2d_grad_weight %{{.*}}, %{{.*}} weight_shape [16, 3, 3, 3] stride [2, 2] padding [1, 1] : tensor<?x3x32x32xf32>, tensor<?x16x16x16xf32> -> tensor<16x3x3x3xf32>
  %1 = nn.conv2d_grad_weight %x, %dy weight_shape [16, 3, 3, 3] stride [2, 2] padding [1, 1]
      : tensor<?x3x32x32xf32>, tensor<?x16x16x16xf32> -> tensor<16x3x3x3xf32>
  // Attributes equal to their default are not printed.
  // CHECK: nn.conv2d_grad_input %{{.*}}, %{{.*}} input_shape [2, 4, 7, 7] groups 4 : tensor<2x4x5x5xf32>, tensor<4x1x3x3xf32> -> tensor<2x4x7x7xf32>
  %2 = nn.conv2d_grad_input %dwx, %wd input_shape [2, 4, 7, 7] dilation [1, 1] groups 4
      : tensor<2x4x5x5xf32>, tensor<4x1x3x3xf32> -> tensor<2x4x7x7xf32>
  return %0, %1, %2 : tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<2x4x7x7xf32>
}

// CHECK-LABEL: func.func @pool_grads
func.func @pool_grads(%x: tensor<?x16x32x32xf32>, %dy: tensor<?x16x16x16xf32>, %da: tensor<?x16x8x8xf32>)
    -> (tensor<?x16x32x32xf32>, tensor<?x16x8x8xf32>, tensor<?x16x32x32xf32>) {
  // CHECK: nn.max_pool2d_grad %{{.*}}, %{{.*}} kernel [2, 2] : tensor<?x16x32x32xf32>, tensor<?x16x16x16xf32>
  %0 = nn.max_pool2d_grad %x, %dy kernel [2, 2] : tensor<?x16x32x32xf32>, tensor<?x16x16x16xf32>
  // CHECK: nn.avg_pool2d_grad %{{.*}} kernel [3, 3] stride [1, 1] padding [1, 1] count_include_pad false input_shape [-1, 16, 8, 8] : tensor<?x16x8x8xf32> -> tensor<?x16x8x8xf32>
  %1 = nn.avg_pool2d_grad %da kernel [3, 3] stride [1, 1] padding [1, 1] count_include_pad false
      input_shape [-1, 16, 8, 8] : tensor<?x16x8x8xf32> -> tensor<?x16x8x8xf32>
  // CHECK: nn.avg_pool2d_grad %{{.*}} kernel [2, 2] input_shape [-1, 16, 32, 32] : tensor<?x16x16x16xf32> -> tensor<?x16x32x32xf32>
  // SPEC-LABEL: func.func @pool_grads
  // SPEC: nn.avg_pool2d_grad {{.*}} : tensor<8x16x16x16xf32> -> tensor<8x16x32x32xf32>
  %2 = nn.avg_pool2d_grad %dy kernel [2, 2] input_shape [-1, 16, 32, 32] : tensor<?x16x16x16xf32> -> tensor<?x16x32x32xf32>
  return %0, %1, %2 : tensor<?x16x32x32xf32>, tensor<?x16x8x8xf32>, tensor<?x16x32x32xf32>
}

// CHECK-LABEL: func.func @batch_norm_and_dropout_grads
func.func @batch_norm_and_dropout_grads(%x: tensor<?x16x8x8xf32>, %gamma: tensor<16xf32>, %mean: tensor<16xf32>,
                                        %var: tensor<16xf32>, %dy: tensor<?x16x8x8xf32>, %step: tensor<i64>)
    -> (tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<?x16x8x8xf32>, tensor<?x16x8x8xf32>) {
  // CHECK: %{{.*}}, %{{.*}}, %{{.*}} = nn.batch_norm_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} training true : tensor<?x16x8x8xf32>, tensor<16xf32>
  %dx, %dgamma, %dbeta = nn.batch_norm_grad %x, %gamma, %mean, %var, %dy training true
      : tensor<?x16x8x8xf32>, tensor<16xf32>
  // CHECK: nn.batch_norm_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} eps 1.000000e-03 : tensor<?x16x8x8xf32>, tensor<16xf32>
  %e:3 = nn.batch_norm_grad %x, %gamma, %mean, %var, %dy eps 1.0e-3 : tensor<?x16x8x8xf32>, tensor<16xf32>
  // CHECK: nn.dropout_grad %{{.*}}, %{{.*}} {rate = 2.000000e-01 : f64, seed = 7 : i64, training = true} : tensor<?x16x8x8xf32>
  %d0 = nn.dropout_grad %dy, %step {rate = 2.000000e-01 : f64, seed = 7 : i64, training = true} : tensor<?x16x8x8xf32>
  // CHECK: nn.dropout_grad %{{.*}} : tensor<?x16x8x8xf32>
  %d1 = nn.dropout_grad %d0 : tensor<?x16x8x8xf32>
  return %dx, %dgamma, %dbeta, %d0, %d1 : tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<?x16x8x8xf32>, tensor<?x16x8x8xf32>
}

// CHECK-LABEL: func.func @dropout_step
func.func @dropout_step(%x: tensor<?x128xf32>, %step: tensor<i64>) -> (tensor<?x128xf32>, tensor<?x128xf32>) {
  // The forward op keeps its assembly without a step.
  // CHECK: nn.dropout %{{.*}} {training = true} : tensor<?x128xf32>
  %0 = nn.dropout %x {training = true} : tensor<?x128xf32>
  // CHECK: nn.dropout %{{.*}}, %{{.*}} {rate = 1.000000e-01 : f64, training = true} : tensor<?x128xf32>
  %1 = nn.dropout %0, %step {rate = 1.000000e-01 : f64, training = true} : tensor<?x128xf32>
  return %0, %1 : tensor<?x128xf32>, tensor<?x128xf32>
}

// CHECK-LABEL: func.func @loss_grads
func.func @loss_grads(%logits: tensor<?x10xf32>, %labels: tensor<?xi32>, %dloss: tensor<f32>,
                      %p: tensor<?x1xf64>, %t: tensor<?x1xf64>, %dl64: tensor<f64>)
    -> (tensor<?x10xf32>, tensor<?x1xf64>) {
  // CHECK: nn.softmax_cross_entropy_grad %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x10xf32>, tensor<?xi32>, tensor<f32>
  %0 = nn.softmax_cross_entropy_grad %logits, %labels, %dloss : tensor<?x10xf32>, tensor<?xi32>, tensor<f32>
  // CHECK: nn.binary_cross_entropy_grad %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x1xf64>, tensor<?x1xf64>, tensor<f64>
  %1 = nn.binary_cross_entropy_grad %p, %t, %dl64 : tensor<?x1xf64>, tensor<?x1xf64>, tensor<f64>
  return %0, %1 : tensor<?x10xf32>, tensor<?x1xf64>
}

// CHECK-LABEL: func.func @optimizers
func.func @optimizers(%p: tensor<64x10xf32>, %g: tensor<64x10xf32>, %s: tensor<64x10xf32>,
                      %lr: tensor<f32>, %step: tensor<i64>, %q: tensor<10xf64>, %lr64: tensor<f64>)
    -> (tensor<64x10xf32>, tensor<64x10xf32>, tensor<64x10xf32>, tensor<64x10xf32>, tensor<64x10xf32>,
        tensor<10xf64>, tensor<10xf64>) {
  // CHECK: nn.sgd_update %{{.*}}, %{{.*}}, %{{.*}} : tensor<64x10xf32>, tensor<f32>
  %0 = nn.sgd_update %p, %g, %lr : tensor<64x10xf32>, tensor<f32>
  // CHECK: nn.sgd_update %{{.*}}, %{{.*}}, %{{.*}} weight_decay 1.000000e-04 : tensor<64x10xf32>, tensor<f32>
  %1 = nn.sgd_update %0, %g, %lr weight_decay 1.0e-4 : tensor<64x10xf32>, tensor<f32>
  // CHECK: nn.momentum_update %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} momentum 5.000000e-01 nesterov true : tensor<64x10xf32>, tensor<f32>
  %p2, %v2 = nn.momentum_update %1, %g, %s, %lr momentum 0.5 nesterov true : tensor<64x10xf32>, tensor<f32>
  // CHECK: nn.adam_update %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} decoupled true : tensor<64x10xf32>, tensor<f32>
  %p3, %m3, %v3 = nn.adam_update %p2, %g, %s, %s, %step, %lr weight_decay 0.0 decoupled true : tensor<64x10xf32>, tensor<f32>
  // An f64 parameter takes an f32 or an f64 learning rate.
  // CHECK: nn.sgd_update %{{.*}}, %{{.*}}, %{{.*}} : tensor<10xf64>, tensor<f32>
  %4 = nn.sgd_update %q, %q, %lr : tensor<10xf64>, tensor<f32>
  // CHECK: nn.adam_update %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} beta1 8.000000e-01 beta2 5.000000e-01 eps 2.500000e-01 : tensor<10xf64>, tensor<f64>
  %5:3 = nn.adam_update %4, %q, %q, %q, %step, %lr64 beta1 0.8 beta2 0.5 eps 0.25 : tensor<10xf64>, tensor<f64>
  return %p2, %v2, %p3, %m3, %v3, %4, %5#0 : tensor<64x10xf32>, tensor<64x10xf32>, tensor<64x10xf32>, tensor<64x10xf32>,
      tensor<64x10xf32>, tensor<10xf64>, tensor<10xf64>
}
