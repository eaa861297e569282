// RUN: nnc-opt %s | nnc-opt | FileCheck %s
// Round trip of every nn op in its custom form.

// CHECK-LABEL: func.func @binary
func.func @binary(%a: tensor<?x10xf32>, %b: tensor<10xf32>, %s: tensor<f32>) -> tensor<?x10xf32> {
  // CHECK: nn.add %{{.*}}, %{{.*}} : tensor<?x10xf32>, tensor<10xf32> -> tensor<?x10xf32>
  %0 = nn.add %a, %b : tensor<?x10xf32>, tensor<10xf32> -> tensor<?x10xf32>
  // CHECK: nn.sub %{{.*}}, %{{.*}} : tensor<?x10xf32>, tensor<f32> -> tensor<?x10xf32>
  %1 = nn.sub %0, %s : tensor<?x10xf32>, tensor<f32> -> tensor<?x10xf32>
  // CHECK: nn.mul %{{.*}}, %{{.*}} : tensor<10xf32>, tensor<?x10xf32> -> tensor<?x10xf32>
  %2 = nn.mul %b, %1 : tensor<10xf32>, tensor<?x10xf32> -> tensor<?x10xf32>
  // CHECK: nn.div %{{.*}}, %{{.*}} : tensor<?x10xf32>, tensor<?x10xf32> -> tensor<?x10xf32>
  %3 = nn.div %2, %1 : tensor<?x10xf32>, tensor<?x10xf32> -> tensor<?x10xf32>
  // CHECK: nn.pow %{{.*}}, %{{.*}} : tensor<?x10xf32>, tensor<f32> -> tensor<?x10xf32>
  %4 = nn.pow %3, %s : tensor<?x10xf32>, tensor<f32> -> tensor<?x10xf32>
  return %4 : tensor<?x10xf32>
}

// CHECK-LABEL: func.func @integer_arith
func.func @integer_arith(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  // CHECK: nn.add %{{.*}}, %{{.*}} : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %0 = nn.add %a, %b : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  // CHECK: nn.neg %{{.*}} : tensor<4xi32>
  %1 = nn.neg %0 : tensor<4xi32>
  // CHECK: nn.abs %{{.*}} : tensor<4xi32>
  %2 = nn.abs %1 : tensor<4xi32>
  return %2 : tensor<4xi32>
}

// CHECK-LABEL: func.func @unary
func.func @unary(%x: tensor<?x64xf64>) -> tensor<?x64xf64> {
  // CHECK: nn.exp %{{.*}} : tensor<?x64xf64>
  %0 = nn.exp %x : tensor<?x64xf64>
  // CHECK: nn.log %{{.*}} : tensor<?x64xf64>
  %1 = nn.log %0 : tensor<?x64xf64>
  // CHECK: nn.sqrt %{{.*}} : tensor<?x64xf64>
  %2 = nn.sqrt %1 : tensor<?x64xf64>
  // CHECK: nn.relu %{{.*}} : tensor<?x64xf64>
  %3 = nn.relu %2 : tensor<?x64xf64>
  // CHECK: nn.sigmoid %{{.*}} : tensor<?x64xf64>
  %4 = nn.sigmoid %3 : tensor<?x64xf64>
  // CHECK: nn.tanh %{{.*}} : tensor<?x64xf64>
  %5 = nn.tanh %4 : tensor<?x64xf64>
  // CHECK: nn.gelu %{{.*}} : tensor<?x64xf64>
  %6 = nn.gelu %5 : tensor<?x64xf64>
  // CHECK: nn.leaky_relu %{{.*}} : tensor<?x64xf64>
  %7 = nn.leaky_relu %6 : tensor<?x64xf64>
  // CHECK: nn.leaky_relu %{{.*}} alpha 2.000000e-01 : tensor<?x64xf64>
  %8 = nn.leaky_relu %7 alpha 0.2 : tensor<?x64xf64>
  // CHECK: nn.neg %{{.*}} : tensor<?x64xf64>
  %9 = nn.neg %8 : tensor<?x64xf64>
  // CHECK: nn.abs %{{.*}} : tensor<?x64xf64>
  %10 = nn.abs %9 : tensor<?x64xf64>
  return %10 : tensor<?x64xf64>
}

