// RUN: nnc-opt %s --nn-fuse --view-op-graph -o /dev/null 2>&1 | FileCheck %s
// `nnc ir --dot` is upstream's view-op-graph, which draws every region op as
// a Graphviz cluster: a fusion group is a cluster labelled nn.fusion that
// holds its ops, while ops outside groups are plain nodes.

// CHECK: digraph G {
// CHECK: subgraph cluster_{{[0-9]+}} {
// CHECK: label = "nn.fusion : (tensor<4x2xf32>)\n";
// CHECK: subgraph cluster_{{[0-9]+}} {
// CHECK: label = "nn.matmul
// CHECK: label = "nn.add
// CHECK: label = "nn.relu
// CHECK: label = "nn.yield
// CHECK: }
// CHECK-NEXT: }
// CHECK: label = "nn.reduce_sum
func.func @mlp(%x: tensor<4x3xf32>, %w: tensor<3x2xf32>, %b: tensor<2xf32>) -> tensor<f32> {
  %0 = nn.matmul %x, %w : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
  %1 = nn.add %0, %b : tensor<4x2xf32>, tensor<2xf32> -> tensor<4x2xf32>
  %2 = nn.relu %1 : tensor<4x2xf32>
  %3 = nn.reduce_sum %2 : tensor<4x2xf32> -> tensor<f32>
  return %3 : tensor<f32>
}
