// RUN: nnc-opt %s -split-input-file -verify-diagnostics -mlir-print-op-generic | FileCheck %s
// The dynamic batch dimension flows through result-type inference. Unary ops
// spell no result type, so the parser infers it; every other op's declared
// result must equal the inferred one, which the verifier checks.

// CHECK-LABEL: sym_name = "mlp"
func.func @mlp(%x: tensor<?x8x8xf32>, %w1: tensor<64x128xf32>, %b1: tensor<128xf32>,
               %w2: tensor<128x10xf32>, %b2: tensor<10xf32>, %labels: tensor<?xi32>)
    -> (tensor<?x10xf32>, tensor<f32>) {
  // CHECK: "nn.reshape"(%{{.*}}) <{shape = array<i64: -1, 64>}> : (tensor<?x8x8xf32>) -> tensor<?x64xf32>
  %flat = nn.reshape %x shape [-1, 64] : tensor<?x8x8xf32> -> tensor<?x64xf32>
  // CHECK: "nn.matmul"(%{{.*}}, %{{.*}}) <{transpose_lhs = false, transpose_rhs = false}> : (tensor<?x64xf32>, tensor<64x128xf32>) -> tensor<?x128xf32>
  %0 = nn.matmul %flat, %w1 : tensor<?x64xf32>, tensor<64x128xf32> -> tensor<?x128xf32>
  // CHECK: "nn.add"(%{{.*}}, %{{.*}}) : (tensor<?x128xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  %1 = nn.add %0, %b1 : tensor<?x128xf32>, tensor<128xf32> -> tensor<?x128xf32>
  // CHECK: "nn.relu"(%{{.*}}) : (tensor<?x128xf32>) -> tensor<?x128xf32>
  %2 = nn.relu %1 : tensor<?x128xf32>
  // CHECK: "nn.dropout"(%{{.*}}) {{.*}}training = true{{.*}} : (tensor<?x128xf32>) -> tensor<?x128xf32>
  %3 = nn.dropout %2 {training = true} : tensor<?x128xf32>
  // CHECK: "nn.matmul"(%{{.*}}, %{{.*}}) <{transpose_lhs = false, transpose_rhs = false}> : (tensor<?x128xf32>, tensor<128x10xf32>) -> tensor<?x10xf32>
  %4 = nn.matmul %3, %w2 : tensor<?x128xf32>, tensor<128x10xf32> -> tensor<?x10xf32>
  // CHECK: "nn.add"(%{{.*}}, %{{.*}}) : (tensor<?x10xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  %logits = nn.add %4, %b2 : tensor<?x10xf32>, tensor<10xf32> -> tensor<?x10xf32>
  // CHECK: "nn.softmax"(%{{.*}}) {{.*}} : (tensor<?x10xf32>) -> tensor<?x10xf32>
  %probs = nn.softmax %logits : tensor<?x10xf32>
  // CHECK: "nn.softmax_cross_entropy"(%{{.*}}, %{{.*}}) <{ignore_index = -100 : i64}> : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  %loss = nn.softmax_cross_entropy %logits, %labels : tensor<?x10xf32>, tensor<?xi32> -> tensor<f32>
  return %probs, %loss : tensor<?x10xf32>, tensor<f32>
}

// -----

// A static result where inference says the batch is dynamic is rejected.
func.func @static_result_of_dynamic_batch(%x: tensor<?x64xf32>, %w: tensor<64x10xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<?x10xf32>' are incompatible with return type(s) of operation 'tensor<8x10xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.matmul %x, %w : tensor<?x64xf32>, tensor<64x10xf32> -> tensor<8x10xf32>
  return
}

// -----

// A dynamic batch broadcasts with 1 and with itself only.
// CHECK-LABEL: sym_name = "batch_broadcast"
func.func @batch_broadcast(%a: tensor<?x1x4xf32>, %b: tensor<1x3x4xf32>, %c: tensor<?x3x4xf32>) -> tensor<?x3x4xf32> {
  // CHECK: "nn.sub"(%{{.*}}, %{{.*}}) : (tensor<?x1x4xf32>, tensor<1x3x4xf32>) -> tensor<?x3x4xf32>
  %0 = nn.sub %a, %b : tensor<?x1x4xf32>, tensor<1x3x4xf32> -> tensor<?x3x4xf32>
  // CHECK: "nn.mul"(%{{.*}}, %{{.*}}) : (tensor<?x3x4xf32>, tensor<?x3x4xf32>) -> tensor<?x3x4xf32>
  %1 = nn.mul %0, %c : tensor<?x3x4xf32>, tensor<?x3x4xf32> -> tensor<?x3x4xf32>
  return %1 : tensor<?x3x4xf32>
}
