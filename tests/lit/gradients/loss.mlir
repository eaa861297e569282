// RUN: nnc-opt %s -split-input-file --nn-autodiff | FileCheck %s
// Gradient rules of the losses, seeded with d(loss) = 1.

// mse: 2 (p - t) / numel * dloss for the prediction, its negation for the
// target, each reduced to its operand's shape.
// CHECK-LABEL: func.func @grad
// CHECK: %[[SEED:.*]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[DIFF:.*]] = nn.sub %arg0, %arg1 : tensor<4x3xf32>, tensor<3xf32> -> tensor<4x3xf32>
// CHECK: %[[TWO:.*]] = nn.constant dense<2.000000e+00> : tensor<f32>
// CHECK: %[[N:.*]] = nn.constant dense<1.200000e+01> : tensor<f32>
// CHECK: %[[D2:.*]] = nn.mul %[[SEED]], %[[TWO]]
// CHECK: %[[SCALE:.*]] = nn.div %[[D2]], %[[N]]
// CHECK: %[[G:.*]] = nn.mul %[[DIFF]], %[[SCALE]] : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xf32>
// CHECK: %[[GT:.*]] = nn.reduce_sum %[[G]] axes [0] : tensor<4x3xf32> -> tensor<3xf32>
// CHECK: %[[DT:.*]] = nn.neg %[[GT]] : tensor<3xf32>
// CHECK: return %{{.*}}, %[[G]], %[[DT]]
func.func @forward(%p: tensor<4x3xf32> {nn.name = "p", nn.role = "param"},
                   %t: tensor<3xf32> {nn.name = "t", nn.role = "param"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.mse %p, %t : tensor<4x3xf32>, tensor<3xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// mse over the dynamic batch: numel counts the batch at run time.
// CHECK-LABEL: func.func @grad
// CHECK: %[[DIFF:.*]] = nn.sub %{{.*}}, %arg2 : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x1xf32>
// CHECK: %[[FLAT:.*]] = nn.reshape %[[DIFF]] shape [-1] : tensor<?x1xf32> -> tensor<?xf32>
// CHECK: %[[ONES:.*]] = nn.pow %[[FLAT]]
// CHECK: %[[N:.*]] = nn.reduce_sum %[[ONES]] : tensor<?xf32> -> tensor<f32>
// CHECK: %[[SCALE:.*]] = nn.div %{{.*}}, %[[N]] : tensor<f32>, tensor<f32> -> tensor<f32>
// CHECK: nn.mul %[[DIFF]], %[[SCALE]] : tensor<?x1xf32>, tensor<f32> -> tensor<?x1xf32>
func.func @forward(%x: tensor<?x1xf32> {nn.name = "x", nn.role = "input"},
                   %w: tensor<1xf32> {nn.name = "w", nn.role = "param"},
                   %t: tensor<?x1xf32> {nn.name = "t", nn.role = "input"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.mul %x, %w : tensor<?x1xf32>, tensor<1xf32> -> tensor<?x1xf32>
  %1 = nn.mse %0, %t : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// binary_cross_entropy: its backward op for the probabilities.
// CHECK-LABEL: func.func @grad
// CHECK: %[[P:.*]] = nn.sigmoid %arg0 : tensor<4x1xf32>
// CHECK: %[[SEED:.*]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[DP:.*]] = nn.binary_cross_entropy_grad %[[P]], %arg1, %[[SEED]] : tensor<4x1xf32>, tensor<4x1xf32>, tensor<f32>
func.func @forward(%z: tensor<4x1xf32> {nn.name = "z", nn.role = "param"},
                   %t: tensor<4x1xf32> {nn.name = "t", nn.role = "input"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.sigmoid %z : tensor<4x1xf32>
  %1 = nn.binary_cross_entropy %0, %t : tensor<4x1xf32>, tensor<4x1xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// softmax_cross_entropy: its backward op for the logits; the integer labels
// get none.
// CHECK-LABEL: func.func @grad
// CHECK: %[[L:.*]] = nn.add %arg0, %arg1 : tensor<?x10xf64>, tensor<10xf64> -> tensor<?x10xf64>
// CHECK: %[[SEED:.*]] = nn.constant dense<1.000000e+00> : tensor<f64>
// CHECK: %[[DL:.*]] = nn.softmax_cross_entropy_grad %[[L]], %arg2, %[[SEED]] : tensor<?x10xf64>, tensor<?xi64>, tensor<f64>
// CHECK: %[[DB:.*]] = nn.reduce_sum %[[DL]] axes [0] : tensor<?x10xf64> -> tensor<10xf64>
// CHECK: return %{{.*}}, %[[DB]]
func.func @forward(%x: tensor<?x10xf64> {nn.name = "x", nn.role = "input"},
                   %b: tensor<10xf64> {nn.name = "b", nn.role = "param"},
                   %labels: tensor<?xi64> {nn.name = "labels", nn.role = "input"})
    -> (tensor<f64> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.add %x, %b : tensor<?x10xf64>, tensor<10xf64> -> tensor<?x10xf64>
  %1 = nn.softmax_cross_entropy %0, %labels : tensor<?x10xf64>, tensor<?xi64> -> tensor<f64>
  return %1 : tensor<f64>
}
