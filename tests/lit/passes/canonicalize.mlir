// RUN: nnc-opt %s -canonicalize -split-input-file | FileCheck %s
// The folders and canonicalisation patterns of ir/NNCanonicalize.cpp, and
// negative cases where they must not fire.

// Elementwise ops on constants fold: splats to a splat.
// CHECK-LABEL: func.func @fold_add_splat(
// CHECK-NEXT: %[[C:.*]] = nn.constant dense<5.000000e+00> : tensor<4xf32>
// CHECK-NEXT: return %[[C]]
func.func @fold_add_splat() -> tensor<4xf32> {
  %a = nn.constant dense<2.0> : tensor<4xf32>
  %b = nn.constant dense<3.0> : tensor<f32>
  %0 = nn.add %a, %b : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Small dense constants fold element by element, with broadcasting.
// CHECK-LABEL: func.func @fold_sub_dense_broadcast(
// CHECK-NEXT: nn.constant dense<{{\[}}[-9.000000e+00, -8.000000e+00], [-1.900000e+01, -1.800000e+01]]> : tensor<2x2xf32>
// CHECK-NEXT: return
func.func @fold_sub_dense_broadcast() -> tensor<2x2xf32> {
  %a = nn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %b = nn.constant dense<[[10.0], [20.0]]> : tensor<2x1xf32>
  %0 = nn.sub %a, %b : tensor<2xf32>, tensor<2x1xf32> -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

// Integers fold with wrapping arithmetic.
// CHECK-LABEL: func.func @fold_int_mul(
// CHECK-NEXT: nn.constant dense<[8, -12]> : tensor<2xi32>
// CHECK-NEXT: return
func.func @fold_int_mul() -> tensor<2xi32> {
  %a = nn.constant dense<[2, -3]> : tensor<2xi32>
  %b = nn.constant dense<4> : tensor<i32>
  %0 = nn.mul %a, %b : tensor<2xi32>, tensor<i32> -> tensor<2xi32>
  return %0 : tensor<2xi32>
}

// -----

// div and pow fold in floats.
// CHECK-LABEL: func.func @fold_div_pow(
// CHECK-DAG: nn.constant dense<2.500000e-01> : tensor<f64>
// CHECK-DAG: nn.constant dense<2.000000e+00> : tensor<f64>
// CHECK-NOT: nn.div
// CHECK-NOT: nn.pow
func.func @fold_div_pow() -> (tensor<f64>, tensor<f64>) {
  %a = nn.constant dense<1.0> : tensor<f64>
  %b = nn.constant dense<4.0> : tensor<f64>
  %c = nn.constant dense<0.5> : tensor<f64>
  %0 = nn.div %a, %b : tensor<f64>, tensor<f64> -> tensor<f64>
  %1 = nn.pow %b, %c : tensor<f64>, tensor<f64> -> tensor<f64>
  return %0, %1 : tensor<f64>, tensor<f64>
}

// -----

// Integer division is left to run time, which reports division by zero.
// CHECK-LABEL: func.func @no_fold_int_div(
// CHECK: nn.div
func.func @no_fold_int_div() -> tensor<i32> {
  %a = nn.constant dense<7> : tensor<i32>
  %b = nn.constant dense<0> : tensor<i32>
  %0 = nn.div %a, %b : tensor<i32>, tensor<i32> -> tensor<i32>
  return %0 : tensor<i32>
}

// -----

// Unary maps fold as the ref kernels compute them (in double, rounded).
// CHECK-LABEL: func.func @fold_unary(
// CHECK-DAG: %[[NEG:.*]] = nn.constant dense<[1.000000e+00, -4.000000e+00]>
// CHECK-DAG: %[[ABS:.*]] = nn.constant dense<[1.000000e+00, 4.000000e+00]>
// CHECK-DAG: %[[RELU:.*]] = nn.constant dense<[0.000000e+00, 4.000000e+00]>
// CHECK-DAG: %[[SQRT:.*]] = nn.constant dense<[0.000000e+00, 1.000000e+00]>
// CHECK-DAG: %[[EXP:.*]] = nn.constant dense<[1.000000e+00, 2.71828175]>
// CHECK-DAG: %[[LOG:.*]] = nn.constant dense<[0xFF800000, 0.000000e+00]>
// CHECK-DAG: %[[SIG:.*]] = nn.constant dense<[5.000000e-01, 0.731058597]>
// CHECK-DAG: %[[IABS:.*]] = nn.constant dense<[5, 6]> : tensor<2xi64>
// CHECK-DAG: %[[TANH:.*]] = nn.constant dense<[0.000000e+00, 0.761594176]>
// CHECK: return %[[NEG]], %[[ABS]], %[[RELU]], %[[SQRT]], %[[EXP]], %[[LOG]], %[[SIG]], %[[IABS]], %[[TANH]] :
func.func @fold_unary() -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xi64>, tensor<2xf32>) {
  %x = nn.constant dense<[-1.0, 4.0]> : tensor<2xf32>
  %z = nn.constant dense<[0.0, 1.0]> : tensor<2xf32>
  %i = nn.constant dense<[-5, 6]> : tensor<2xi64>
  %0 = nn.neg %x : tensor<2xf32>
  %1 = nn.abs %x : tensor<2xf32>
  %2 = nn.relu %x : tensor<2xf32>
  %3 = nn.sqrt %z : tensor<2xf32>
  %4 = nn.exp %z : tensor<2xf32>
  %5 = nn.log %z : tensor<2xf32>
  %6 = nn.sigmoid %z : tensor<2xf32>
  %7 = nn.abs %i : tensor<2xi64>
  %8 = nn.tanh %z : tensor<2xf32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8 : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xi64>, tensor<2xf32>
}

// -----

// A constant too large to fold that is not a splat stays (a splat would fold).
// CHECK-LABEL: func.func @no_fold_large_dense(
// CHECK: nn.add %arg0
func.func @no_fold_large_dense(%arg0: tensor<2048xf32>) -> tensor<2048xf32> {
  %c = nn.constant dense<2.0> : tensor<2048xf32>
  %r = nn.reshape %c shape [2048] : tensor<2048xf32> -> tensor<2048xf32>
  %0 = nn.add %arg0, %c : tensor<2048xf32>, tensor<2048xf32> -> tensor<2048xf32>
  return %0 : tensor<2048xf32>
}

// -----

// x + 0 (either side, either sign), x - 0, x * 1 (either side), x / 1 and
// pow(x, 1) are x when no broadcasting changes its type.
// CHECK-LABEL: func.func @identities(
// CHECK-NEXT: return %arg0, %arg0, %arg0, %arg0, %arg0, %arg0, %arg0 :
func.func @identities(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %zero = nn.constant dense<0.0> : tensor<f32>
  %negzero = nn.constant dense<-0.0> : tensor<4xf32>
  %one = nn.constant dense<1.0> : tensor<4xf32>
  %0 = nn.add %x, %zero : tensor<?x4xf32>, tensor<f32> -> tensor<?x4xf32>
  %1 = nn.add %negzero, %x : tensor<4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %2 = nn.sub %x, %zero : tensor<?x4xf32>, tensor<f32> -> tensor<?x4xf32>
  %3 = nn.mul %x, %one : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %4 = nn.mul %one, %x : tensor<4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %5 = nn.div %x, %one : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %6 = nn.pow %x, %one : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// The same on integers.
// CHECK-LABEL: func.func @int_identities(
// CHECK-NEXT: return %arg0, %arg0 :
func.func @int_identities(%x: tensor<3xi64>) -> (tensor<3xi64>, tensor<3xi64>) {
  %zero = nn.constant dense<0> : tensor<i64>
  %one = nn.constant dense<1> : tensor<i64>
  %0 = nn.add %x, %zero : tensor<3xi64>, tensor<i64> -> tensor<3xi64>
  %1 = nn.mul %x, %one : tensor<3xi64>, tensor<i64> -> tensor<3xi64>
  return %0, %1 : tensor<3xi64>, tensor<3xi64>
}

// -----

// Not when the constant broadcasts x to a larger shape.
// CHECK-LABEL: func.func @identities_that_broadcast(
// CHECK: nn.add %arg0
// CHECK: nn.mul %arg0
// CHECK: nn.div %arg0
func.func @identities_that_broadcast(%x: tensor<4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %zero = nn.constant dense<0.0> : tensor<2x4xf32>
  %one = nn.constant dense<1.0> : tensor<2x1xf32>
  %0 = nn.add %x, %zero : tensor<4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %1 = nn.mul %x, %one : tensor<4xf32>, tensor<2x1xf32> -> tensor<2x4xf32>
  %2 = nn.div %x, %one : tensor<4xf32>, tensor<2x1xf32> -> tensor<2x4xf32>
  return %0, %1, %2 : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// Rewrites that NaN, infinities or signed zeros forbid are not applied:
// 0 - x, x * 0, pow(x, 0), 1 / x, x - x.
// CHECK-LABEL: func.func @not_identities(
// CHECK: nn.sub %{{.*}}, %arg0
// CHECK: nn.mul %arg0
// CHECK: nn.pow %arg0
// CHECK: nn.div %{{.*}}, %arg0
// CHECK: nn.sub %arg0, %arg0
func.func @not_identities(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %zero = nn.constant dense<0.0> : tensor<4xf32>
  %one = nn.constant dense<1.0> : tensor<4xf32>
  %0 = nn.sub %zero, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %1 = nn.mul %x, %zero : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %2 = nn.pow %x, %zero : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %3 = nn.div %one, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %4 = nn.sub %x, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %0, %1, %2, %3, %4 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// neg(neg(x)) is x; a third neg stays.
// CHECK-LABEL: func.func @neg_neg(
// CHECK-NEXT: %[[N:.*]] = nn.neg %arg0
// CHECK-NEXT: return %arg0, %[[N]] :
func.func @neg_neg(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %0 = nn.neg %x : tensor<?x4xf32>
  %1 = nn.neg %0 : tensor<?x4xf32>
  %2 = nn.neg %1 : tensor<?x4xf32>
  return %1, %2 : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// reshape(reshape(x)) is one reshape.
// CHECK-LABEL: func.func @reshape_chain(
// CHECK-NEXT: %[[R:.*]] = nn.reshape %arg0 shape [-1, 4, 16] : tensor<?x8x8xf32> -> tensor<?x4x16xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_chain(%x: tensor<?x8x8xf32>) -> tensor<?x4x16xf32> {
  %0 = nn.reshape %x shape [-1, 64] : tensor<?x8x8xf32> -> tensor<?x64xf32>
  %1 = nn.reshape %0 shape [-1, 4, 16] : tensor<?x64xf32> -> tensor<?x4x16xf32>
  return %1 : tensor<?x4x16xf32>
}

// -----

// A reshape chain back to x's shape is x.
// CHECK-LABEL: func.func @reshape_chain_round_trip(
// CHECK-NEXT: return %arg0
func.func @reshape_chain_round_trip(%x: tensor<?x8x8xf32>) -> tensor<?x8x8xf32> {
  %0 = nn.reshape %x shape [-1, 64] : tensor<?x8x8xf32> -> tensor<?x64xf32>
  %1 = nn.reshape %0 shape [-1, 8, 8] : tensor<?x64xf32> -> tensor<?x8x8xf32>
  return %1 : tensor<?x8x8xf32>
}

// -----

// A reshape to x's own shape is x.
// CHECK-LABEL: func.func @reshape_same_shape(
// CHECK-NEXT: return %arg0
func.func @reshape_same_shape(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %0 = nn.reshape %x shape [-1, 64] : tensor<?x64xf32> -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// A reshaped constant is a constant.
// CHECK-LABEL: func.func @reshape_constant(
// CHECK-NEXT: nn.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// CHECK-NEXT: return
func.func @reshape_constant() -> tensor<2x2xf32> {
  %c = nn.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %0 = nn.reshape %c shape [2, 2] : tensor<4xf32> -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

// transpose(transpose(x)) composes the permutations: x when they cancel.
// CHECK-LABEL: func.func @transpose_chain_identity(
// CHECK-NEXT: return %arg0
func.func @transpose_chain_identity(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = nn.transpose %x perm [1, 2, 0] : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  %1 = nn.transpose %0 perm [2, 0, 1] : tensor<3x4x2xf32> -> tensor<2x3x4xf32>
  return %1 : tensor<2x3x4xf32>
}

// -----

// Otherwise one transpose.
// CHECK-LABEL: func.func @transpose_chain(
// CHECK-NEXT: %[[T:.*]] = nn.transpose %arg0 perm [2, 1, 0] : tensor<2x3x4xf32> -> tensor<4x3x2xf32>
// CHECK-NEXT: return %[[T]]
func.func @transpose_chain(%x: tensor<2x3x4xf32>) -> tensor<4x3x2xf32> {
  %0 = nn.transpose %x perm [0, 2, 1] : tensor<2x3x4xf32> -> tensor<2x4x3xf32>
  %1 = nn.transpose %0 perm [1, 2, 0] : tensor<2x4x3xf32> -> tensor<4x3x2xf32>
  return %1 : tensor<4x3x2xf32>
}

// -----

// Two default (reversing) permutations cancel.
// CHECK-LABEL: func.func @transpose_reversed_twice(
// CHECK-NEXT: return %arg0
func.func @transpose_reversed_twice(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %0 = nn.transpose %x : tensor<3x4xf32> -> tensor<4x3xf32>
  %1 = nn.transpose %0 : tensor<4x3xf32> -> tensor<3x4xf32>
  return %1 : tensor<3x4xf32>
}

// -----

// The identity permutation is x; a splat transposes to a splat.
// CHECK-LABEL: func.func @transpose_identity(
// CHECK-NEXT: %[[C:.*]] = nn.constant dense<5.000000e+00> : tensor<4x3xf32>
// CHECK-NEXT: return %arg0, %[[C]] :
func.func @transpose_identity(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<4x3xf32>) {
  %c = nn.constant dense<5.0> : tensor<3x4xf32>
  %0 = nn.transpose %x perm [0, 1] : tensor<?x4xf32> -> tensor<?x4xf32>
  %1 = nn.transpose %c : tensor<3x4xf32> -> tensor<4x3xf32>
  return %0, %1 : tensor<?x4xf32>, tensor<4x3xf32>
}

// -----

// broadcast_to of x's own shape is x, a splat broadcasts to a splat, and a
// broadcast that changes the shape stays.
// CHECK-LABEL: func.func @broadcast_to(
// CHECK-DAG: %[[C:.*]] = nn.constant dense<1.500000e+00> : tensor<2x4xf32>
// CHECK-DAG: %[[B:.*]] = nn.broadcast_to %arg1 shape [-1, 4] : tensor<4xf32> -> tensor<?x4xf32>
// CHECK: return %arg0, %[[B]], %[[C]] :
func.func @broadcast_to(%x: tensor<?x4xf32>, %y: tensor<4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<2x4xf32>) {
  %c = nn.constant dense<1.5> : tensor<4xf32>
  %0 = nn.broadcast_to %x shape [-1, 4] : tensor<?x4xf32> -> tensor<?x4xf32>
  %1 = nn.broadcast_to %y shape [-1, 4] : tensor<4xf32> -> tensor<?x4xf32>
  %2 = nn.broadcast_to %c shape [2, 4] : tensor<4xf32> -> tensor<2x4xf32>
  return %0, %1, %2 : tensor<?x4xf32>, tensor<?x4xf32>, tensor<2x4xf32>
}

// -----

// A reduction that reduces nothing away (keepdims over extent-1 axes, or a
// rank-0 operand) is x. (An empty `axes` means every axis, so "no axes" is
// these cases.)
// CHECK-LABEL: func.func @reduce_nothing(
// CHECK-NEXT: return %arg0, %arg0, %arg0, %arg1 :
func.func @reduce_nothing(%x: tensor<?x1x4xf32>, %s: tensor<f32>) -> (tensor<?x1x4xf32>, tensor<?x1x4xf32>, tensor<?x1x4xf32>, tensor<f32>) {
  %0 = nn.reduce_sum %x axes [1] keepdims true : tensor<?x1x4xf32> -> tensor<?x1x4xf32>
  %1 = nn.reduce_mean %x axes [-2] keepdims true : tensor<?x1x4xf32> -> tensor<?x1x4xf32>
  %2 = nn.reduce_max %x axes [1] keepdims true : tensor<?x1x4xf32> -> tensor<?x1x4xf32>
  %3 = nn.reduce_sum %s : tensor<f32> -> tensor<f32>
  return %0, %1, %2, %3 : tensor<?x1x4xf32>, tensor<?x1x4xf32>, tensor<?x1x4xf32>, tensor<f32>
}

// -----

// Dropping extent-1 axes is a reshape.
// CHECK-LABEL: func.func @reduce_unit_axes_to_reshape(
// CHECK-NEXT: %[[A:.*]] = nn.reshape %arg0 shape [-1, 4] : tensor<?x1x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT: %[[B:.*]] = nn.reshape %arg1 shape [] : tensor<1x1xf32> -> tensor<f32>
// CHECK-NEXT: return %[[A]], %[[B]] :
func.func @reduce_unit_axes_to_reshape(%x: tensor<?x1x4xf32>, %y: tensor<1x1xf32>) -> (tensor<?x4xf32>, tensor<f32>) {
  %0 = nn.reduce_mean %x axes [1] : tensor<?x1x4xf32> -> tensor<?x4xf32>
  %1 = nn.reduce_sum %y : tensor<1x1xf32> -> tensor<f32>
  return %0, %1 : tensor<?x4xf32>, tensor<f32>
}

// -----

// Reductions over the batch or an extent above 1 stay.
// CHECK-LABEL: func.func @reduce_that_reduces(
// CHECK: nn.reduce_sum %arg0 axes [0] keepdims true
// CHECK: nn.reduce_max %arg0 axes [2] keepdims true
// CHECK: nn.reduce_sum %arg0 axes [2] :
func.func @reduce_that_reduces(%x: tensor<?x1x4xf32>) -> (tensor<1x1x4xf32>, tensor<?x1x1xf32>, tensor<?x1xf32>) {
  %0 = nn.reduce_sum %x axes [0] keepdims true : tensor<?x1x4xf32> -> tensor<1x1x4xf32>
  %1 = nn.reduce_max %x axes [2] keepdims true : tensor<?x1x4xf32> -> tensor<?x1x1xf32>
  %2 = nn.reduce_sum %x axes [2] : tensor<?x1x4xf32> -> tensor<?x1xf32>
  return %0, %1, %2 : tensor<1x1x4xf32>, tensor<?x1x1xf32>, tensor<?x1xf32>
}

// -----

// A slice covering every element is x; a strided one stays.
// CHECK-LABEL: func.func @slice_everything(
// CHECK-NEXT: %[[S:.*]] = nn.slice %arg0 axes [1] starts [0] ends [10] steps [2]
// CHECK-NEXT: return %arg0, %[[S]] :
func.func @slice_everything(%x: tensor<?x10xf32>) -> (tensor<?x10xf32>, tensor<?x5xf32>) {
  %0 = nn.slice %x axes [1] starts [0] ends [10] : tensor<?x10xf32> -> tensor<?x10xf32>
  %1 = nn.slice %x axes [1] starts [0] ends [10] steps [2] : tensor<?x10xf32> -> tensor<?x5xf32>
  return %0, %1 : tensor<?x10xf32>, tensor<?x5xf32>
}

// -----

// Unused ops, backward work nobody reads included, are erased.
// CHECK-LABEL: func.func @dead_backward_work(
// CHECK-NEXT: %[[Y:.*]] = nn.matmul %arg0, %arg1 :
// CHECK-NEXT: return %[[Y]]
func.func @dead_backward_work(%x: tensor<?x4xf32>, %w: tensor<4x2xf32>) -> tensor<?x2xf32> {
  %y = nn.matmul %x, %w : tensor<?x4xf32>, tensor<4x2xf32> -> tensor<?x2xf32>
  %dy = nn.relu %y : tensor<?x2xf32>
  %dw = nn.matmul %x, %dy transpose_lhs true : tensor<?x4xf32>, tensor<?x2xf32> -> tensor<4x2xf32>
  %dx = nn.matmul %dy, %w transpose_rhs true : tensor<?x2xf32>, tensor<4x2xf32> -> tensor<?x4xf32>
  return %y : tensor<?x2xf32>
}