// CHECK-LABEL: func.func @matmul
func.func @matmul(%a: tensor<?x64xf32>, %b: tensor<64x10xf32>, %c: tensor<?x3x4xf32>, %d: tensor<4x5xf32>) -> (tensor<?x10xf32>, tensor<?x3x5xf32>) {
  // CHECK: nn.matmul %{{.*}}, %{{.*}} : tensor<?x64xf32>, tensor<64x10xf32> -> tensor<?x10xf32>
  %0 = nn.matmul %a, %b : tensor<?x64xf32>, tensor<64x10xf32> -> tensor<?x10xf32>
  // CHECK: nn.matmul %{{.*}}, %{{.*}} : tensor<?x3x4xf32>, tensor<4x5xf32> -> tensor<?x3x5xf32>
  %1 = nn.matmul %c, %d : tensor<?x3x4xf32>, tensor<4x5xf32> -> tensor<?x3x5xf32>
  return %0, %1 : tensor<?x10xf32>, tensor<?x3x5xf32>
}

// CHECK-LABEL: func.func @softmax
func.func @softmax(%x: tensor<?x10xf32>) -> (tensor<?x10xf32>, tensor<?x10xf32>) {
  // CHECK: nn.softmax %{{.*}} : tensor<?x10xf32>
  %0 = nn.softmax %x : tensor<?x10xf32>
  // CHECK: nn.log_softmax %{{.*}} axis 0 : tensor<?x10xf32>
  %1 = nn.log_softmax %0 axis 0 : tensor<?x10xf32>
  return %0, %1 : tensor<?x10xf32>, tensor<?x10xf32>
}

// CHECK-LABEL: func.func @reductions
func.func @reductions(%x: tensor<?x10xf32>) -> (tensor<?xf32>, tensor<?x1xf32>, tensor<f32>) {
  // CHECK: nn.reduce_sum %{{.*}} axes [1] : tensor<?x10xf32> -> tensor<?xf32>
  %0 = nn.reduce_sum %x axes [1] : tensor<?x10xf32> -> tensor<?xf32>
  // CHECK: nn.reduce_max %{{.*}} axes [-1] keepdims true : tensor<?x10xf32> -> tensor<?x1xf32>
  %1 = nn.reduce_max %x axes [-1] keepdims true : tensor<?x10xf32> -> tensor<?x1xf32>
  // CHECK: nn.reduce_mean %{{.*}} : tensor<?x10xf32> -> tensor<f32>
  %2 = nn.reduce_mean %x : tensor<?x10xf32> -> tensor<f32>
  return %0, %1, %2 : tensor<?xf32>, tensor<?x1xf32>, tensor<f32>
}

// CHECK-LABEL: func.func @layout
func.func @layout(%x: tensor<?x8x8xf32>, %v: tensor<10xf32>, %m: tensor<4x6xf32>) -> (tensor<?x64xf32>, tensor<6x4xf32>, tensor<6x4xf32>, tensor<?x10xf32>) {
  // CHECK: nn.reshape %{{.*}} shape [-1, 64] : tensor<?x8x8xf32> -> tensor<?x64xf32>
  %0 = nn.reshape %x shape [-1, 64] : tensor<?x8x8xf32> -> tensor<?x64xf32>
  // CHECK: nn.transpose %{{.*}} perm [1, 0] : tensor<4x6xf32> -> tensor<6x4xf32>
  %1 = nn.transpose %m perm [1, 0] : tensor<4x6xf32> -> tensor<6x4xf32>
  // CHECK: nn.transpose %{{.*}} : tensor<4x6xf32> -> tensor<6x4xf32>
  %2 = nn.transpose %m : tensor<4x6xf32> -> tensor<6x4xf32>
  // CHECK: nn.broadcast_to %{{.*}} shape [-1, 10] : tensor<10xf32> -> tensor<?x10xf32>
  %3 = nn.broadcast_to %v shape [-1, 10] : tensor<10xf32> -> tensor<?x10xf32>
  return %0, %1, %2, %3 : tensor<?x64xf32>, tensor<6x4xf32>, tensor<6x4xf32>, tensor<?x10xf32>
}

