// RUN: nnc-opt %s -split-input-file --nn-fuse | FileCheck %s
// RUN: nnc-opt %s -split-input-file --nn-fuse=fuse-contractions=false | FileCheck %s --check-prefix=NOCONTRACT
// RUN: nnc-opt %s -split-input-file --nn-fuse=fuse-reductions=false | FileCheck %s --check-prefix=NOREDUCE
// RUN: nnc-opt %s -split-input-file --nn-fuse=max-group-size=2 | FileCheck %s --check-prefix=SMALL
// One test per rule of passes/FusionCostModel.h, then one per case the
// rules refuse.

// An elementwise chain becomes one group with one result; the scalar
// constant is cloned into it and the original goes away.
// CHECK-LABEL: func.func @elementwise_chain
// CHECK-NOT: nn.constant
// CHECK: %[[G:.*]] = nn.fusion(%arg0) : (tensor<4x8xf32>) -> tensor<4x8xf32> {
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<4x8xf32>):
// CHECK-NEXT: %[[C:.*]] = nn.constant
// CHECK-NEXT: %[[E:.*]] = nn.exp %[[A]]
// CHECK-NEXT: %[[M:.*]] = nn.mul %[[E]], %[[C]]
// CHECK-NEXT: %[[T:.*]] = nn.tanh %[[M]]
// CHECK-NEXT: nn.yield %[[T]] : tensor<4x8xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[G]]
// SMALL-LABEL: func.func @elementwise_chain
// SMALL-COUNT-1: nn.fusion
// SMALL: nn.tanh
// SMALL-NOT: nn.yield
// SMALL: return
func.func @elementwise_chain(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %c = nn.constant dense<2.0> : tensor<f32>
  %0 = nn.exp %x : tensor<4x8xf32>
  %1 = nn.mul %0, %c : tensor<4x8xf32>, tensor<f32> -> tensor<4x8xf32>
  %2 = nn.tanh %1 : tensor<4x8xf32>
  return %2 : tensor<4x8xf32>
}

// -----

// A matmul takes its epilogue: bias add, activation, residual add.
// CHECK-LABEL: func.func @matmul_epilogue
// CHECK: nn.fusion(%arg0, %arg1, %arg2, %arg3)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: nn.matmul
// CHECK-NEXT: nn.add
// CHECK-NEXT: nn.relu
// CHECK-NEXT: nn.add
// CHECK-NEXT: nn.yield
// NOCONTRACT-LABEL: func.func @matmul_epilogue
// NOCONTRACT: nn.matmul
// NOCONTRACT-NEXT: nn.fusion
func.func @matmul_epilogue(%x: tensor<4x3xf32>, %w: tensor<3x2xf32>,
                           %b: tensor<2xf32>, %r: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %0 = nn.matmul %x, %w : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
  %1 = nn.add %0, %b : tensor<4x2xf32>, tensor<2xf32> -> tensor<4x2xf32>
  %2 = nn.relu %1 : tensor<4x2xf32>
  %3 = nn.add %2, %r : tensor<4x2xf32>, tensor<4x2xf32> -> tensor<4x2xf32>
  return %3 : tensor<4x2xf32>
}

// -----

// A conv2d takes its activation.
// CHECK-LABEL: func.func @conv_epilogue
// CHECK: nn.fusion(%arg0, %arg1, %arg2)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: nn.conv2d
// CHECK-NEXT: nn.relu
// CHECK-NEXT: nn.yield
func.func @conv_epilogue(%x: tensor<2x3x8x8xf32>, %w: tensor<4x3x3x3xf32>,
                         %b: tensor<4xf32>) -> tensor<2x4x6x6xf32> {
  %0 = nn.conv2d %x, %w, %b : tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32> -> tensor<2x4x6x6xf32>
  %1 = nn.relu %0 : tensor<2x4x6x6xf32>
  return %1 : tensor<2x4x6x6xf32>
}

// -----

