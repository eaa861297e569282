// RUN: nnc-opt %s -split-input-file --nn-print-graph-stats -o /dev/null | FileCheck %s --check-prefix=UNFUSED
// RUN: nnc-opt %s -split-input-file --nn-fuse --nn-print-graph-stats -o /dev/null | FileCheck %s --check-prefix=FUSED
// computeGraphStats (passes/GraphStats.h) before and after nn-fuse: fusion
// changes kernels and arena, never ops or flops.

// matmul [4x3]·[3x2]: 2·4·2·3 = 48 flops; add, relu, mul: 8 each (one per
// element); reduce_mean: 8 (one per input element). 80 in all.
// UNFUSED-LABEL: graph stats for @mlp
// UNFUSED-NEXT: ops: 5
// UNFUSED-NEXT: fusion_groups: 0
// UNFUSED-NEXT: kernels: 5
// UNFUSED-NEXT: arena_bytes: 64
// UNFUSED-NEXT: in_place_values: 3
// UNFUSED-NEXT: flops: 80
// FUSED-LABEL: graph stats for @mlp
// FUSED-NEXT: ops: 5
// FUSED-NEXT: fusion_groups: 1
// FUSED-NEXT: kernels: 2
// FUSED-NEXT: arena_bytes: 64
// FUSED-NEXT: in_place_values: 0
// FUSED-NEXT: flops: 80
func.func @mlp(%x: tensor<4x3xf32>, %w: tensor<3x2xf32>, %b: tensor<2xf32>) -> tensor<f32> {
  %0 = nn.matmul %x, %w : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
  %1 = nn.add %0, %b : tensor<4x2xf32>, tensor<2xf32> -> tensor<4x2xf32>
  %2 = nn.relu %1 : tensor<4x2xf32>
  %3 = nn.mul %2, %2 : tensor<4x2xf32>, tensor<4x2xf32> -> tensor<4x2xf32>
  %4 = nn.reduce_mean %3 : tensor<4x2xf32> -> tensor<f32>
  return %4 : tensor<f32>
}

// -----

// conv2d: 2·(3/1)·3·3 = 54 flops per output element, 2·4·6·6 = 288 output
// elements, plus 288 for the bias: 15840; relu 288; 16128 in all. Data
// movement (reshape) and constants count nothing. Fused, the bias constant
// is cloned into the group and is no kernel of its own.
// UNFUSED-LABEL: graph stats for @conv
// UNFUSED-NEXT: ops: 3
// UNFUSED-NEXT: fusion_groups: 0
// UNFUSED-NEXT: kernels: 4
// UNFUSED: flops: 16128
// FUSED-LABEL: graph stats for @conv
// FUSED-NEXT: ops: 3
// FUSED-NEXT: fusion_groups: 1
// FUSED-NEXT: kernels: 2
// FUSED: flops: 16128
func.func @conv(%x: tensor<2x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<2x144xf32> {
  %b = nn.constant dense<0.5> : tensor<4xf32>
  %0 = nn.conv2d %x, %w, %b : tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32> -> tensor<2x4x6x6xf32>
  %1 = nn.relu %0 : tensor<2x4x6x6xf32>
  %2 = nn.reshape %1 shape [2, 144] : tensor<2x4x6x6xf32> -> tensor<2x144xf32>
  return %2 : tensor<2x144xf32>
}
