// RUN: nnc-opt %s -split-input-file -verify-diagnostics
// Every verifier and type-inference error of the nn dialect.

func.func @broadcast_mismatch(%a: tensor<4x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{cannot broadcast [4, 3] with [4, 5]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.add %a, %b : tensor<4x3xf32>, tensor<4x5xf32> -> tensor<4x5xf32>
  return
}
// -----

func.func @broadcast_dynamic(%a: tensor<?x3xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+2 {{cannot broadcast [?, 3] with [4, 3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.add %a, %b : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
  return
}
// -----

func.func @mixed_dtype(%a: tensor<4xf32>, %b: tensor<4xf64>) {
  // expected-error @+1 {{requires the same element type for all operands and results}}
  %0 = nn.mul %a, %b : tensor<4xf32>, tensor<4xf64> -> tensor<4xf32>
  return
}
// -----

func.func @wrong_result(%a: tensor<4xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<5xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.sub %a, %b : tensor<4xf32>, tensor<4xf32> -> tensor<5xf32>
  return
}
// -----

func.func @pow_int(%a: tensor<4xi32>, %b: tensor<4xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 64-bit float values, but got 'tensor<4xi32>'}}
  %0 = nn.pow %a, %b : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  return
}
// -----

func.func @exp_int(%a: tensor<4xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 64-bit float values, but got 'tensor<4xi32>'}}
  %0 = nn.exp %a : tensor<4xi32>
  return
}
// -----

func.func @dynamic_inner(%a: tensor<4x?xf32>) {
  // expected-error @+1 {{operand #0 may only have a dynamic leading (batch) dimension, got 'tensor<4x?xf32>'}}
  %0 = nn.relu %a : tensor<4x?xf32>
  return
}
// -----

func.func @matmul_k(%a: tensor<?x64xf32>, %b: tensor<32x10xf32>) {
  // expected-error @+2 {{cannot multiply [?, 64] by [32, 10]: inner extents 64 and 32 differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.matmul %a, %b : tensor<?x64xf32>, tensor<32x10xf32> -> tensor<?x10xf32>
  return
}
// -----

func.func @matmul_rank(%a: tensor<64xf32>, %b: tensor<64x10xf32>) {
  // expected-error @+2 {{matmul needs operands of rank 2 or more, got [64] and [64, 10]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.matmul %a, %b : tensor<64xf32>, tensor<64x10xf32> -> tensor<10xf32>
  return
}
// -----

func.func @softmax_axis(%a: tensor<?x10xf32>) {
  // expected-error @+1 {{axis 2 is out of range for [?, 10]}}
  %0 = nn.softmax %a axis 2 : tensor<?x10xf32>
  return
}
// -----

func.func @reduce_axis(%a: tensor<?x10xf32>) {
  // expected-error @+2 {{reduce axis 1 is repeated}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.reduce_sum %a axes [1, 1] : tensor<?x10xf32> -> tensor<?xf32>
  return
}
// -----

func.func @reduce_axis_range(%a: tensor<?x10xf32>) {
  // expected-error @+2 {{reduce axis 3 is out of range for [?, 10]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.reduce_max %a axes [3] : tensor<?x10xf32> -> tensor<?xf32>
  return
}
// -----

func.func @reshape_count(%a: tensor<4x10xf32>) {
  // expected-error @+2 {{cannot reshape [4, 10] (40 elements) to [3, 10] (30 elements)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.reshape %a shape [3, 10] : tensor<4x10xf32> -> tensor<3x10xf32>
  return
}
// -----

func.func @reshape_two_minus(%a: tensor<4x10xf32>) {
  // expected-error @+2 {{reshape target [-1, -1] has more than one -1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.reshape %a shape [-1, -1] : tensor<4x10xf32> -> tensor<4x10xf32>
  return
}
// -----

func.func @bad_perm(%a: tensor<4x10xf32>) {
  // expected-error @+2 {{transpose permutation [0, 0] is not a permutation of [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.transpose %a perm [0, 0] : tensor<4x10xf32> -> tensor<4x10xf32>
  return
}
// -----

func.func @transpose_dynamic(%a: tensor<?x10xf32>) {
  // expected-error @+1 {{result #0 may only have a dynamic leading (batch) dimension, got 'tensor<10x?xf32>'}}
  %0 = nn.transpose %a perm [1, 0] : tensor<?x10xf32> -> tensor<10x?xf32>
  return
}
// -----

func.func @broadcast_to_bad(%a: tensor<3xf32>) {
  // expected-error @+2 {{cannot broadcast [3] to [4, 5]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.broadcast_to %a shape [4, 5] : tensor<3xf32> -> tensor<4x5xf32>
  return
}
// -----

