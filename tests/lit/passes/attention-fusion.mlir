// RUN: nnc-opt %s -nn-simplify -split-input-file | FileCheck %s
// RUN: nnc-opt %s -split-input-file --nn-optimize | FileCheck %s --check-prefix=OPT
// Attention written out becomes nn.scaled_dot_product_attention
// (passes/AttentionFusion.cpp, part of nn-simplify), and the cases where it
// must not.

// The model's form: q @ kT * c + mask, kT a transpose that is not a matmul
// flag. k is a new last-two-axes transpose of kT; nn-optimize's canonicalize
// merges the two into one transpose of the keys' source.
// CHECK-LABEL: func.func @scaled_and_masked(
// CHECK-SAME: %[[Q:[^:]*]]: tensor<?x2x8x4xf32>, %[[KS:[^:]*]]: tensor<?x8x2x4xf32>, %[[V:[^:]*]]: tensor<?x2x8x4xf32>, %[[M:[^:]*]]: tensor<8x8xf32>
// CHECK: %[[KT:.*]] = nn.transpose %[[KS]] perm [0, 2, 3, 1]
// CHECK: %[[K:.*]] = nn.transpose %[[KT]] perm [0, 1, 3, 2] : tensor<?x2x4x8xf32> -> tensor<?x2x8x4xf32>
// CHECK-NEXT: %[[Y:.*]] = nn.scaled_dot_product_attention %[[Q]], %[[K]], %[[V]], %[[M]] scale 0.35355338454246521 : tensor<?x2x8x4xf32>, tensor<?x2x8x4xf32>, tensor<?x2x8x4xf32>, tensor<8x8xf32> -> tensor<?x2x8x4xf32>
// CHECK-NEXT: return %[[Y]]
// OPT-LABEL: func.func @scaled_and_masked(
// OPT-NEXT: %[[K:.*]] = nn.transpose %arg1 perm [0, 2, 1, 3] : tensor<?x8x2x4xf32> -> tensor<?x2x8x4xf32>
// OPT-NEXT: %[[Y:.*]] = nn.scaled_dot_product_attention %arg0, %[[K]], %arg2, %arg3 scale 0.35355338454246521 :
// OPT-NEXT: return %[[Y]]
func.func @scaled_and_masked(%q: tensor<?x2x8x4xf32>, %ks: tensor<?x8x2x4xf32>, %v: tensor<?x2x8x4xf32>, %mask: tensor<8x8xf32> {nn.role = "buffer"}) -> tensor<?x2x8x4xf32> {
  %kt = nn.transpose %ks perm [0, 2, 3, 1] : tensor<?x8x2x4xf32> -> tensor<?x2x4x8xf32>
  %s = nn.matmul %q, %kt : tensor<?x2x8x4xf32>, tensor<?x2x4x8xf32> -> tensor<?x2x8x8xf32>
  %c = nn.constant dense<0.353553385> : tensor<f32>
  %scaled = nn.mul %s, %c : tensor<?x2x8x8xf32>, tensor<f32> -> tensor<?x2x8x8xf32>
  %masked = nn.add %scaled, %mask : tensor<?x2x8x8xf32>, tensor<8x8xf32> -> tensor<?x2x8x8xf32>
  %p = nn.softmax %masked : tensor<?x2x8x8xf32>
  %y = nn.matmul %p, %v : tensor<?x2x8x8xf32>, tensor<?x2x8x4xf32> -> tensor<?x2x8x4xf32>
  return %y : tensor<?x2x8x4xf32>
}

// -----

// Neither factor nor mask: scale 1, not the 0 that means 1/sqrt(d). The
// keys of a transpose_rhs matmul are its rhs as it is; the softmax axis may
// be spelled rank - 1.
// CHECK-LABEL: func.func @unscaled_transpose_rhs(
// CHECK-NEXT: %[[Y:.*]] = nn.scaled_dot_product_attention %arg0, %arg1, %arg2 scale 1.000000e+00 : tensor<3x5x4xf32>, tensor<3x6x4xf32>, tensor<3x6x7xf32> -> tensor<3x5x7xf32>
// CHECK-NEXT: return %[[Y]]
func.func @unscaled_transpose_rhs(%q: tensor<3x5x4xf32>, %k: tensor<3x6x4xf32>, %v: tensor<3x6x7xf32>) -> tensor<3x5x7xf32> {
  %s = nn.matmul %q, %k transpose_rhs true : tensor<3x5x4xf32>, tensor<3x6x4xf32> -> tensor<3x5x6xf32>
  %p = nn.softmax %s axis 2 : tensor<3x5x6xf32>
  %y = nn.matmul %p, %v : tensor<3x5x6xf32>, tensor<3x6x7xf32> -> tensor<3x5x7xf32>
  return %y : tensor<3x5x7xf32>
}