// A reduction takes its elementwise producers (a squared-error loss) and
// an epilogue that reads only its result (the scaling).
// CHECK-LABEL: func.func @reduction_prologue_and_epilogue
// CHECK: nn.fusion(%arg0, %arg1)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: nn.constant
// CHECK-NEXT: nn.sub
// CHECK-NEXT: nn.mul
// CHECK-NEXT: nn.reduce_sum
// CHECK-NEXT: nn.mul
// CHECK-NEXT: nn.yield
// NOREDUCE-LABEL: func.func @reduction_prologue_and_epilogue
// NOREDUCE: nn.fusion
// NOREDUCE: nn.reduce_sum
// The epilogue alone, outlined still since it reads a constant, which it
// clones in.
// NOREDUCE-NEXT: nn.fusion
// NOREDUCE-NEXT: ^bb0
// NOREDUCE-NEXT: nn.constant
// NOREDUCE-NEXT: nn.mul
func.func @reduction_prologue_and_epilogue(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>) -> tensor<f32> {
  %c = nn.constant dense<0.5> : tensor<f32>
  %0 = nn.sub %a, %b : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  %1 = nn.mul %0, %0 : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  %2 = nn.reduce_sum %1 : tensor<4x8xf32> -> tensor<f32>
  %3 = nn.mul %2, %c : tensor<f32>, tensor<f32> -> tensor<f32>
  return %3 : tensor<f32>
}

// -----

// Backward: relu_grad joins the matmul that computes its incoming gradient,
// and an optimizer update joins the matmul computing its gradient.
// CHECK-LABEL: func.func @backward
// CHECK: nn.fusion
// CHECK-NEXT: ^bb0
// CHECK-NEXT: nn.matmul
// CHECK-NEXT: nn.relu_grad
// CHECK-NEXT: nn.yield
// CHECK: nn.fusion
// CHECK-NEXT: ^bb0
// CHECK-NEXT: nn.matmul
// CHECK-NEXT: nn.sgd_update
// CHECK-NEXT: nn.yield
func.func @backward(%dy: tensor<4x2xf32>, %w: tensor<3x2xf32>, %h: tensor<4x3xf32>,
                    %x: tensor<5x4xf32>, %w0: tensor<5x3xf32>, %lr: tensor<f32>)
    -> (tensor<4x3xf32>, tensor<5x3xf32>) {
  %wt = nn.transpose %w : tensor<3x2xf32> -> tensor<2x3xf32>
  %0 = nn.matmul %dy, %wt : tensor<4x2xf32>, tensor<2x3xf32> -> tensor<4x3xf32>
  %1 = nn.relu_grad %h, %0 : tensor<4x3xf32>
  %2 = nn.matmul %x, %1 : tensor<5x4xf32>, tensor<4x3xf32> -> tensor<5x3xf32>
  %3 = nn.sgd_update %w0, %2, %lr : tensor<5x3xf32>, tensor<f32>
  return %1, %3 : tensor<4x3xf32>, tensor<5x3xf32>
}

// -----

// Two contractions never share a group, and the first matmul, read by the
// second, is computed once and leaves its group as a result.
// CHECK-LABEL: func.func @no_two_contractions
// CHECK: %[[G:.*]] = nn.fusion(%arg0, %arg1)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: nn.matmul
// CHECK-NEXT: nn.relu
// CHECK-NEXT: nn.yield
// CHECK: nn.matmul %[[G]], %arg2
// CHECK-NOT: nn.matmul
func.func @no_two_contractions(%x: tensor<4x3xf32>, %w: tensor<3x3xf32>, %v: tensor<3x2xf32>) -> tensor<4x2xf32> {
  %0 = nn.matmul %x, %w : tensor<4x3xf32>, tensor<3x3xf32> -> tensor<4x3xf32>
  %1 = nn.relu %0 : tensor<4x3xf32>
  %2 = nn.matmul %1, %v : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
  return %2 : tensor<4x2xf32>
}

// -----

