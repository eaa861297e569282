// RUN: nnc-opt %s -canonicalize -split-input-file | FileCheck %s
// nn.constant folds to its value and is rematerialised by the dialect, so the
// canonicaliser deduplicates equal constants; nn ops are pure, so unused ones
// are erased. (Folders of the other ops: tests/lit/passes/canonicalize.mlir.)

// CHECK-LABEL: func.func @dedup_constants
// CHECK: %[[C:.*]] = nn.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK-NOT: nn.constant
// CHECK: nn.concat %[[C]], %[[C]] : tensor<4xf32>, tensor<4xf32> -> tensor<8xf32>
func.func @dedup_constants() -> tensor<8xf32> {
  %0 = nn.constant dense<1.0> : tensor<4xf32>
  %1 = nn.constant dense<1.0> : tensor<4xf32>
  %2 = nn.concat %0, %1 : tensor<4xf32>, tensor<4xf32> -> tensor<8xf32>
  return %2 : tensor<8xf32>
}

// -----

// CHECK-LABEL: func.func @dead_ops
// CHECK-NEXT: return
func.func @dead_ops(%x: tensor<?x4xf32>) {
  %0 = nn.relu %x : tensor<?x4xf32>
  %1 = nn.softmax %0 : tensor<?x4xf32>
  return
}