// -----

// The factor on the left and the mask on the left; rank 2.
// CHECK-LABEL: func.func @factor_and_mask_on_the_left(
// CHECK-NEXT: %[[Y:.*]] = nn.scaled_dot_product_attention %arg0, %arg1, %arg2, %arg3 scale 5.000000e-01 : tensor<5x4xf32>, tensor<6x4xf32>, tensor<6x3xf32>, tensor<5x6xf32> -> tensor<5x3xf32>
// CHECK-NEXT: return %[[Y]]
func.func @factor_and_mask_on_the_left(%q: tensor<5x4xf32>, %k: tensor<6x4xf32>, %v: tensor<6x3xf32>, %mask: tensor<5x6xf32> {nn.role = "buffer"}) -> tensor<5x3xf32> {
  %s = nn.matmul %q, %k transpose_rhs true : tensor<5x4xf32>, tensor<6x4xf32> -> tensor<5x6xf32>
  %c = nn.constant dense<5.000000e-01> : tensor<1x1xf32>
  %scaled = nn.mul %c, %s : tensor<1x1xf32>, tensor<5x6xf32> -> tensor<5x6xf32>
  %masked = nn.add %mask, %scaled : tensor<5x6xf32>, tensor<5x6xf32> -> tensor<5x6xf32>
  %p = nn.softmax %masked : tensor<5x6xf32>
  %y = nn.matmul %p, %v : tensor<5x6xf32>, tensor<6x3xf32> -> tensor<5x3xf32>
  return %y : tensor<5x3xf32>
}

// -----

// Division by a constant is multiplication by its reciprocal.
// CHECK-LABEL: func.func @divided(
// CHECK: nn.scaled_dot_product_attention %arg0, %{{.*}}, %arg2 scale 1.250000e-01 :
func.func @divided(%q: tensor<2x5x4xf32>, %kt: tensor<2x4x6xf32>, %v: tensor<2x6x3xf32>) -> tensor<2x5x3xf32> {
  %s = nn.matmul %q, %kt : tensor<2x5x4xf32>, tensor<2x4x6xf32> -> tensor<2x5x6xf32>
  %c = nn.constant dense<8.000000e+00> : tensor<f32>
  %scaled = nn.div %s, %c : tensor<2x5x6xf32>, tensor<f32> -> tensor<2x5x6xf32>
  %p = nn.softmax %scaled : tensor<2x5x6xf32>
  %y = nn.matmul %p, %v : tensor<2x5x6xf32>, tensor<2x6x3xf32> -> tensor<2x5x3xf32>
  return %y : tensor<2x5x3xf32>
}

// -----

// Values stored transposed (transpose_rhs on the root) get a transpose.
// CHECK-LABEL: func.func @values_transposed(
// CHECK: %[[V:.*]] = nn.transpose %arg2 perm [0, 2, 1] : tensor<2x3x6xf32> -> tensor<2x6x3xf32>
// CHECK: nn.scaled_dot_product_attention %arg0, %arg1, %[[V]] scale 1.000000e+00 :
func.func @values_transposed(%q: tensor<2x5x4xf32>, %k: tensor<2x6x4xf32>, %vt: tensor<2x3x6xf32>) -> tensor<2x5x3xf32> {
  %s = nn.matmul %q, %k transpose_rhs true : tensor<2x5x4xf32>, tensor<2x6x4xf32> -> tensor<2x5x6xf32>
  %p = nn.softmax %s : tensor<2x5x6xf32>
  %y = nn.matmul %p, %vt transpose_rhs true : tensor<2x5x6xf32>, tensor<2x3x6xf32> -> tensor<2x5x3xf32>
  return %y : tensor<2x5x3xf32>
}

// -----