// CHECK-LABEL: func.func @concat_slice
func.func @concat_slice(%a: tensor<?x3xf32>, %b: tensor<?x5xf32>, %c: tensor<2x3xf32>) -> (tensor<?x8xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x2xf32>) {
  // CHECK: nn.concat %{{.*}}, %{{.*}} axis 1 : tensor<?x3xf32>, tensor<?x5xf32> -> tensor<?x8xf32>
  %0 = nn.concat %a, %b axis 1 : tensor<?x3xf32>, tensor<?x5xf32> -> tensor<?x8xf32>
  // CHECK: nn.concat %{{.*}} : tensor<?x3xf32> -> tensor<?x3xf32>
  %1 = nn.concat %a : tensor<?x3xf32> -> tensor<?x3xf32>
  // CHECK: nn.slice %{{.*}} axes [1] starts [2] ends [8] steps [2] : tensor<?x8xf32> -> tensor<?x3xf32>
  %2 = nn.slice %0 axes [1] starts [2] ends [8] steps [2] : tensor<?x8xf32> -> tensor<?x3xf32>
  // CHECK: nn.slice %{{.*}} axes [1] starts [-2] ends [8] : tensor<?x8xf32> -> tensor<?x2xf32>
  %3 = nn.slice %0 axes [1] starts [-2] ends [8] : tensor<?x8xf32> -> tensor<?x2xf32>
  return %0, %1, %2, %3 : tensor<?x8xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x2xf32>
}

// CHECK-LABEL: func.func @gather
func.func @gather(%table: tensor<1000x64xf32>, %ids: tensor<?x16xi32>, %x: tensor<?x10xf64>, %idx: tensor<3xi64>) -> (tensor<?x16x64xf32>, tensor<?x3xf64>) {
  // CHECK: nn.gather %{{.*}}, %{{.*}} : tensor<1000x64xf32>, tensor<?x16xi32> -> tensor<?x16x64xf32>
  %0 = nn.gather %table, %ids : tensor<1000x64xf32>, tensor<?x16xi32> -> tensor<?x16x64xf32>
  // CHECK: nn.gather %{{.*}}, %{{.*}} axis 1 : tensor<?x10xf64>, tensor<3xi64> -> tensor<?x3xf64>
  %1 = nn.gather %x, %idx axis 1 : tensor<?x10xf64>, tensor<3xi64> -> tensor<?x3xf64>
  return %0, %1 : tensor<?x16x64xf32>, tensor<?x3xf64>
}

// CHECK-LABEL: func.func @constant
func.func @constant() -> (tensor<2xf32>, tensor<4x10xf32>, tensor<3xi64>) {
  // CHECK: nn.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  %0 = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  // CHECK: nn.constant dense<0.000000e+00> : tensor<4x10xf32>
  %1 = nn.constant dense<0.0> : tensor<4x10xf32>
  // CHECK: nn.constant dense<[0, 2, 1]> : tensor<3xi64>
  %2 = nn.constant dense<[0, 2, 1]> : tensor<3xi64>
  return %0, %1, %2 : tensor<2xf32>, tensor<4x10xf32>, tensor<3xi64>
}

// CHECK-LABEL: func.func @conv2d
func.func @conv2d(%x: tensor<?x3x32x32xf32>, %w: tensor<16x3x3x3xf32>, %b: tensor<16xf32>, %wg: tensor<8x1x3x3xf32>, %y: tensor<?x4x8x8xf32>) -> (tensor<?x16x16x16xf32>, tensor<?x16x30x30xf32>, tensor<?x8x4x4xf32>) {
  // CHECK: nn.conv2d %{{.*}}, %{{.*}}, %{{.*}} stride [2, 2] padding [1, 1] : tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32> -> tensor<?x16x16x16xf32>
  %0 = nn.conv2d %x, %w, %b stride [2, 2] padding [1, 1] : tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32> -> tensor<?x16x16x16xf32>
  // CHECK: nn.conv2d %{{.*}}, %{{.*}} : tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<?x16x30x30xf32>
  %1 = nn.conv2d %x, %w : tensor<?x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<?x16x30x30xf32>
  // CHECK: nn.conv2d %{{.*}}, %{{.*}} stride [2, 2] padding [2, 2] dilation [2, 2] groups 4 : tensor<?x4x8x8xf32>, tensor<8x1x3x3xf32> -> tensor<?x8x4x4xf32>
  %2 = nn.conv2d %y, %wg stride [2, 2] padding [2, 2] dilation [2, 2] groups 4 : tensor<?x4x8x8xf32>, tensor<8x1x3x3xf32> -> tensor<?x8x4x4xf32>
  return %0, %1, %2 : tensor<?x16x16x16xf32>, tensor<?x16x30x30xf32>, tensor<?x8x4x4xf32>
}

