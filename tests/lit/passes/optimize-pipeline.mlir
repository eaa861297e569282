// RUN: nnc-opt %s -split-input-file --nn-optimize | FileCheck %s
// RUN: nnc-opt %s -split-input-file -pass-pipeline='builtin.module(nn-optimize{simplify=false})' | FileCheck %s --check-prefix=NOSIMP
// RUN: nnc-opt %s -split-input-file -pass-pipeline='builtin.module(nn-optimize{cse=false canonicalize=false})' | FileCheck %s --check-prefix=SIMP
// RUN: nnc-opt %s -split-input-file -pass-pipeline='builtin.module(nn-optimize{simplify=false cse=false canonicalize=false})' | FileCheck %s --check-prefix=NONE
// The nn-optimize pipeline (passes/Pipelines.cpp): canonicalize, cse,
// nn-simplify, canonicalize, cse, each of which an option switches off.

// Everything on: x * 1 folds, the duplicate transposes merge (cse), become
// matmul flags (nn-simplify) and are erased, the matmuls merge, and
// log(softmax) is log_softmax.
// CHECK-LABEL: func.func @pipeline(
// CHECK-NEXT: %[[Y:.*]] = nn.matmul %arg0, %arg1 transpose_rhs true : tensor<?x64xf32>, tensor<10x64xf32> -> tensor<?x10xf32>
// CHECK-NEXT: %[[L:.*]] = nn.log_softmax %[[Y]] : tensor<?x10xf32>
// CHECK-NEXT: return %[[Y]], %[[L]]

// Without nn-simplify: folded and merged, but the transpose and the log of
// the softmax stay.
// NOSIMP-LABEL: func.func @pipeline(
// NOSIMP-NEXT: %[[T:.*]] = nn.transpose %arg1 perm [1, 0]
// NOSIMP-NEXT: %[[Y:.*]] = nn.matmul %arg0, %[[T]] :
// NOSIMP-NEXT: %[[S:.*]] = nn.softmax %[[Y]]
// NOSIMP-NEXT: %[[L:.*]] = nn.log %[[S]]
// NOSIMP-NEXT: return %[[Y]], %[[L]]

// nn-simplify alone (its driver still folds x * 1): nothing is merged.
// SIMP-LABEL: func.func @pipeline(
// SIMP-NEXT: %[[Y:.*]] = nn.matmul %arg0, %arg1 transpose_rhs true
// SIMP-NEXT: %[[Z:.*]] = nn.matmul %arg0, %arg1 transpose_rhs true
// SIMP-NEXT: %[[L:.*]] = nn.log_softmax %[[Z]]
// SIMP-NEXT: return %[[Y]], %[[L]]

// Everything off: the function is unchanged.
// NONE-LABEL: func.func @pipeline(
// NONE: nn.transpose
// NONE: nn.mul
// NONE: nn.transpose
// NONE: nn.log
func.func @pipeline(%x: tensor<?x64xf32>, %w: tensor<10x64xf32>) -> (tensor<?x10xf32>, tensor<?x10xf32>) {
  %one = nn.constant dense<1.0> : tensor<f32>
  %t = nn.transpose %w perm [1, 0] : tensor<10x64xf32> -> tensor<64x10xf32>
  %y = nn.matmul %x, %t : tensor<?x64xf32>, tensor<64x10xf32> -> tensor<?x10xf32>
  %y1 = nn.mul %y, %one : tensor<?x10xf32>, tensor<f32> -> tensor<?x10xf32>
  %t2 = nn.transpose %w perm [1, 0] : tensor<10x64xf32> -> tensor<64x10xf32>
  %z = nn.matmul %x, %t2 : tensor<?x64xf32>, tensor<64x10xf32> -> tensor<?x10xf32>
  %s = nn.softmax %z : tensor<?x10xf32>
  %l = nn.log %s : tensor<?x10xf32>
  return %y1, %l : tensor<?x10xf32>, tensor<?x10xf32>
}

// -----

// A training graph: after nn-autodiff the seed's multiplications by 1 and
// the backward work nobody reads are gone, and no transpose is built.
// CHECK-LABEL: func.func @grad(
// CHECK-NOT: nn.transpose
// CHECK: nn.matmul %arg0, %{{.*}} transpose_lhs true : tensor<?x3xf32>, tensor<?x2xf32> -> tensor<3x2xf32>
// CHECK-NOT: nn.transpose
// CHECK: return
// NOSIMP-LABEL: func.func @grad(
// SIMP-LABEL: func.func @grad(
// NONE-LABEL: func.func @grad(
func.func @grad(%x: tensor<?x3xf32>, %w: tensor<3x2xf32>) -> (tensor<f32>, tensor<3x2xf32>) {
  %y = nn.matmul %x, %w : tensor<?x3xf32>, tensor<3x2xf32> -> tensor<?x2xf32>
  %loss = nn.reduce_sum %y : tensor<?x2xf32> -> tensor<f32>
  %seed = nn.constant dense<1.0> : tensor<f32>
  %one = nn.constant dense<1.0> : tensor<f32>
  %scaled = nn.mul %seed, %one : tensor<f32>, tensor<f32> -> tensor<f32>
  %r = nn.reshape %scaled shape [1, 1] : tensor<f32> -> tensor<1x1xf32>
  %dy = nn.broadcast_to %r shape [-1, 2] : tensor<1x1xf32> -> tensor<?x2xf32>
  %dx = nn.matmul %dy, %w transpose_rhs true : tensor<?x2xf32>, tensor<3x2xf32> -> tensor<?x3xf32>
  %dw = nn.matmul %x, %dy transpose_lhs true : tensor<?x3xf32>, tensor<?x2xf32> -> tensor<3x2xf32>
  return %loss, %dw : tensor<f32>, tensor<3x2xf32>
}