// Two products added: the scaled one is the scores, the other the mask,
// which depends on buffers only.
// CHECK-LABEL: func.func @scaled_product_is_the_scores(
// CHECK: %[[B:.*]] = nn.matmul %arg3, %arg4
// CHECK: nn.scaled_dot_product_attention %arg0, %arg1, %arg2, %[[B]] scale 2.500000e-01 :
func.func @scaled_product_is_the_scores(%q: tensor<5x4xf32>, %k: tensor<6x4xf32>, %v: tensor<6x3xf32>, %a: tensor<5x2xf32> {nn.role = "buffer"}, %b: tensor<2x6xf32> {nn.role = "buffer"}) -> tensor<5x3xf32> {
  %bias = nn.matmul %a, %b : tensor<5x2xf32>, tensor<2x6xf32> -> tensor<5x6xf32>
  %s = nn.matmul %q, %k transpose_rhs true : tensor<5x4xf32>, tensor<6x4xf32> -> tensor<5x6xf32>
  %c = nn.constant dense<2.500000e-01> : tensor<f32>
  %scaled = nn.mul %s, %c : tensor<5x6xf32>, tensor<f32> -> tensor<5x6xf32>
  %masked = nn.add %bias, %scaled : tensor<5x6xf32>, tensor<5x6xf32> -> tensor<5x6xf32>
  %p = nn.softmax %masked : tensor<5x6xf32>
  %y = nn.matmul %p, %v : tensor<5x6xf32>, tensor<6x3xf32> -> tensor<5x3xf32>
  return %y : tensor<5x3xf32>
}

// -----

// The probabilities are a result too: computing them anyway, the fused op
// would only add work.
// CHECK-LABEL: func.func @probabilities_used_twice(
// CHECK-NOT: nn.scaled_dot_product_attention
// CHECK: nn.softmax
func.func @probabilities_used_twice(%q: tensor<5x4xf32>, %k: tensor<6x4xf32>, %v: tensor<6x3xf32>) -> (tensor<5x3xf32>, tensor<5x6xf32>) {
  %s = nn.matmul %q, %k transpose_rhs true : tensor<5x4xf32>, tensor<6x4xf32> -> tensor<5x6xf32>
  %p = nn.softmax %s : tensor<5x6xf32>
  %y = nn.matmul %p, %v : tensor<5x6xf32>, tensor<6x3xf32> -> tensor<5x3xf32>
  return %y, %p : tensor<5x3xf32>, tensor<5x6xf32>
}

// -----

// So are the scores.
// CHECK-LABEL: func.func @scores_used_twice(
// CHECK-NOT: nn.scaled_dot_product_attention
// CHECK: nn.softmax
func.func @scores_used_twice(%q: tensor<5x4xf32>, %k: tensor<6x4xf32>, %v: tensor<6x3xf32>) -> (tensor<5x3xf32>, tensor<5x6xf32>) {
  %s = nn.matmul %q, %k transpose_rhs true : tensor<5x4xf32>, tensor<6x4xf32> -> tensor<5x6xf32>
  %c = nn.constant dense<2.500000e-01> : tensor<f32>
  %scaled = nn.mul %s, %c : tensor<5x6xf32>, tensor<f32> -> tensor<5x6xf32>
  %p = nn.softmax %scaled : tensor<5x6xf32>
  %y = nn.matmul %p, %v : tensor<5x6xf32>, tensor<6x3xf32> -> tensor<5x3xf32>
  return %y, %s : tensor<5x3xf32>, tensor<5x6xf32>
}

// -----

// A softmax over the queries is not attention.
// CHECK-LABEL: func.func @softmax_over_queries(
// CHECK-NOT: nn.scaled_dot_product_attention
// CHECK: nn.softmax %{{.*}} axis 1
func.func @softmax_over_queries(%q: tensor<2x6x4xf32>, %k: tensor<2x6x4xf32>, %v: tensor<2x6x3xf32>) -> tensor<2x6x3xf32> {
  %s = nn.matmul %q, %k transpose_rhs true : tensor<2x6x4xf32>, tensor<2x6x4xf32> -> tensor<2x6x6xf32>
  %p = nn.softmax %s axis 1 : tensor<2x6x6xf32>
  %y = nn.matmul %p, %v : tensor<2x6x6xf32>, tensor<2x6x3xf32> -> tensor<2x6x3xf32>
  return %y : tensor<2x6x3xf32>
}

// -----