// CHECK-LABEL: func.func @pool
func.func @pool(%x: tensor<?x16x32x32xf32>, %y: tensor<?x16x8x8xf32>) -> (tensor<?x16x16x16xf32>, tensor<?x16x8x8xf32>, tensor<?x16x4x4xf32>) {
  // CHECK: nn.max_pool2d %{{.*}} kernel [2, 2] : tensor<?x16x32x32xf32> -> tensor<?x16x16x16xf32>
  %0 = nn.max_pool2d %x kernel [2, 2] : tensor<?x16x32x32xf32> -> tensor<?x16x16x16xf32>
  // CHECK: nn.avg_pool2d %{{.*}} kernel [3, 3] stride [1, 1] padding [1, 1] count_include_pad false : tensor<?x16x8x8xf32> -> tensor<?x16x8x8xf32>
  %1 = nn.avg_pool2d %y kernel [3, 3] stride [1, 1] padding [1, 1] count_include_pad false : tensor<?x16x8x8xf32> -> tensor<?x16x8x8xf32>
  // CHECK: nn.avg_pool2d %{{.*}} kernel [2, 2] : tensor<?x16x8x8xf32> -> tensor<?x16x4x4xf32>
  %2 = nn.avg_pool2d %y kernel [2, 2] : tensor<?x16x8x8xf32> -> tensor<?x16x4x4xf32>
  return %0, %1, %2 : tensor<?x16x16x16xf32>, tensor<?x16x8x8xf32>, tensor<?x16x4x4xf32>
}

// CHECK-LABEL: func.func @layer_norm
func.func @layer_norm(%x: tensor<?x32x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>) -> (tensor<?x32x64xf32>, tensor<?x32x64xf32>, tensor<64xf32>, tensor<64xf32>) {
  // CHECK: nn.layer_norm %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x32x64xf32>, tensor<64xf32>
  %y = nn.layer_norm %x, %g, %b : tensor<?x32x64xf32>, tensor<64xf32>
  // CHECK: nn.layer_norm_grad %{{.*}}, %{{.*}}, %{{.*}} eps 1.000000e-03 : tensor<?x32x64xf32>, tensor<64xf32>
  %dx, %dg, %db = nn.layer_norm_grad %x, %g, %y eps 1.0e-3 : tensor<?x32x64xf32>, tensor<64xf32>
  return %y, %dx, %dg, %db : tensor<?x32x64xf32>, tensor<?x32x64xf32>, tensor<64xf32>, tensor<64xf32>
}