func.func @concat_mismatch(%a: tensor<4x3xf32>, %b: tensor<5x4xf32>) {
  // expected-error @+2 {{cannot concat [4, 3] with [5, 4] on axis 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.concat %a, %b axis 1 : tensor<4x3xf32>, tensor<5x4xf32> -> tensor<4x7xf32>
  return
}
// -----

func.func @concat_empty() {
  // expected-error @+1 {{expected 1 or more operands, but found 0}}
  %0 = "nn.concat"() <{axis = 0 : i64}> : () -> tensor<4xf32>
  return
}
// -----

func.func @slice_lengths(%a: tensor<4x10xf32>) {
  // expected-error @+2 {{slice needs as many starts, ends and steps as axes}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.slice %a axes [1] starts [0, 1] ends [5] : tensor<4x10xf32> -> tensor<4x5xf32>
  return
}
// -----

func.func @slice_step(%a: tensor<4x10xf32>) {
  // expected-error @+2 {{slice step 0 must be positive}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.slice %a axes [1] starts [0] ends [5] steps [0] : tensor<4x10xf32> -> tensor<4x5xf32>
  return
}
// -----

func.func @gather_float_indices(%a: tensor<10x4xf32>, %i: tensor<3xf32>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<3xf32>'}}
  %0 = nn.gather %a, %i : tensor<10x4xf32>, tensor<3xf32> -> tensor<3x4xf32>
  return
}
// -----

func.func @gather_axis(%a: tensor<10x4xf32>, %i: tensor<3xi32>) {
  // expected-error @+2 {{gather axis 2 is out of range for [10, 4]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.gather %a, %i axis 2 : tensor<10x4xf32>, tensor<3xi32> -> tensor<3x4xf32>
  return
}
// -----

func.func @conv_channels(%x: tensor<?x3x8x8xf32>, %w: tensor<16x4x3x3xf32>) {
  // expected-error @+2 {{conv2d input [?, 3, 8, 8] has 3 channels but the weight [16, 4, 3, 3] expects 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d %x, %w : tensor<?x3x8x8xf32>, tensor<16x4x3x3xf32> -> tensor<?x16x6x6xf32>
  return
}
// -----

func.func @conv_groups(%x: tensor<?x4x8x8xf32>, %w: tensor<6x2x3x3xf32>) {
  // expected-error @+2 {{conv2d groups 4 must divide the input channels 4 and the filters 6}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d %x, %w groups 4 : tensor<?x4x8x8xf32>, tensor<6x2x3x3xf32> -> tensor<?x6x6x6xf32>
  return
}
// -----

func.func @conv_bias(%x: tensor<?x3x8x8xf32>, %w: tensor<16x3x3x3xf32>, %b: tensor<8xf32>) {
  // expected-error @+2 {{conv2d bias must be [16], got [8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d %x, %w, %b : tensor<?x3x8x8xf32>, tensor<16x3x3x3xf32>, tensor<8xf32> -> tensor<?x16x6x6xf32>
  return
}
// -----

func.func @conv_stride_pair(%x: tensor<?x3x8x8xf32>, %w: tensor<16x3x3x3xf32>) {
  // expected-error @+2 {{'stride' must have 2 entries [height, width], got 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d %x, %w stride [2] : tensor<?x3x8x8xf32>, tensor<16x3x3x3xf32> -> tensor<?x16x3x3xf32>
  return
}
// -----

func.func @conv_rank(%x: tensor<?x3x8xf32>, %w: tensor<16x3x3x3xf32>) {
  // expected-error @+2 {{conv2d input must be [n, c, h, w], got [?, 3, 8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.conv2d %x, %w : tensor<?x3x8xf32>, tensor<16x3x3x3xf32> -> tensor<?x16x6x6xf32>
  return
}
// -----

func.func @pool_padding(%x: tensor<?x3x8x8xf32>) {
  // expected-error @+2 {{pool2d padding [2, 2] exceeds half the kernel [2, 2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.max_pool2d %x kernel [2, 2] padding [2, 2] : tensor<?x3x8x8xf32> -> tensor<?x3x6x6xf32>
  return
}
// -----

func.func @pool_kernel_pair(%x: tensor<?x3x8x8xf32>) {
  // expected-error @+2 {{'kernel' must have 2 entries [height, width], got 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.avg_pool2d %x kernel [2, 2, 2] : tensor<?x3x8x8xf32> -> tensor<?x3x4x4xf32>
  return
}
// -----

func.func @pool_too_big(%x: tensor<?x3x8x8xf32>) {
  // expected-error @+2 {{pool2d kernel [9, 9] does not fit input [?, 3, 8, 8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.avg_pool2d %x kernel [9, 9] : tensor<?x3x8x8xf32> -> tensor<?x3x1x1xf32>
  return
}
// -----