// A factor that is not a constant (a learned temperature) stays.
// CHECK-LABEL: func.func @factor_not_constant(
// CHECK-NOT: nn.scaled_dot_product_attention
// CHECK: nn.mul %{{.*}}, %arg3
func.func @factor_not_constant(%q: tensor<5x4xf32>, %k: tensor<6x4xf32>, %v: tensor<6x3xf32>, %t: tensor<f32>) -> tensor<5x3xf32> {
  %s = nn.matmul %q, %k transpose_rhs true : tensor<5x4xf32>, tensor<6x4xf32> -> tensor<5x6xf32>
  %scaled = nn.mul %s, %t : tensor<5x6xf32>, tensor<f32> -> tensor<5x6xf32>
  %p = nn.softmax %scaled : tensor<5x6xf32>
  %y = nn.matmul %p, %v : tensor<5x6xf32>, tensor<6x3xf32> -> tensor<5x3xf32>
  return %y : tensor<5x3xf32>
}

// -----

// A factor of 0 would read as the fused op's 1/sqrt(d).
// CHECK-LABEL: func.func @factor_zero(
// CHECK-NOT: nn.scaled_dot_product_attention
func.func @factor_zero(%q: tensor<5x4xf32>, %k: tensor<6x4xf32>, %v: tensor<6x3xf32>) -> tensor<5x3xf32> {
  %s = nn.matmul %q, %k transpose_rhs true : tensor<5x4xf32>, tensor<6x4xf32> -> tensor<5x6xf32>
  %c = nn.constant dense<0.000000e+00> : tensor<f32>
  %scaled = nn.mul %s, %c : tensor<5x6xf32>, tensor<f32> -> tensor<5x6xf32>
  %p = nn.softmax %scaled : tensor<5x6xf32>
  %y = nn.matmul %p, %v : tensor<5x6xf32>, tensor<6x3xf32> -> tensor<5x3xf32>
  return %y : tensor<5x3xf32>
}

// -----

// A learned bias (a parameter, even through other ops, or an argument
// without a role) would lose its gradient in the fused op, which gives its
// mask none.
// CHECK-LABEL: func.func @learned_bias(
// CHECK-NOT: nn.scaled_dot_product_attention
// CHECK: nn.add
func.func @learned_bias(%q: tensor<5x4xf32>, %k: tensor<6x4xf32>, %v: tensor<6x3xf32>, %bias: tensor<5x6xf32> {nn.role = "param"}) -> tensor<5x3xf32> {
  %s = nn.matmul %q, %k transpose_rhs true : tensor<5x4xf32>, tensor<6x4xf32> -> tensor<5x6xf32>
  %masked = nn.add %s, %bias : tensor<5x6xf32>, tensor<5x6xf32> -> tensor<5x6xf32>
  %p = nn.softmax %masked : tensor<5x6xf32>
  %y = nn.matmul %p, %v : tensor<5x6xf32>, tensor<6x3xf32> -> tensor<5x3xf32>
  return %y : tensor<5x3xf32>
}

// CHECK-LABEL: func.func @learned_bias_through_ops(
// CHECK-NOT: nn.scaled_dot_product_attention
// CHECK: nn.add
func.func @learned_bias_through_ops(%q: tensor<5x4xf32>, %k: tensor<6x4xf32>, %v: tensor<6x3xf32>, %mask: tensor<5x6xf32> {nn.role = "buffer"}, %slope: tensor<f32> {nn.role = "param"}) -> tensor<5x3xf32> {
  %s = nn.matmul %q, %k transpose_rhs true : tensor<5x4xf32>, tensor<6x4xf32> -> tensor<5x6xf32>
  %bias = nn.mul %mask, %slope : tensor<5x6xf32>, tensor<f32> -> tensor<5x6xf32>
  %masked = nn.add %s, %bias : tensor<5x6xf32>, tensor<5x6xf32> -> tensor<5x6xf32>
  %p = nn.softmax %masked : tensor<5x6xf32>
  %y = nn.matmul %p, %v : tensor<5x6xf32>, tensor<6x3xf32> -> tensor<5x3xf32>
  return %y : tensor<5x3xf32>
}

// CHECK-LABEL: func.func @roleless_bias(
// CHECK-NOT: nn.scaled_dot_product_attention
// CHECK: nn.add
func.func @roleless_bias(%q: tensor<5x4xf32>, %k: tensor<6x4xf32>, %v: tensor<6x3xf32>, %bias: tensor<5x6xf32>) -> tensor<5x3xf32> {
  %s = nn.matmul %q, %k transpose_rhs true : tensor<5x4xf32>, tensor<6x4xf32> -> tensor<5x6xf32>
  %masked = nn.add %s, %bias : tensor<5x6xf32>, tensor<5x6xf32> -> tensor<5x6xf32>
  %p = nn.softmax %masked : tensor<5x6xf32>
  %y = nn.matmul %p, %v : tensor<5x6xf32>, tensor<6x3xf32> -> tensor<5x3xf32>
  return %y : tensor<5x3xf32>
}

