// RUN: nnc-opt %s -split-input-file -verify-diagnostics --nn-specialize-batch=batch-size=4 | FileCheck %s
// The dynamic batch of the arguments becomes 4 and every result type is
// re-inferred from it, including through reshape's -1 and broadcasting.

// CHECK-LABEL: func.func @mlp
// CHECK-SAME: (%{{.*}}: tensor<4x8x8xf32>, %{{.*}}: tensor<64x10xf32>, %{{.*}}: tensor<10xf32>, %{{.*}}: tensor<4xi32>)
// CHECK-SAME: -> (tensor<4x10xf32>, tensor<f32>)
func.func @mlp(%x: tensor<?x8x8xf32>, %w: tensor<64x10xf32>, %b: tensor<10xf32>,
               %labels: tensor<?xi32>) -> (tensor<?x10xf32>, tensor<f32>) {
  // CHECK: nn.reshape %{{.*}} shape [-1, 64] : tensor<4x8x8xf32> -> tensor<4x64xf32>
  %flat = nn.reshape %x shape [-1, 64] : tensor<?x8x8xf32> -> tensor<?x64xf32>
  // CHECK: nn.matmul %{{.*}}, %{{.*}} : tensor<4x64xf32>, tensor<64x10xf32> -> tensor<4x10xf32>
  %0 = nn.matmul %flat, %w : tensor<?x64xf32>, tensor<64x10xf32> -> tensor<?x10xf32>
  // CHECK: nn.add %{{.*}}, %{{.*}} : tensor<4x10xf32>, tensor<10xf32> -> tensor<4x10xf32>
  %1 = nn.add %0, %b : tensor<?x10xf32>, tensor<10xf32> -> tensor<?x10xf32>
  // CHECK: nn.relu %{{.*}} : tensor<4x10xf32>
  %2 = nn.relu %1 : tensor<?x10xf32>
  // CHECK: nn.softmax_cross_entropy %{{.*}}, %{{.*}} : tensor<4x10xf32>, tensor<4xi32> -> tensor<f32>
  %loss = nn.softmax_cross_entropy %1, %labels : tensor<?x10xf32>, tensor<?xi32> -> tensor<f32>
  // CHECK: return %{{.*}}, %{{.*}} : tensor<4x10xf32>, tensor<f32>
  return %2, %loss : tensor<?x10xf32>, tensor<f32>
}

// -----

// Static arguments, scalars and constants are left alone.
// CHECK-LABEL: func.func @static_only
// CHECK-SAME: (%{{.*}}: tensor<2x3xf32>, %{{.*}}: tensor<f32>) -> tensor<2x3xf32>
func.func @static_only(%a: tensor<2x3xf32>, %s: tensor<f32>) -> tensor<2x3xf32> {
  // CHECK: nn.constant dense<1.000000e+00> : tensor<2x3xf32>
  %c = nn.constant dense<1.0> : tensor<2x3xf32>
  // CHECK: nn.mul %{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<f32> -> tensor<2x3xf32>
  %0 = nn.mul %a, %s : tensor<2x3xf32>, tensor<f32> -> tensor<2x3xf32>
  %1 = nn.add %0, %c : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// -----

// Argument attributes survive; only the types change.
// CHECK-LABEL: func.func @keeps_attributes
// CHECK-SAME: (%{{.*}}: tensor<4x2xf32> {nn.name = "x", nn.role = "input"})
// CHECK-SAME: -> (tensor<4x2xf32> {nn.name = "y", nn.role = "output"})
func.func @keeps_attributes(%x: tensor<?x2xf32> {nn.name = "x", nn.role = "input"})
    -> (tensor<?x2xf32> {nn.name = "y", nn.role = "output"}) {
  %0 = nn.neg %x : tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

func.func private @opaque(tensor<?x4xf32>) -> tensor<?x4xf32>

// An op that cannot infer its types blocks specialisation when its result
// is dynamic.
func.func @no_inference(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{cannot refine the types through this op: it does not infer its result types}}
  %0 = func.call @opaque(%x) : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// Inference errors are reported at the op: 4 * 2^20 * 2^20 elements exceed
// the 2^40 limit of shapes, which the dynamic batch did not.
func.func @too_large(%x: tensor<?x1048576x1048576xf32>) -> tensor<?x1048576x1048576xf32> {
  // expected-error @+1 {{'nn.reshape' op shape [4, 1048576, 1048576] has more than 2^40 elements}}
  %0 = nn.reshape %x shape [-1, 1048576, 1048576] : tensor<?x1048576x1048576xf32> -> tensor<?x1048576x1048576xf32>
  return %0 : tensor<?x1048576x1048576xf32>
}

// -----

// broadcast_to's -1 is the batch, whether the operand carries it or not:
// it becomes 4 in the target, which the operand's type alone cannot say.
// CHECK-LABEL: func.func @broadcast_to_batch
func.func @broadcast_to_batch(%x: tensor<?x1x4xf32>, %b: tensor<4xf32>)
    -> (tensor<?x3x4xf32>, tensor<?x4xf32>) {
  // CHECK: nn.broadcast_to %{{.*}} shape [4, 3, 4] : tensor<4x1x4xf32> -> tensor<4x3x4xf32>
  %0 = nn.broadcast_to %x shape [-1, 3, 4] : tensor<?x1x4xf32> -> tensor<?x3x4xf32>
  // CHECK: nn.broadcast_to %{{.*}} shape [4, 4] : tensor<4xf32> -> tensor<4x4xf32>
  %1 = nn.broadcast_to %b shape [-1, 4] : tensor<4xf32> -> tensor<?x4xf32>
  return %0, %1 : tensor<?x3x4xf32>, tensor<?x4xf32>
}