// An expensive producer with consumers in two groups is not recomputed:
// the matmul's value is a result of its group, which the reduction (that
// may not join a contraction) reads.
// CHECK-LABEL: func.func @expensive_producer_not_duplicated
// CHECK: %[[G:.*]]:2 = nn.fusion(%arg0, %arg1)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: %[[M:.*]] = nn.matmul
// CHECK-NEXT: %[[R:.*]] = nn.relu %[[M]]
// CHECK-NEXT: nn.yield %[[M]], %[[R]]
// CHECK: nn.reduce_sum %[[G]]#0
// CHECK-NOT: nn.matmul
func.func @expensive_producer_not_duplicated(%x: tensor<4x3xf32>, %w: tensor<3x2xf32>)
    -> (tensor<4x2xf32>, tensor<f32>) {
  %0 = nn.matmul %x, %w : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
  %1 = nn.relu %0 : tensor<4x2xf32>
  %2 = nn.reduce_sum %0 : tensor<4x2xf32> -> tensor<f32>
  return %1, %2 : tensor<4x2xf32>, tensor<f32>
}

// -----

// A value also returned stays a result of its group.
// CHECK-LABEL: func.func @value_used_outside
// CHECK: %[[G:.*]]:2 = nn.fusion(%arg0)
// CHECK: nn.yield %{{.*}}, %{{.*}} : tensor<4xf32>, tensor<4xf32>
// CHECK: return %[[G]]#0, %[[G]]#1
func.func @value_used_outside(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = nn.exp %x : tensor<4xf32>
  %1 = nn.neg %0 : tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// x - max(x): the subtraction would re-read the reduced input, so it stays
// out of the reduction's group and starts a group of its own with exp.
// CHECK-LABEL: func.func @no_reread_after_reduction
// CHECK: %[[MAX:.*]] = nn.reduce_max %arg0
// CHECK: nn.fusion(%arg0, %[[MAX]])
// CHECK-NEXT: ^bb0
// CHECK-NEXT: nn.sub
// CHECK-NEXT: nn.exp
// CHECK-NEXT: nn.yield
func.func @no_reread_after_reduction(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = nn.reduce_max %x axes [1] keepdims true : tensor<4x8xf32> -> tensor<4x1xf32>
  %1 = nn.sub %x, %0 : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xf32>
  %2 = nn.exp %1 : tensor<4x8xf32>
  return %2 : tensor<4x8xf32>
}

// -----

// The same with a prologue: exp(x) feeds the reduction, and the epilogue
// reading exp(x) again stays outside the group.
// CHECK-LABEL: func.func @no_reread_of_prologue
// CHECK: %[[G:.*]]:2 = nn.fusion(%arg0)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: nn.exp
// CHECK-NEXT: nn.reduce_sum
// CHECK-NEXT: nn.yield
// CHECK: nn.div %[[G]]#0, %[[G]]#1
func.func @no_reread_of_prologue(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = nn.exp %x : tensor<4x8xf32>
  %1 = nn.reduce_sum %0 axes [1] keepdims true : tensor<4x8xf32> -> tensor<4x1xf32>
  %2 = nn.div %0, %1 : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xf32>
  return %2 : tensor<4x8xf32>
}

// -----

// A group may not both feed and read an op outside it: exp -> transpose ->
// add would be a cycle if add joined exp's group.
// CHECK-LABEL: func.func @no_cycle
// CHECK: %[[E:.*]] = nn.exp %arg0
// CHECK: %[[T:.*]] = nn.transpose %[[E]]
// CHECK: nn.add %[[E]], %[[T]]
// CHECK-NOT: nn.fusion
func.func @no_cycle(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = nn.exp %x : tensor<4x4xf32>
  %1 = nn.transpose %0 : tensor<4x4xf32> -> tensor<4x4xf32>
  %2 = nn.add %0, %1 : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
  return %2 : tensor<4x4xf32>
}

// -----

// Data movement is never fused, and a single op is not a group.
// CHECK-LABEL: func.func @opaque_ops_stay
// CHECK-NOT: nn.fusion
// CHECK: nn.relu
// CHECK: nn.reshape
// CHECK: nn.exp
func.func @opaque_ops_stay(%x: tensor<4x8xf32>) -> tensor<32xf32> {
  %0 = nn.relu %x : tensor<4x8xf32>
  %1 = nn.reshape %0 shape [32] : tensor<4x8xf32> -> tensor<32xf32>
  %2 = nn.exp %1 : tensor<32xf32>
  return %2 : tensor<32xf32>
}

// -----

// An op reading a contraction group and a reduction group joins only the
// first: a group has one expensive op.
// CHECK-LABEL: func.func @one_anchor_per_group
// CHECK: %[[S:.*]] = nn.reduce_sum %arg2
// CHECK: nn.fusion(%arg0, %arg1, %[[S]])
// CHECK-NEXT: ^bb0
// CHECK-NEXT: nn.matmul
// CHECK-NEXT: nn.add
// CHECK-NEXT: nn.yield
func.func @one_anchor_per_group(%x: tensor<4x3xf32>, %w: tensor<3x2xf32>, %y: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %0 = nn.matmul %x, %w : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
  %1 = nn.reduce_sum %y : tensor<4x2xf32> -> tensor<f32>
  %2 = nn.add %0, %1 : tensor<4x2xf32>, tensor<f32> -> tensor<4x2xf32>
  return %2 : tensor<4x2xf32>
}

// -----

// Constants above max-cloned-constant-elements (256) stay kernels of their
// own, read by the group as an operand.
// CHECK-LABEL: func.func @large_constant_not_cloned
// CHECK: %[[C:.*]] = nn.constant
// CHECK: nn.fusion(%arg0, %[[C]])
func.func @large_constant_not_cloned(%x: tensor<300xf32>) -> tensor<300xf32> {
  %c = nn.constant dense<1.0> : tensor<300xf32>
  %0 = nn.add %x, %c : tensor<300xf32>, tensor<300xf32> -> tensor<300xf32>
  %1 = nn.exp %0 : tensor<300xf32>
  return %1 : tensor<300xf32>
}

// -----

// Attention reads q, k and v through the transposes that keep the last axis
// (cloned into its group, so a transpose read twice is cloned into both
// groups and its own kernel disappears), and writes through the one
// transpose that alone reads its result. The mask, and a transpose that
// moves the last axis, stay outside.
// CHECK-LABEL: func.func @attention_folds_layout_transposes
// CHECK: %[[M:.*]] = nn.transpose %arg2 perm [1, 0]
// CHECK: %[[A:.*]] = nn.fusion(%arg0, %arg1, %[[M]])
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<2x8x3x4xf32>, %[[Y:.*]]: tensor<2x8x3x4xf32>, %[[MA:.*]]: tensor<8x8xf32>)
// CHECK-NEXT: %[[Q:.*]] = nn.transpose %[[X]] perm [0, 2, 1, 3]
// CHECK-NEXT: %[[K:.*]] = nn.transpose %[[Y]] perm [0, 2, 1, 3]
// CHECK-NEXT: %[[O:.*]] = nn.scaled_dot_product_attention %[[Q]], %[[K]], %[[K]], %[[MA]]
// CHECK-NEXT: %[[T:.*]] = nn.transpose %[[O]] perm [0, 2, 1, 3]
// CHECK-NEXT: nn.yield %[[T]]
// CHECK: nn.fusion(%arg0, %arg1)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: nn.transpose
// CHECK-NEXT: nn.transpose
// CHECK-NEXT: nn.scaled_dot_product_attention
// CHECK-NEXT: nn.yield
// CHECK-NOT: nn.transpose
// CHECK: return
func.func @attention_folds_layout_transposes(%x: tensor<2x8x3x4xf32>, %y: tensor<2x8x3x4xf32>, %m: tensor<8x8xf32>) -> (tensor<2x8x3x4xf32>, tensor<2x3x8x4xf32>) {
  %q = nn.transpose %x perm [0, 2, 1, 3] : tensor<2x8x3x4xf32> -> tensor<2x3x8x4xf32>
  %k = nn.transpose %y perm [0, 2, 1, 3] : tensor<2x8x3x4xf32> -> tensor<2x3x8x4xf32>
  %mt = nn.transpose %m perm [1, 0] : tensor<8x8xf32> -> tensor<8x8xf32>
  %a = nn.scaled_dot_product_attention %q, %k, %k, %mt : tensor<2x3x8x4xf32>, tensor<2x3x8x4xf32>, tensor<2x3x8x4xf32>, tensor<8x8xf32> -> tensor<2x3x8x4xf32>
  %t = nn.transpose %a perm [0, 2, 1, 3] : tensor<2x3x8x4xf32> -> tensor<2x8x3x4xf32>
  %b = nn.scaled_dot_product_attention %q, %k, %k : tensor<2x3x8x4xf32>, tensor<2x3x8x4xf32>, tensor<2x3x8x4xf32> -> tensor<2x3x8x4xf32>
  return %t, %b : tensor<2x8x3x4xf32>, tensor<2x3x8x4xf32>
}