// -----

// An input is data, as a padding mask is: it may be the mask.
// CHECK-LABEL: func.func @input_mask(
// CHECK: nn.scaled_dot_product_attention %arg0, %arg1, %arg2, %arg3 scale 1.000000e+00 :
func.func @input_mask(%q: tensor<5x4xf32>, %k: tensor<6x4xf32>, %v: tensor<6x3xf32>, %mask: tensor<5x6xf32> {nn.role = "input"}) -> tensor<5x3xf32> {
  %s = nn.matmul %q, %k transpose_rhs true : tensor<5x4xf32>, tensor<6x4xf32> -> tensor<5x6xf32>
  %masked = nn.add %s, %mask : tensor<5x6xf32>, tensor<5x6xf32> -> tensor<5x6xf32>
  %p = nn.softmax %masked : tensor<5x6xf32>
  %y = nn.matmul %p, %v : tensor<5x6xf32>, tensor<6x3xf32> -> tensor<5x3xf32>
  return %y : tensor<5x3xf32>
}

// -----

// A frozen parameter learns nothing: it may be the mask.
// CHECK-LABEL: func.func @frozen_bias(
// CHECK: nn.scaled_dot_product_attention %arg0, %arg1, %arg2, %arg3 scale 1.000000e+00 :
func.func @frozen_bias(%q: tensor<5x4xf32>, %k: tensor<6x4xf32>, %v: tensor<6x3xf32>, %bias: tensor<5x6xf32> {nn.role = "param", nn.frozen}) -> tensor<5x3xf32> {
  %s = nn.matmul %q, %k transpose_rhs true : tensor<5x4xf32>, tensor<6x4xf32> -> tensor<5x6xf32>
  %masked = nn.add %s, %bias : tensor<5x6xf32>, tensor<5x6xf32> -> tensor<5x6xf32>
  %p = nn.softmax %masked : tensor<5x6xf32>
  %y = nn.matmul %p, %v : tensor<5x6xf32>, tensor<6x3xf32> -> tensor<5x3xf32>
  return %y : tensor<5x3xf32>
}

// -----

// A mask that widens the scores (a batch the scores lack) stays.
// CHECK-LABEL: func.func @mask_widens_scores(
// CHECK-NOT: nn.scaled_dot_product_attention
func.func @mask_widens_scores(%q: tensor<5x4xf32>, %k: tensor<6x4xf32>, %v: tensor<6x3xf32>, %mask: tensor<2x5x6xf32> {nn.role = "buffer"}) -> tensor<2x5x3xf32> {
  %s = nn.matmul %q, %k transpose_rhs true : tensor<5x4xf32>, tensor<6x4xf32> -> tensor<5x6xf32>
  %masked = nn.add %s, %mask : tensor<5x6xf32>, tensor<2x5x6xf32> -> tensor<2x5x6xf32>
  %p = nn.softmax %masked : tensor<2x5x6xf32>
  %y = nn.matmul %p, %v : tensor<2x5x6xf32>, tensor<6x3xf32> -> tensor<2x5x3xf32>
  return %y : tensor<2x5x3xf32>
}

// -----

// Keys shared by every batch (a broadcasting matmul) do not fit the op.
// CHECK-LABEL: func.func @broadcast_keys(
// CHECK-NOT: nn.scaled_dot_product_attention
func.func @broadcast_keys(%q: tensor<2x5x4xf32>, %k: tensor<6x4xf32>, %v: tensor<2x6x3xf32>) -> tensor<2x5x3xf32> {
  %s = nn.matmul %q, %k transpose_rhs true : tensor<2x5x4xf32>, tensor<6x4xf32> -> tensor<2x5x6xf32>
  %p = nn.softmax %s : tensor<2x5x6xf32>
  %y = nn.matmul %p, %v : tensor<2x5x6xf32>, tensor<2x6x3xf32> -> tensor<2x5x3xf32>
  return %y : tensor<2x5x3xf32>
}