// CHECK-LABEL: func.func @attention
func.func @attention(%q: tensor<?x4x64x32xf32>, %k: tensor<?x4x48x32xf32>, %v: tensor<?x4x48x16xf32>, %m: tensor<64x48xf32>) -> (tensor<?x4x64x16xf32>, tensor<?x4x64x16xf32>, tensor<?x4x64x32xf32>, tensor<?x4x48x32xf32>, tensor<?x4x48x16xf32>) {
  // CHECK: nn.scaled_dot_product_attention %{{.*}}, %{{.*}}, %{{.*}} causal true : tensor<?x4x64x32xf32>, tensor<?x4x48x32xf32>, tensor<?x4x48x16xf32> -> tensor<?x4x64x16xf32>
  %y = nn.scaled_dot_product_attention %q, %k, %v causal true : tensor<?x4x64x32xf32>, tensor<?x4x48x32xf32>, tensor<?x4x48x16xf32> -> tensor<?x4x64x16xf32>
  // CHECK: nn.scaled_dot_product_attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} scale 5.000000e-01 : tensor<?x4x64x32xf32>, tensor<?x4x48x32xf32>, tensor<?x4x48x16xf32>, tensor<64x48xf32> -> tensor<?x4x64x16xf32>
  %z = nn.scaled_dot_product_attention %q, %k, %v, %m scale 0.5 : tensor<?x4x64x32xf32>, tensor<?x4x48x32xf32>, tensor<?x4x48x16xf32>, tensor<64x48xf32> -> tensor<?x4x64x16xf32>
  // CHECK: nn.scaled_dot_product_attention_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} causal true : tensor<?x4x64x32xf32>, tensor<?x4x48x32xf32>, tensor<?x4x48x16xf32>, tensor<?x4x64x16xf32>, tensor<?x4x64x16xf32>, tensor<64x48xf32>
  %dq, %dk, %dv = nn.scaled_dot_product_attention_grad %q, %k, %v, %y, %z, %m causal true : tensor<?x4x64x32xf32>, tensor<?x4x48x32xf32>, tensor<?x4x48x16xf32>, tensor<?x4x64x16xf32>, tensor<?x4x64x16xf32>, tensor<64x48xf32>
  return %y, %z, %dq, %dk, %dv : tensor<?x4x64x16xf32>, tensor<?x4x64x16xf32>, tensor<?x4x64x32xf32>, tensor<?x4x48x32xf32>, tensor<?x4x48x16xf32>
}

// CHECK-LABEL: func.func @batch_norm_dropout
func.func @batch_norm_dropout(%x: tensor<?x16x8x8xf32>, %g: tensor<16xf32>, %b: tensor<16xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>, %h: tensor<?x128xf32>) -> (tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<?x128xf32>) {
  // CHECK: nn.batch_norm %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {training = true} : tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32> -> tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>
  %y, %nm, %nv = nn.batch_norm %x, %g, %b, %m, %v {training = true} : tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32> -> tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>
  // CHECK: nn.batch_norm %{{.*}} {eps = 1.000000e-03 : f64, momentum = 0.010000000000000002 : f64} : tensor<?x16x8x8xf32>
  %y2:3 = nn.batch_norm %y, %g, %b, %nm, %nv {eps = 1.0e-3 : f64, momentum = 0.010000000000000002 : f64} : tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32> -> tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>
  // CHECK: nn.dropout %{{.*}} {rate = 2.000000e-01 : f64, seed = 7 : i64, training = true} : tensor<?x128xf32>
  %d = nn.dropout %h {rate = 0.2 : f64, seed = 7 : i64, training = true} : tensor<?x128xf32>
  // CHECK: nn.dropout %{{.*}} : tensor<?x128xf32>
  %e = nn.dropout %d : tensor<?x128xf32>
  return %y2#0, %y2#1, %y2#2, %e : tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<?x128xf32>
}

// CHECK-LABEL: func.func @losses
func.func @losses(%p: tensor<?x1xf32>, %t: tensor<?x1xf32>, %logits: tensor<?x10xf64>, %labels: tensor<?xi32>, %labels64: tensor<?xi64>) -> (tensor<f32>, tensor<f32>, tensor<f64>, tensor<f64>) {
  // CHECK: nn.mse %{{.*}}, %{{.*}} : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<f32>
  %0 = nn.mse %p, %t : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<f32>
  // CHECK: nn.binary_cross_entropy %{{.*}}, %{{.*}} : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<f32>
  %1 = nn.binary_cross_entropy %p, %t : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<f32>
  // CHECK: nn.softmax_cross_entropy %{{.*}}, %{{.*}} : tensor<?x10xf64>, tensor<?xi32> -> tensor<f64>
  %2 = nn.softmax_cross_entropy %logits, %labels : tensor<?x10xf64>, tensor<?xi32> -> tensor<f64>
  // CHECK: nn.softmax_cross_entropy %{{.*}}, %{{.*}} : tensor<?x10xf64>, tensor<?xi64> -> tensor<f64>
  %3 = nn.softmax_cross_entropy %logits, %labels64 : tensor<?x10xf64>, tensor<?xi64> -> tensor<f64>
  return %0, %1, %2, %3 : tensor<f32>, tensor<f32>, tensor<f64>, tensor<f64>
}