func.func @bn_channels(%x: tensor<?x16x8x8xf32>, %g: tensor<8xf32>, %v: tensor<16xf32>) {
  // expected-error @+2 {{batch_norm gamma must be [16], got [8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y:3 = nn.batch_norm %x, %g, %v, %v, %v : tensor<?x16x8x8xf32>, tensor<8xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32> -> tensor<?x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>
  return
}
// -----

func.func @layer_norm_features(%x: tensor<?x32x64xf32>, %g: tensor<32xf32>) {
  // expected-error @+1 {{layer_norm gamma [32] must equal the trailing dimensions of input [?, 32, 64]}}
  %y = nn.layer_norm %x, %g, %g : tensor<?x32x64xf32>, tensor<32xf32>
  return
}
// -----

func.func @layer_norm_dynamic(%x: tensor<?x64xf32>, %g: tensor<?x64xf32>) {
  // expected-error @+1 {{layer_norm normalises over static dimensions; input is [?, 64]}}
  %y = nn.layer_norm %x, %g, %g : tensor<?x64xf32>, tensor<?x64xf32>
  return
}
// -----

func.func @attention_depth(%q: tensor<?x8x32xf32>, %k: tensor<?x8x16xf32>) {
  // expected-error @+2 {{scaled_dot_product_attention q [?, 8, 32] and k [?, 8, 16] must have the same last dimension}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = nn.scaled_dot_product_attention %q, %k, %k : tensor<?x8x32xf32>, tensor<?x8x16xf32>, tensor<?x8x16xf32> -> tensor<?x8x16xf32>
  return
}
// -----

func.func @attention_mask(%q: tensor<?x8x32xf32>, %m: tensor<8x7xf32>) {
  // expected-error @+2 {{scaled_dot_product_attention mask [8, 7] does not broadcast to the scores [?, 8, 8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = nn.scaled_dot_product_attention %q, %q, %q, %m : tensor<?x8x32xf32>, tensor<?x8x32xf32>, tensor<?x8x32xf32>, tensor<8x7xf32> -> tensor<?x8x32xf32>
  return
}
// -----

func.func @attention_grad_dout(%q: tensor<?x8x32xf32>, %d: tensor<?x8x16xf32>) {
  // expected-error @+1 {{scaled_dot_product_attention_grad out [?, 8, 16] does not match the forward result [?, 8, 32]}}
  %dq, %dk, %dv = nn.scaled_dot_product_attention_grad %q, %q, %q, %d, %d : tensor<?x8x32xf32>, tensor<?x8x32xf32>, tensor<?x8x32xf32>, tensor<?x8x16xf32>, tensor<?x8x16xf32>
  return
}
// -----

func.func @dropout_int(%x: tensor<4xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 64-bit float values, but got 'tensor<4xi32>'}}
  %0 = nn.dropout %x : tensor<4xi32>
  return
}
// -----

func.func @mse_mismatch(%p: tensor<?x3xf32>, %t: tensor<?x4xf32>) {
  // expected-error @+2 {{loss target [?, 4] does not match prediction [?, 3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.mse %p, %t : tensor<?x3xf32>, tensor<?x4xf32> -> tensor<f32>
  return
}
// -----

func.func @bce_result(%p: tensor<?x3xf32>, %t: tensor<?x3xf32>) {
  // expected-error @+1 {{result #0 must be 0D tensor of 32-bit float or 64-bit float values, but got 'tensor<1xf32>'}}
  %0 = nn.binary_cross_entropy %p, %t : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<1xf32>
  return
}
// -----

func.func @sce_float_labels(%l: tensor<?x10xf32>, %y: tensor<?xf32>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<?xf32>'}}
  %0 = nn.softmax_cross_entropy %l, %y : tensor<?x10xf32>, tensor<?xf32> -> tensor<f32>
  return
}
// -----

func.func @sce_label_shape(%l: tensor<?x10xf32>, %y: tensor<?x10xi32>) {
  // expected-error @+2 {{softmax_cross_entropy labels must be [?] (the logits' shape without the classes), got [?, 10]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = nn.softmax_cross_entropy %l, %y : tensor<?x10xf32>, tensor<?x10xi32> -> tensor<f32>
  return
}
// -----

func.func @constant_type() {
  // expected-error @+2 {{inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<5xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "nn.constant"() <{value = dense<1.0> : tensor<4xf32>}> : () -> tensor<5xf32>
  return
}
// -----

func.func @unsupported_dtype(%a: tensor<4xf16>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float or 64-bit float or 32-bit signless integer or 64-bit signless integer values, but got 'tensor<4xf16>'}}
  %0 = nn.neg %a : tensor<4xf16>
  return
}
