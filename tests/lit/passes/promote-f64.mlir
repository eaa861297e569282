// RUN: nnc-opt %s --pass-pipeline='builtin.module(func.func(nn-promote-f64))' | FileCheck %s

// CHECK-LABEL: func.func @mlp
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf64>, %[[W:.*]]: tensor<4x2xf64>, %[[L:.*]]: tensor<?xi32>) -> (tensor<?x2xf64>, tensor<f64>)
func.func @mlp(%x: tensor<?x4xf32>, %w: tensor<4x2xf32>, %labels: tensor<?xi32>) -> (tensor<?x2xf32>, tensor<f32>) {
  // CHECK: nn.constant dense<5.000000e-01> : tensor<f64>
  %half = nn.constant dense<0.5> : tensor<f32>
  // CHECK: nn.matmul %[[X]], %[[W]] : tensor<?x4xf64>, tensor<4x2xf64> -> tensor<?x2xf64>
  %0 = nn.matmul %x, %w : tensor<?x4xf32>, tensor<4x2xf32> -> tensor<?x2xf32>
  // CHECK: nn.mul {{.*}} : tensor<?x2xf64>, tensor<f64> -> tensor<?x2xf64>
  %1 = nn.mul %0, %half : tensor<?x2xf32>, tensor<f32> -> tensor<?x2xf32>
  // CHECK: nn.softmax_cross_entropy {{.*}} : tensor<?x2xf64>, tensor<?xi32> -> tensor<f64>
  %2 = nn.softmax_cross_entropy %1, %labels : tensor<?x2xf32>, tensor<?xi32> -> tensor<f32>
  return %1, %2 : tensor<?x2xf32>, tensor<f32>
}
