// RUN: nnc-opt %s | FileCheck %s
// RUN: nnc-opt %s | nnc-opt | FileCheck %s
// nn.fusion and nn.yield print and parse back.

// CHECK-LABEL: func.func @group
// CHECK: %[[G:.*]]:2 = nn.fusion(%arg0, %arg1) : (tensor<4x3xf32>, tensor<3x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<4x3xf32>, %[[B:.*]]: tensor<3x2xf32>):
// CHECK-NEXT: %[[M:.*]] = nn.matmul %[[A]], %[[B]]
// CHECK-NEXT: %[[R:.*]] = nn.relu %[[M]]
// CHECK-NEXT: nn.yield %[[M]], %[[R]] : tensor<4x2xf32>, tensor<4x2xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[G]]#1
func.func @group(%x: tensor<4x3xf32>, %w: tensor<3x2xf32>) -> tensor<4x2xf32> {
  %0:2 = nn.fusion(%x, %w) : (tensor<4x3xf32>, tensor<3x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  ^bb0(%a: tensor<4x3xf32>, %b: tensor<3x2xf32>):
    %1 = nn.matmul %a, %b : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
    %2 = nn.relu %1 : tensor<4x2xf32>
    nn.yield %1, %2 : tensor<4x2xf32>, tensor<4x2xf32>
  }
  return %0#1 : tensor<4x2xf32>
}