// -----

// A transpose that reads an attention result another op reads too stays
// outside: the result is needed in its own layout anyway. Nothing is
// folded, so the attention stays a lone op.
// CHECK-LABEL: func.func @attention_result_read_twice
// CHECK-NOT: nn.fusion
// CHECK: nn.scaled_dot_product_attention
// CHECK-NEXT: nn.transpose
// CHECK-NEXT: nn.exp
func.func @attention_result_read_twice(%q: tensor<2x8x4xf32>) -> (tensor<8x2x4xf32>, tensor<2x8x4xf32>) {
  %a = nn.scaled_dot_product_attention %q, %q, %q : tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32> -> tensor<2x8x4xf32>
  %t = nn.transpose %a perm [1, 0, 2] : tensor<2x8x4xf32> -> tensor<8x2x4xf32>
  %e = nn.exp %a : tensor<2x8x4xf32>
  return %t, %e : tensor<8x2x4xf32>, tensor<2x8x4xf32>
}

// -----

// An integer division's divisor stays out of its group, computed or
// constant: a kernel checks the divisors it is given for zero before it
// runs. The numerator's producer and the consumers still fuse.
// CHECK-LABEL: func.func @integer_divisor_stays_outside
// CHECK: %[[C:.*]] = nn.constant dense<3> : tensor<i32>
// CHECK: %[[D:.*]] = nn.sub %arg1, %arg1
// CHECK: nn.fusion(%arg0, %[[D]], %[[C]])
// CHECK-NEXT: ^bb0
// CHECK-NEXT: nn.neg
// CHECK-NEXT: nn.div
// CHECK-NEXT: nn.div
// CHECK-NEXT: nn.neg
// CHECK-NEXT: nn.yield
func.func @integer_divisor_stays_outside(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %c = nn.constant dense<3> : tensor<i32>
  %d = nn.sub %b, %b : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %n = nn.neg %a : tensor<4xi32>
  %q = nn.div %n, %d : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %r = nn.div %q, %c : tensor<4xi32>, tensor<i32> -> tensor<4xi32>
  %s = nn.neg %r : tensor<4xi32>
  return %s : tensor<4xi32>
}

// -----

// An element-wise op alone that reads a small constant is outlined with
// the constant cloned in, where the backend sees its value (pow(x, 2)
// becomes x * x); one without a constant stays a bare op.
// CHECK-LABEL: func.func @lone_op_with_a_constant
// CHECK: nn.fusion(%arg0)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: nn.constant
// CHECK-NEXT: nn.pow
// CHECK-NEXT: nn.yield
// CHECK: nn.matmul
// CHECK-NOT: nn.fusion
// CHECK: return
func.func @lone_op_with_a_constant(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %c = nn.constant dense<2.0> : tensor<f32>
  %0 = nn.pow %x, %c : tensor<4x8xf32>, tensor<f32> -> tensor<4x8xf32>
  %1 = nn.matmul %0, %w : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
  return %0, %1 : tensor<4x8xf32>, tensor<4x8xf32>
}
