// RUN: nnc-opt %s -split-input-file --nn-autodiff | FileCheck %s
// Gradient rules of the elementwise ops: broadcasting undone by
// reduce_sum (+ reshape) to each operand's shape, unary maps through their
// result or their backward op.

// CHECK-LABEL: func.func @grad
// CHECK: %[[DY:.*]] = nn.broadcast_to %{{.*}} shape [-1, 10] : tensor<1x1xf32> -> tensor<?x10xf32>
// CHECK: %[[DB:.*]] = nn.reduce_sum %[[DY]] axes [0] : tensor<?x10xf32> -> tensor<10xf32>
// CHECK: return %{{.*}}, %[[DB]]
func.func @forward(%x: tensor<?x10xf32> {nn.name = "x", nn.role = "input"},
                   %b: tensor<10xf32> {nn.name = "b", nn.role = "param"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.add %x, %b : tensor<?x10xf32>, tensor<10xf32> -> tensor<?x10xf32>
  %1 = nn.reduce_sum %0 : tensor<?x10xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// A [4, 1] operand keeps its stretched axis; the subtrahend is negated after
// the reduction; a rank-0 operand sums everything.
// CHECK-LABEL: func.func @grad
// CHECK: %[[DY:.*]] = nn.broadcast_to %{{.*}} shape [4, 10] : tensor<1x1xf32> -> tensor<4x10xf32>
// CHECK-DAG: %[[DD:.*]] = nn.reduce_sum %[[DY]] axes [1] keepdims true : tensor<4x10xf32> -> tensor<4x1xf32>
// CHECK-DAG: %[[NEG:.*]] = nn.neg %[[DD]] : tensor<4x1xf32>
// CHECK-DAG: %[[DC:.*]] = nn.reduce_sum %[[DY]] axes [0, 1] : tensor<4x10xf32> -> tensor<f32>
// CHECK: return %{{.*}}, %[[DC]], %[[NEG]]
func.func @forward(%x: tensor<4x10xf32> {nn.name = "x", nn.role = "input"},
                   %c: tensor<f32> {nn.name = "c", nn.role = "param"},
                   %d: tensor<4x1xf32> {nn.name = "d", nn.role = "param"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.add %x, %c : tensor<4x10xf32>, tensor<f32> -> tensor<4x10xf32>
  %1 = nn.sub %0, %d : tensor<4x10xf32>, tensor<4x1xf32> -> tensor<4x10xf32>
  %2 = nn.reduce_sum %1 : tensor<4x10xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// mul: each operand's gradient is dy times the other operand; a [3, 1, 10]
// operand of a [3, 2, 10] result sums axis 1 with keepdims, a [2, 10] one
// drops the leading axis.
// CHECK-LABEL: func.func @grad
// CHECK: %[[DY:.*]] = nn.broadcast_to %{{.*}} shape [3, 2, 10]
// CHECK-DAG: %[[GA:.*]] = nn.mul %[[DY]], %arg1 : tensor<3x2x10xf64>, tensor<2x10xf64> -> tensor<3x2x10xf64>
// CHECK-DAG: %[[GB:.*]] = nn.mul %[[DY]], %arg0 : tensor<3x2x10xf64>, tensor<3x1x10xf64> -> tensor<3x2x10xf64>
// CHECK-DAG: %[[DA:.*]] = nn.reduce_sum %[[GA]] axes [1] keepdims true : tensor<3x2x10xf64> -> tensor<3x1x10xf64>
// CHECK-DAG: %[[DB:.*]] = nn.reduce_sum %[[GB]] axes [0] : tensor<3x2x10xf64> -> tensor<2x10xf64>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]]
func.func @forward(%a: tensor<3x1x10xf64> {nn.name = "a", nn.role = "param"},
                   %b: tensor<2x10xf64> {nn.name = "b", nn.role = "param"})
    -> (tensor<f64> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.mul %a, %b : tensor<3x1x10xf64>, tensor<2x10xf64> -> tensor<3x2x10xf64>
  %1 = nn.reduce_sum %0 : tensor<3x2x10xf64> -> tensor<f64>
  return %1 : tensor<f64>
}

// -----

// div: d/da = dy / b and d/db = -(dy / b) * (a / b). With leading axes to
// drop after a keepdims reduction, a reshape follows.
// CHECK-LABEL: func.func @grad
// CHECK: %[[Y:.*]] = nn.div %arg0, %arg1 : tensor<2x3xf32>, tensor<4x1x3xf32> -> tensor<4x2x3xf32>
// CHECK: %[[T:.*]] = nn.div %[[DY:.*]], %arg1 : tensor<4x2x3xf32>, tensor<4x1x3xf32> -> tensor<4x2x3xf32>
// CHECK: %[[M:.*]] = nn.mul %[[T]], %[[Y]]
// CHECK: %[[N:.*]] = nn.neg %[[M]] : tensor<4x2x3xf32>
// CHECK: %[[DA:.*]] = nn.reduce_sum %[[T]] axes [0] : tensor<4x2x3xf32> -> tensor<2x3xf32>
// CHECK: %[[DB:.*]] = nn.reduce_sum %[[N]] axes [1] keepdims true : tensor<4x2x3xf32> -> tensor<4x1x3xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]]
func.func @forward(%a: tensor<2x3xf32> {nn.name = "a", nn.role = "param"},
                   %b: tensor<4x1x3xf32> {nn.name = "b", nn.role = "param"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.div %a, %b : tensor<2x3xf32>, tensor<4x1x3xf32> -> tensor<4x2x3xf32>
  %1 = nn.reduce_sum %0 : tensor<4x2x3xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// A stretched axis and a leading axis together: keepdims, then a reshape.
// CHECK-LABEL: func.func @grad
// CHECK: %[[S:.*]] = nn.reduce_sum %{{.*}} axes [0, 2] keepdims true : tensor<5x3x4xf32> -> tensor<1x3x1xf32>
// CHECK: %[[R:.*]] = nn.reshape %[[S]] shape [3, 1] : tensor<1x3x1xf32> -> tensor<3x1xf32>
// CHECK: return %{{.*}}, %[[R]]
func.func @forward(%x: tensor<5x3x4xf32> {nn.name = "x", nn.role = "input"},
                   %w: tensor<3x1xf32> {nn.name = "w", nn.role = "param"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.add %x, %w : tensor<5x3x4xf32>, tensor<3x1xf32> -> tensor<5x3x4xf32>
  %1 = nn.reduce_sum %0 : tensor<5x3x4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// pow: d/da = dy * b * a^(b - 1), 0 where b = 0; d/db = dy * a^b * log(a),
// 0 where a = 0 and b >= 0 (PyTorch's masks, where the formulas give NaN).
// CHECK-LABEL: func.func @grad
// CHECK: %[[Y:.*]] = nn.pow %arg0, %arg1 : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
// CHECK: nn.broadcast_to
// CHECK: %[[ONE:.*]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[ZERO:.*]] = nn.constant dense<0.000000e+00> : tensor<f32>
// CHECK: %[[BM1:.*]] = nn.sub %arg1, %[[ONE]] : tensor<f32>, tensor<f32> -> tensor<f32>
// CHECK: %[[P:.*]] = nn.pow %arg0, %[[BM1]]
// CHECK: %[[B0:.*]] = nn.equal %arg1, %[[ZERO]]
// CHECK: %[[BP:.*]] = nn.mul %arg1, %[[P]]
// CHECK: %[[BYA:.*]] = nn.where %[[B0]], %[[ZERO]], %[[BP]]
// CHECK: %[[DA:.*]] = nn.mul %[[DY:.*]], %[[BYA]]
// CHECK: %[[LOG:.*]] = nn.log %arg0 : tensor<4xf32>
// CHECK: %[[YL:.*]] = nn.mul %[[Y]], %[[LOG]]
// CHECK: %[[A0:.*]] = nn.equal %arg0, %[[ZERO]]
// CHECK: %[[BNN:.*]] = nn.greater_equal %arg1, %[[ZERO]]
// CHECK: %[[INNER:.*]] = nn.where %[[BNN]], %[[ZERO]], %[[YL]]
// CHECK: %[[BYB:.*]] = nn.where %[[A0]], %[[INNER]], %[[YL]]
// CHECK: %[[GB:.*]] = nn.mul %[[DY]], %[[BYB]]
// CHECK: %[[DB:.*]] = nn.reduce_sum %[[GB]] axes [0] : tensor<4xf32> -> tensor<f32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]]
func.func @forward(%a: tensor<4xf32> {nn.name = "a", nn.role = "param"},
                   %b: tensor<f32> {nn.name = "b", nn.role = "param"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.pow %a, %b : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  %1 = nn.reduce_sum %0 : tensor<4xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// neg, abs (through sign), exp (dy * y), log (dy / x), sqrt (dy / (2 y)),
// in reverse program order.
// CHECK-LABEL: func.func @grad
// CHECK: %[[NEG:.*]] = nn.neg %arg0 : tensor<8xf32>
// CHECK: %[[ABS:.*]] = nn.abs %[[NEG]] : tensor<8xf32>
// CHECK: %[[EXP:.*]] = nn.exp %[[ABS]] : tensor<8xf32>
// CHECK: %[[LOG:.*]] = nn.log %[[EXP]] : tensor<8xf32>
// CHECK: %[[SQRT:.*]] = nn.sqrt %[[LOG]] : tensor<8xf32>
// CHECK: %[[TWO:.*]] = nn.constant dense<2.000000e+00> : tensor<f32>
// CHECK: %[[TWOY:.*]] = nn.mul %[[SQRT]], %[[TWO]]
// CHECK: %[[D4:.*]] = nn.div %[[DY:.*]], %[[TWOY]]
// CHECK: %[[D3:.*]] = nn.div %[[D4]], %[[EXP]]
// CHECK: %[[D2:.*]] = nn.mul %[[D3]], %[[EXP]]
// CHECK: %[[SIGN:.*]] = nn.sign %[[NEG]] : tensor<8xf32>
// CHECK: %[[D1:.*]] = nn.mul %[[D2]], %[[SIGN]]
// CHECK: %[[D0:.*]] = nn.neg %[[D1]] : tensor<8xf32>
// CHECK: return %{{.*}}, %[[D0]]
func.func @forward(%w: tensor<8xf32> {nn.name = "w", nn.role = "param"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.neg %w : tensor<8xf32>
  %1 = nn.abs %0 : tensor<8xf32>
  %2 = nn.exp %1 : tensor<8xf32>
  %3 = nn.log %2 : tensor<8xf32>
  %4 = nn.sqrt %3 : tensor<8xf32>
  %5 = nn.reduce_sum %4 : tensor<8xf32> -> tensor<f32>
  return %5 : tensor<f32>
}

// -----

// sigmoid: dy * y * (1 - y); tanh: dy * (1 - y^2); f64 constants for f64.
// CHECK-LABEL: func.func @grad
// CHECK: %[[S:.*]] = nn.sigmoid %arg0 : tensor<2x3xf64>
// CHECK: %[[T:.*]] = nn.tanh %[[S]] : tensor<2x3xf64>
// CHECK: nn.broadcast_to
// CHECK: %[[ONE:.*]] = nn.constant dense<1.000000e+00> : tensor<f64>
// CHECK: %[[TT:.*]] = nn.mul %[[T]], %[[T]]
// CHECK: %[[TS:.*]] = nn.sub %[[ONE]], %[[TT]]
// CHECK: %[[DT:.*]] = nn.mul %[[DY:.*]], %[[TS]]
// CHECK: %[[ONE2:.*]] = nn.constant dense<1.000000e+00> : tensor<f64>
// CHECK: %[[OMS:.*]] = nn.sub %[[ONE2]], %[[S]]
// CHECK: %[[SL:.*]] = nn.mul %[[S]], %[[OMS]]
// CHECK: %[[DS:.*]] = nn.mul %[[DT]], %[[SL]]
// CHECK: return %{{.*}}, %[[DS]]
func.func @forward(%w: tensor<2x3xf64> {nn.name = "w", nn.role = "param"})
    -> (tensor<f64> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.sigmoid %w : tensor<2x3xf64>
  %1 = nn.tanh %0 : tensor<2x3xf64>
  %2 = nn.reduce_sum %1 : tensor<2x3xf64> -> tensor<f64>
  return %2 : tensor<f64>
}

// -----

// relu, leaky_relu (its alpha kept) and gelu through their backward ops,
// which read the forward input.
// CHECK-LABEL: func.func @grad
// CHECK: %[[R:.*]] = nn.relu %arg0 : tensor<4x16xf32>
// CHECK: %[[L:.*]] = nn.leaky_relu %[[R]] alpha 2.000000e-01 : tensor<4x16xf32>
// CHECK: nn.gelu %[[L]] : tensor<4x16xf32>
// CHECK: %[[DG:.*]] = nn.gelu_grad %[[L]], %{{.*}} : tensor<4x16xf32>
// CHECK: %[[DL:.*]] = nn.leaky_relu_grad %[[R]], %[[DG]] alpha 2.000000e-01 : tensor<4x16xf32>
// CHECK: %[[DR:.*]] = nn.relu_grad %arg0, %[[DL]] : tensor<4x16xf32>
// CHECK: return %{{.*}}, %[[DR]]
func.func @forward(%w: tensor<4x16xf32> {nn.name = "w", nn.role = "param"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.relu %w : tensor<4x16xf32>
  %1 = nn.leaky_relu %0 alpha 2.000000e-01 : tensor<4x16xf32>
  %2 = nn.gelu %1 : tensor<4x16xf32>
  %3 = nn.reduce_sum %2 : tensor<4x16xf32> -> tensor<f32>
  return %3 : tensor<f32>
}

