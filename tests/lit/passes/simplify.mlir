// RUN: nnc-opt %s -nn-simplify -split-input-file | FileCheck %s
// The rewrites of populateSimplifyPatterns (passes/SimplifyPatterns.cpp), and
// negative cases where they must not fire.

// A last-two-axes transpose feeding matmul becomes its flag; the transpose,
// left unused, is erased.
// CHECK-LABEL: func.func @transpose_into_matmul_rhs(
// CHECK-NOT: nn.transpose
// CHECK: %[[Y:.*]] = nn.matmul %arg0, %arg1 transpose_rhs true : tensor<?x64xf32>, tensor<10x64xf32> -> tensor<?x10xf32>
// CHECK-NEXT: return %[[Y]]
func.func @transpose_into_matmul_rhs(%x: tensor<?x64xf32>, %w: tensor<10x64xf32>) -> tensor<?x10xf32> {
  %t = nn.transpose %w perm [1, 0] : tensor<10x64xf32> -> tensor<64x10xf32>
  %y = nn.matmul %x, %t : tensor<?x64xf32>, tensor<64x10xf32> -> tensor<?x10xf32>
  return %y : tensor<?x10xf32>
}

// -----

// Both operands; the default permutation of a rank-2 tensor swaps its axes.
// CHECK-LABEL: func.func @transpose_into_matmul_both(
// CHECK-NEXT: %[[Y:.*]] = nn.matmul %arg0, %arg1 transpose_lhs true transpose_rhs true : tensor<4x3xf32>, tensor<5x4xf32> -> tensor<3x5xf32>
// CHECK-NEXT: return %[[Y]]
func.func @transpose_into_matmul_both(%a: tensor<4x3xf32>, %b: tensor<5x4xf32>) -> tensor<3x5xf32> {
  %at = nn.transpose %a : tensor<4x3xf32> -> tensor<3x4xf32>
  %bt = nn.transpose %b perm [1, 0] : tensor<5x4xf32> -> tensor<4x5xf32>
  %y = nn.matmul %at, %bt : tensor<3x4xf32>, tensor<4x5xf32> -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

// -----

// A batched operand: perm [0, 2, 1].
// CHECK-LABEL: func.func @transpose_into_matmul_batched(
// CHECK-NEXT: %[[Y:.*]] = nn.matmul %arg0, %arg1 transpose_lhs true : tensor<2x4x3xf32>, tensor<4x5xf32> -> tensor<2x3x5xf32>
// CHECK-NEXT: return %[[Y]]
func.func @transpose_into_matmul_batched(%a: tensor<2x4x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x3x5xf32> {
  %at = nn.transpose %a perm [0, 2, 1] : tensor<2x4x3xf32> -> tensor<2x3x4xf32>
  %y = nn.matmul %at, %b : tensor<2x3x4xf32>, tensor<4x5xf32> -> tensor<2x3x5xf32>
  return %y : tensor<2x3x5xf32>
}

// -----

// A transpose of an already transposed operand clears the flag.
// CHECK-LABEL: func.func @transpose_toggles_flag(
// CHECK-NEXT: %[[Y:.*]] = nn.matmul %arg0, %arg1 : tensor<3x4xf32>, tensor<4x5xf32> -> tensor<3x5xf32>
// CHECK-NEXT: return %[[Y]]
func.func @transpose_toggles_flag(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>) -> tensor<3x5xf32> {
  %at = nn.transpose %a : tensor<3x4xf32> -> tensor<4x3xf32>
  %y = nn.matmul %at, %b transpose_lhs true : tensor<4x3xf32>, tensor<4x5xf32> -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

// -----

// A transpose with other users stays for them.
// CHECK-LABEL: func.func @transpose_kept_for_other_users(
// CHECK-NEXT: %[[T:.*]] = nn.transpose %arg1
// CHECK-NEXT: %[[Y:.*]] = nn.matmul %arg0, %arg1 transpose_rhs true
// CHECK-NEXT: return %[[Y]], %[[T]]
func.func @transpose_kept_for_other_users(%x: tensor<?x64xf32>, %w: tensor<10x64xf32>) -> (tensor<?x10xf32>, tensor<64x10xf32>) {
  %t = nn.transpose %w perm [1, 0] : tensor<10x64xf32> -> tensor<64x10xf32>
  %y = nn.matmul %x, %t : tensor<?x64xf32>, tensor<64x10xf32> -> tensor<?x10xf32>
  return %y, %t : tensor<?x10xf32>, tensor<64x10xf32>
}

// -----

// Not a transpose that moves the batch axes, nor a reversal at rank 3.
// CHECK-LABEL: func.func @transpose_not_last_two(
// CHECK: %[[A:.*]] = nn.transpose %arg0 perm [1, 0, 2]
// CHECK: nn.matmul %[[A]], %arg1 :
// CHECK: %[[C:.*]] = nn.transpose %arg2 :
// CHECK: nn.matmul %[[C]], %arg3 :
func.func @transpose_not_last_two(%a: tensor<3x2x4xf32>, %b: tensor<4x2xf32>, %c: tensor<4x2x3xf32>, %d: tensor<3x4x5xf32>) -> (tensor<2x3x2xf32>, tensor<3x2x5xf32>) {
  %at = nn.transpose %a perm [1, 0, 2] : tensor<3x2x4xf32> -> tensor<2x3x4xf32>
  %y = nn.matmul %at, %b : tensor<2x3x4xf32>, tensor<4x2xf32> -> tensor<2x3x2xf32>
  %ct = nn.transpose %c : tensor<4x2x3xf32> -> tensor<3x2x4xf32>
  %z = nn.matmul %ct, %d : tensor<3x2x4xf32>, tensor<3x4x5xf32> -> tensor<3x2x5xf32>
  return %y, %z : tensor<2x3x2xf32>, tensor<3x2x5xf32>
}

// -----

// log(softmax(x)) is log_softmax(x) along the same axis.
// CHECK-LABEL: func.func @log_softmax(
// CHECK-NEXT: %[[A:.*]] = nn.log_softmax %arg0 : tensor<?x10xf32>
// CHECK-NEXT: %[[B:.*]] = nn.log_softmax %arg1 axis 0 : tensor<4x10xf32>
// CHECK-NEXT: return %[[A]], %[[B]]
func.func @log_softmax(%x: tensor<?x10xf32>, %y: tensor<4x10xf32>) -> (tensor<?x10xf32>, tensor<4x10xf32>) {
  %0 = nn.softmax %x : tensor<?x10xf32>
  %1 = nn.log %0 : tensor<?x10xf32>
  %2 = nn.softmax %y axis 0 : tensor<4x10xf32>
  %3 = nn.log %2 : tensor<4x10xf32>
  return %1, %3 : tensor<?x10xf32>, tensor<4x10xf32>
}

// -----

// Not the log of anything else.
// CHECK-LABEL: func.func @log_not_of_softmax(
// CHECK-NEXT: nn.exp
// CHECK-NEXT: nn.log
func.func @log_not_of_softmax(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %0 = nn.exp %x : tensor<?x10xf32>
  %1 = nn.log %0 : tensor<?x10xf32>
  return %1 : tensor<?x10xf32>
}

// -----

// Two broadcasts are one.
// CHECK-LABEL: func.func @broadcast_chain(
// CHECK-NEXT: %[[B:.*]] = nn.broadcast_to %arg0 shape [3, 2, 4] : tensor<4xf32> -> tensor<3x2x4xf32>
// CHECK-NEXT: return %[[B]]
func.func @broadcast_chain(%x: tensor<4xf32>) -> tensor<3x2x4xf32> {
  %0 = nn.broadcast_to %x shape [2, 4] : tensor<4xf32> -> tensor<2x4xf32>
  %1 = nn.broadcast_to %0 shape [3, 2, 4] : tensor<2x4xf32> -> tensor<3x2x4xf32>
  return %1 : tensor<3x2x4xf32>
}

// -----

// A reshape that only adds leading unit axes before a broadcast is dropped.
// CHECK-LABEL: func.func @unit_reshape_before_broadcast(
// CHECK-NEXT: %[[A:.*]] = nn.broadcast_to %arg0 shape [-1, 4] : tensor<4xf32> -> tensor<?x4xf32>
// CHECK-NEXT: %[[B:.*]] = nn.broadcast_to %arg1 shape [2, 3, 4] : tensor<1x4xf32> -> tensor<2x3x4xf32>
// CHECK-NEXT: return %[[A]], %[[B]]
func.func @unit_reshape_before_broadcast(%x: tensor<4xf32>, %y: tensor<1x4xf32>) -> (tensor<?x4xf32>, tensor<2x3x4xf32>) {
  %0 = nn.reshape %x shape [1, 4] : tensor<4xf32> -> tensor<1x4xf32>
  %1 = nn.broadcast_to %0 shape [-1, 4] : tensor<1x4xf32> -> tensor<?x4xf32>
  %2 = nn.reshape %y shape [1, 1, 4] : tensor<1x4xf32> -> tensor<1x1x4xf32>
  %3 = nn.broadcast_to %2 shape [2, 3, 4] : tensor<1x1x4xf32> -> tensor<2x3x4xf32>
  return %1, %3 : tensor<?x4xf32>, tensor<2x3x4xf32>
}

// -----

// Not one that adds a trailing axis, nor one whose operand has more axes than
// the broadcast result.
// CHECK-LABEL: func.func @reshape_before_broadcast_kept(
// CHECK-NEXT: nn.reshape %arg0 shape [-1, 1]
// CHECK-NEXT: nn.broadcast_to
// CHECK-NEXT: nn.reshape %arg1 shape [4]
// CHECK-NEXT: nn.broadcast_to
func.func @reshape_before_broadcast_kept(%x: tensor<?xf32>, %y: tensor<1x1x4xf32>) -> (tensor<?x10xf32>, tensor<2x4xf32>) {
  %0 = nn.reshape %x shape [-1, 1] : tensor<?xf32> -> tensor<?x1xf32>
  %1 = nn.broadcast_to %0 shape [-1, 10] : tensor<?x1xf32> -> tensor<?x10xf32>
  %2 = nn.reshape %y shape [4] : tensor<1x1x4xf32> -> tensor<4xf32>
  %3 = nn.broadcast_to %2 shape [2, 4] : tensor<4xf32> -> tensor<2x4xf32>
  return %1, %3 : tensor<?x10xf32>, tensor<2x4xf32>
}

// -----

// x * -1, -1 * x and x / -1 are neg(x); integer x * -1 too.
// CHECK-LABEL: func.func @minus_one_to_neg(
// CHECK-NEXT: %[[A:.*]] = nn.neg %arg0 : tensor<?x4xf32>
// CHECK-NEXT: %[[B:.*]] = nn.neg %arg0 : tensor<?x4xf32>
// CHECK-NEXT: %[[C:.*]] = nn.neg %arg0 : tensor<?x4xf32>
// CHECK-NEXT: %[[D:.*]] = nn.neg %arg1 : tensor<3xi32>
// CHECK-NEXT: return %[[A]], %[[B]], %[[C]], %[[D]]
func.func @minus_one_to_neg(%x: tensor<?x4xf32>, %i: tensor<3xi32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<3xi32>) {
  %m = nn.constant dense<-1.0> : tensor<f32>
  %mi = nn.constant dense<-1> : tensor<i32>
  %0 = nn.mul %x, %m : tensor<?x4xf32>, tensor<f32> -> tensor<?x4xf32>
  %1 = nn.mul %m, %x : tensor<f32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %2 = nn.div %x, %m : tensor<?x4xf32>, tensor<f32> -> tensor<?x4xf32>
  %3 = nn.mul %i, %mi : tensor<3xi32>, tensor<i32> -> tensor<3xi32>
  return %0, %1, %2, %3 : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<3xi32>
}

// -----

// Not when -1 broadcasts x to a larger shape, not integer division (minimum
// / -1 is a run-time error), not another constant.
// CHECK-LABEL: func.func @minus_one_kept(
// CHECK: nn.mul %arg0, %{{.*}} : tensor<4xf32>, tensor<2x4xf32>
// CHECK: nn.div %arg1
// CHECK: nn.mul %arg0, %{{.*}} : tensor<4xf32>, tensor<f32>
// CHECK-NOT: nn.neg
func.func @minus_one_kept(%x: tensor<4xf32>, %i: tensor<3xi32>) -> (tensor<2x4xf32>, tensor<3xi32>, tensor<4xf32>) {
  %m = nn.constant dense<-1.0> : tensor<2x4xf32>
  %mi = nn.constant dense<-1> : tensor<i32>
  %two = nn.constant dense<-2.0> : tensor<f32>
  %0 = nn.mul %x, %m : tensor<4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %1 = nn.div %i, %mi : tensor<3xi32>, tensor<i32> -> tensor<3xi32>
  %2 = nn.mul %x, %two : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  return %0, %1, %2 : tensor<2x4xf32>, tensor<3xi32>, tensor<4xf32>
}

// -----

// x + neg(y), neg(y) + x and x - neg(y) are x - y, x - y and x + y.
// CHECK-LABEL: func.func @add_of_neg(
// CHECK-NEXT: %[[A:.*]] = nn.sub %arg0, %arg1 : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
// CHECK-NEXT: %[[B:.*]] = nn.sub %arg0, %arg1
// CHECK-NEXT: %[[C:.*]] = nn.add %arg0, %arg1
// CHECK-NEXT: return %[[A]], %[[B]], %[[C]]
func.func @add_of_neg(%x: tensor<?x4xf32>, %y: tensor<4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %n = nn.neg %y : tensor<4xf32>
  %0 = nn.add %x, %n : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %1 = nn.add %n, %x : tensor<4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %2 = nn.sub %x, %n : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  return %0, %1, %2 : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// binary_cross_entropy of a sigmoid becomes the cross-entropy from logits.
// CHECK-LABEL: func.func @bce_of_sigmoid
// CHECK-SAME: (%[[Z:.*]]: tensor<4x1xf32>, %[[T:.*]]: tensor<4x1xf32>)
// CHECK-NOT: nn.sigmoid
// CHECK-NOT: nn.binary_cross_entropy
// CHECK-NOT: nn.abs
// CHECK-DAG: %[[POS:.*]] = nn.relu %[[Z]]
// CHECK-DAG: nn.mul %[[Z]], %[[T]]
// CHECK-DAG: %[[HALF:.*]] = nn.sub %[[Z]], %[[POS]]
// CHECK-DAG: nn.sub %[[HALF]], %[[POS]]
// CHECK: nn.exp
// CHECK: nn.log
// CHECK: %[[MEAN:.*]] = nn.reduce_mean
// CHECK: return %[[MEAN]]
func.func @bce_of_sigmoid(%z: tensor<4x1xf32>, %t: tensor<4x1xf32>) -> tensor<f32> {
  %p = nn.sigmoid %z : tensor<4x1xf32>
  %l = nn.binary_cross_entropy %p, %t : tensor<4x1xf32>, tensor<4x1xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Not when the probabilities come from elsewhere.
// CHECK-LABEL: func.func @bce_kept
// CHECK: nn.binary_cross_entropy
func.func @bce_kept(%p: tensor<4x1xf32>) -> tensor<f32> {
  %a = nn.binary_cross_entropy %p, %p : tensor<4x1xf32>, tensor<4x1xf32> -> tensor<f32>
  return %a : tensor<f32>
}

// -----

// A target that broadcasts to the logits' shape is fine.
// CHECK-LABEL: func.func @bce_broadcast_target
// CHECK-NOT: nn.binary_cross_entropy
// CHECK: nn.reduce_mean
func.func @bce_broadcast_target(%z: tensor<4x1xf32>, %t: tensor<1xf32>) -> tensor<f32> {
  %s = nn.sigmoid %z : tensor<4x1xf32>
  %b = nn.binary_cross_entropy %s, %t : tensor<4x1xf32>, tensor<1xf32> -> tensor<f32>
  return %b : tensor<f32>
}
