// RUN: nnc-opt %s -split-input-file --nn-autodiff | FileCheck %s
// Gradient rules of matmul, the softmax family, reductions, layout ops and
// gather.

// matmul: dA = dY @ B^T and dB = A^T @ dY; the transposes are the
// matmuls' flags, never nn.transpose. B is shared by the batch of A, so
// dB contracts over A's rows with the batch merged into them: one matmul,
// no [2, 4, 5] batch of products to sum.
// CHECK-LABEL: func.func @grad
// CHECK: %[[Y:.*]] = nn.matmul %arg0, %arg1 : tensor<2x3x4xf32>, tensor<4x5xf32> -> tensor<2x3x5xf32>
// CHECK: %[[DY:.*]] = nn.broadcast_to %{{.*}} shape [2, 3, 5]
// CHECK-NOT: nn.transpose
// CHECK: %[[DA:.*]] = nn.matmul %[[DY]], %arg1 transpose_rhs true : tensor<2x3x5xf32>, tensor<4x5xf32> -> tensor<2x3x4xf32>
// CHECK: %[[AR:.*]] = nn.reshape %arg0 shape [-1, 4] : tensor<2x3x4xf32> -> tensor<6x4xf32>
// CHECK: %[[DYR:.*]] = nn.reshape %[[DY]] shape [-1, 5] : tensor<2x3x5xf32> -> tensor<6x5xf32>
// CHECK: %[[DB:.*]] = nn.matmul %[[AR]], %[[DYR]] transpose_lhs true : tensor<6x4xf32>, tensor<6x5xf32> -> tensor<4x5xf32>
// CHECK-NOT: nn.reduce_sum
// CHECK: return %{{.*}}, %[[DA]], %[[DB]]
func.func @forward(%a: tensor<2x3x4xf32> {nn.name = "a", nn.role = "param"},
                   %b: tensor<4x5xf32> {nn.name = "b", nn.role = "param"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.matmul %a, %b : tensor<2x3x4xf32>, tensor<4x5xf32> -> tensor<2x3x5xf32>
  %1 = nn.reduce_sum %0 : tensor<2x3x5xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// The same with B stored transposed and a dynamic batch: dB = dY^T @ A over
// the merged rows, the -1 taking the batch.
// CHECK-LABEL: func.func @grad
// CHECK: %[[DY:.*]] = nn.broadcast_to %{{.*}} shape [-1, 3, 5]
// CHECK: %[[AR:.*]] = nn.reshape %arg0 shape [-1, 4] : tensor<?x3x4xf32> -> tensor<?x4xf32>
// CHECK: %[[DYR:.*]] = nn.reshape %[[DY]] shape [-1, 5] : tensor<?x3x5xf32> -> tensor<?x5xf32>
// CHECK: %[[DB:.*]] = nn.matmul %[[DYR]], %[[AR]] transpose_lhs true : tensor<?x5xf32>, tensor<?x4xf32> -> tensor<5x4xf32>
// CHECK: return %{{.*}}, %[[DB]]
func.func @forward(%a: tensor<?x3x4xf32> {nn.name = "a", nn.role = "input"},
                   %b: tensor<5x4xf32> {nn.name = "b", nn.role = "param"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.matmul %a, %b transpose_rhs true : tensor<?x3x4xf32>, tensor<5x4xf32> -> tensor<?x3x5xf32>
  %1 = nn.reduce_sum %0 : tensor<?x3x5xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// A transposed ([2, 4, 3], contracting over its last axis per matrix) has
// no rows to merge: dB stays a batch of products summed over the batch.
// CHECK-LABEL: func.func @grad
// CHECK: %[[DBB:.*]] = nn.matmul %arg0, %{{.*}} : tensor<2x4x3xf32>, tensor<2x3x5xf32> -> tensor<2x4x5xf32>
// CHECK: %[[DB:.*]] = nn.reduce_sum %[[DBB]] axes [0] : tensor<2x4x5xf32> -> tensor<4x5xf32>
// CHECK: return %{{.*}}, %[[DB]]
func.func @forward(%a: tensor<2x4x3xf32> {nn.name = "a", nn.role = "input"},
                   %b: tensor<4x5xf32> {nn.name = "b", nn.role = "param"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.matmul %a, %b transpose_lhs true : tensor<2x4x3xf32>, tensor<4x5xf32> -> tensor<2x3x5xf32>
  %1 = nn.reduce_sum %0 : tensor<2x3x5xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// matmul with both flags, Y = A^T @ B^T: dA = B^T @ dY^T and dB = dY^T @ A^T.
// CHECK-LABEL: func.func @grad
// CHECK: %[[DY:.*]] = nn.broadcast_to %{{.*}} shape [3, 5]
// CHECK: %[[DA:.*]] = nn.matmul %arg1, %[[DY]] transpose_lhs true transpose_rhs true : tensor<5x4xf32>, tensor<3x5xf32> -> tensor<4x3xf32>
// CHECK: %[[DB:.*]] = nn.matmul %[[DY]], %arg0 transpose_lhs true transpose_rhs true : tensor<3x5xf32>, tensor<4x3xf32> -> tensor<5x4xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]]
func.func @forward(%a: tensor<4x3xf32> {nn.name = "a", nn.role = "param"},
                   %b: tensor<5x4xf32> {nn.name = "b", nn.role = "param"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.matmul %a, %b transpose_lhs true transpose_rhs true : tensor<4x3xf32>, tensor<5x4xf32> -> tensor<3x5xf32>
  %1 = nn.reduce_sum %0 : tensor<3x5xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// matmul with transpose_lhs, Y = A^T @ B: dA = B @ dY^T and dB = A @ dY.
// CHECK-LABEL: func.func @grad
// CHECK: %[[DY:.*]] = nn.broadcast_to %{{.*}} shape [3, 5]
// CHECK: %[[DA:.*]] = nn.matmul %arg1, %[[DY]] transpose_rhs true : tensor<4x5xf32>, tensor<3x5xf32> -> tensor<4x3xf32>
// CHECK: %[[DB:.*]] = nn.matmul %arg0, %[[DY]] : tensor<4x3xf32>, tensor<3x5xf32> -> tensor<4x5xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]]
func.func @forward(%a: tensor<4x3xf32> {nn.name = "a", nn.role = "param"},
                   %b: tensor<4x5xf32> {nn.name = "b", nn.role = "param"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.matmul %a, %b transpose_lhs true : tensor<4x3xf32>, tensor<4x5xf32> -> tensor<3x5xf32>
  %1 = nn.reduce_sum %0 : tensor<3x5xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// matmul with transpose_rhs, Y = A @ B^T: dA = dY @ B and dB = dY^T @ A.
// CHECK-LABEL: func.func @grad
// CHECK: %[[DY:.*]] = nn.broadcast_to %{{.*}} shape [3, 5]
// CHECK: %[[DA:.*]] = nn.matmul %[[DY]], %arg1 : tensor<3x5xf32>, tensor<5x4xf32> -> tensor<3x4xf32>
// CHECK: %[[DB:.*]] = nn.matmul %[[DY]], %arg0 transpose_lhs true : tensor<3x5xf32>, tensor<3x4xf32> -> tensor<5x4xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]]
func.func @forward(%a: tensor<3x4xf32> {nn.name = "a", nn.role = "param"},
                   %b: tensor<5x4xf32> {nn.name = "b", nn.role = "param"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.matmul %a, %b transpose_rhs true : tensor<3x4xf32>, tensor<5x4xf32> -> tensor<3x5xf32>
  %1 = nn.reduce_sum %0 : tensor<3x5xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// matmul of a [?, k] input: dB = A^T @ dY contracts over the batch in one
// matmul (transpose_lhs), with no [?, k, n] outer products.
// CHECK-LABEL: func.func @grad
// CHECK-NOT: nn.mul
// CHECK: %[[DW:.*]] = nn.matmul %arg0, %{{.*}} transpose_lhs true : tensor<?x64xf32>, tensor<?x10xf32> -> tensor<64x10xf32>
// CHECK: return %{{.*}}, %[[DW]]
func.func @forward(%x: tensor<?x64xf32> {nn.name = "x", nn.role = "input"},
                   %w: tensor<64x10xf32> {nn.name = "w", nn.role = "param"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.matmul %x, %w : tensor<?x64xf32>, tensor<64x10xf32> -> tensor<?x10xf32>
  %1 = nn.reduce_sum %0 : tensor<?x10xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// softmax and log_softmax through their backward ops, which read the
// forward result; the axis is kept.
// CHECK-LABEL: func.func @grad
// CHECK: %[[S:.*]] = nn.softmax %arg0 axis 0 : tensor<4x10xf32>
// CHECK: %[[L:.*]] = nn.log_softmax %[[S]] : tensor<4x10xf32>
// CHECK: %[[DL:.*]] = nn.log_softmax_grad %[[L]], %{{.*}} : tensor<4x10xf32>
// CHECK: %[[DS:.*]] = nn.softmax_grad %[[S]], %[[DL]] axis 0 : tensor<4x10xf32>
// CHECK: return %{{.*}}, %[[DS]]
func.func @forward(%w: tensor<4x10xf32> {nn.name = "w", nn.role = "param"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.softmax %w axis 0 : tensor<4x10xf32>
  %1 = nn.log_softmax %0 : tensor<4x10xf32>
  %2 = nn.reduce_sum %1 : tensor<4x10xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// reduce_sum without keepdims: reshape to the keepdims form, broadcast back.
// reduce_mean divides by the count first; reduce_max has a backward op.
// CHECK-LABEL: func.func @grad
// CHECK: %[[MAX:.*]] = nn.reduce_max %arg0 axes [1] keepdims true : tensor<4x6x8xf32> -> tensor<4x1x8xf32>
// CHECK: %[[MEAN:.*]] = nn.reduce_mean %[[MAX]] axes [0, 2] : tensor<4x1x8xf32> -> tensor<1xf32>
// CHECK: %[[SEED:.*]] = nn.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[K:.*]] = nn.reshape %[[SEED]] shape [1] : tensor<f32> -> tensor<1xf32>
// CHECK: %[[COUNT:.*]] = nn.constant dense<3.200000e+01> : tensor<f32>
// CHECK: %[[SCALED:.*]] = nn.div %[[K]], %[[COUNT]] : tensor<1xf32>, tensor<f32> -> tensor<1xf32>
// CHECK: %[[R:.*]] = nn.reshape %[[SCALED]] shape [1, 1, 1] : tensor<1xf32> -> tensor<1x1x1xf32>
// CHECK: %[[B:.*]] = nn.broadcast_to %[[R]] shape [4, 1, 8] : tensor<1x1x1xf32> -> tensor<4x1x8xf32>
// CHECK: %[[DX:.*]] = nn.reduce_max_grad %arg0, %[[MAX]], %[[B]] axes [1] keepdims true : tensor<4x6x8xf32>, tensor<4x1x8xf32>
// CHECK: return %{{.*}}, %[[DX]]
func.func @forward(%w: tensor<4x6x8xf32> {nn.name = "w", nn.role = "param"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.reduce_max %w axes [1] keepdims true : tensor<4x6x8xf32> -> tensor<4x1x8xf32>
  %1 = nn.reduce_mean %0 axes [0, 2] : tensor<4x1x8xf32> -> tensor<1xf32>
  %2 = nn.reduce_sum %1 axes [0] : tensor<1xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// A mean over the dynamic batch counts the rows at run time: one element
// per row, pow(x, 0) = 1, summed, times the static extents.
// CHECK-LABEL: func.func @grad
// CHECK: %[[X:.*]] = nn.add %arg0, %arg1
// CHECK: %[[ROWS:.*]] = nn.slice %[[X]] axes [1] starts [0] ends [1] : tensor<?x10xf32> -> tensor<?x1xf32>
// CHECK: %[[FLAT:.*]] = nn.reshape %[[ROWS]] shape [-1] : tensor<?x1xf32> -> tensor<?xf32>
// CHECK: %[[ZERO:.*]] = nn.constant dense<0.000000e+00> : tensor<f32>
// CHECK: %[[ONES:.*]] = nn.pow %[[FLAT]], %[[ZERO]] : tensor<?xf32>, tensor<f32> -> tensor<?xf32>
// CHECK: %[[BATCH:.*]] = nn.reduce_sum %[[ONES]] : tensor<?xf32> -> tensor<f32>
// CHECK: %[[TEN:.*]] = nn.constant dense<1.000000e+01> : tensor<f32>
// CHECK: %[[N:.*]] = nn.mul %[[BATCH]], %[[TEN]] : tensor<f32>, tensor<f32> -> tensor<f32>
// CHECK: %[[S:.*]] = nn.div %{{.*}}, %[[N]] : tensor<f32>, tensor<f32> -> tensor<f32>
// CHECK: %[[R:.*]] = nn.reshape %[[S]] shape [1, 1] : tensor<f32> -> tensor<1x1xf32>
// CHECK: %[[DY:.*]] = nn.broadcast_to %[[R]] shape [-1, 10] : tensor<1x1xf32> -> tensor<?x10xf32>
// CHECK: %[[DB:.*]] = nn.reduce_sum %[[DY]] axes [0] : tensor<?x10xf32> -> tensor<10xf32>
// CHECK: return %{{.*}}, %[[DB]]
func.func @forward(%b: tensor<10xf32> {nn.name = "b", nn.role = "param"},
                   %x: tensor<?x10xf32> {nn.name = "x", nn.role = "input"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.add %b, %x : tensor<10xf32>, tensor<?x10xf32> -> tensor<?x10xf32>
  %1 = nn.reduce_mean %0 : tensor<?x10xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// reshape back (-1 for the batch), transpose by the inverse permutation,
// broadcast_to reduced to the operand's shape.
// CHECK-LABEL: func.func @grad
// CHECK: %[[BC:.*]] = nn.broadcast_to %arg0 shape [-1, 2, 3, 4] : tensor<2x1x4xf32> -> tensor<?x2x3x4xf32>
// CHECK: %[[T:.*]] = nn.transpose %[[BC]] perm [0, 3, 1, 2] : tensor<?x2x3x4xf32> -> tensor<?x4x2x3xf32>
// CHECK: %[[R:.*]] = nn.reshape %[[T]] shape [-1, 24] : tensor<?x4x2x3xf32> -> tensor<?x24xf32>
// CHECK: %[[DT:.*]] = nn.reshape %[[DY:.*]] shape [-1, 4, 2, 3] : tensor<?x24xf32> -> tensor<?x4x2x3xf32>
// CHECK: %[[DBC:.*]] = nn.transpose %[[DT]] perm [0, 2, 3, 1] : tensor<?x4x2x3xf32> -> tensor<?x2x3x4xf32>
// CHECK: %[[S:.*]] = nn.reduce_sum %[[DBC]] axes [0, 2] keepdims true : tensor<?x2x3x4xf32> -> tensor<1x2x1x4xf32>
// CHECK: %[[DW:.*]] = nn.reshape %[[S]] shape [2, 1, 4] : tensor<1x2x1x4xf32> -> tensor<2x1x4xf32>
// CHECK: return %{{.*}}, %[[DW]]
func.func @forward(%w: tensor<2x1x4xf32> {nn.name = "w", nn.role = "param"},
                   %x: tensor<?x24xf32> {nn.name = "x", nn.role = "input"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.broadcast_to %w shape [-1, 2, 3, 4] : tensor<2x1x4xf32> -> tensor<?x2x3x4xf32>
  %1 = nn.transpose %0 perm [0, 3, 1, 2] : tensor<?x2x3x4xf32> -> tensor<?x4x2x3xf32>
  %2 = nn.reshape %1 shape [-1, 24] : tensor<?x4x2x3xf32> -> tensor<?x24xf32>
  %3 = nn.mul %2, %x : tensor<?x24xf32>, tensor<?x24xf32> -> tensor<?x24xf32>
  %4 = nn.reduce_sum %3 : tensor<?x24xf32> -> tensor<f32>
  return %4 : tensor<f32>
}

// -----

// concat: a slice per operand along the (normalised) axis; slice: slice_grad
// into the operand's shape, the batch spelled -1.
// CHECK-LABEL: func.func @grad
// CHECK: %[[C:.*]] = nn.concat %arg0, %arg1 axis -1 : tensor<3x2xf32>, tensor<3x5xf32> -> tensor<3x7xf32>
// CHECK: %[[DC:.*]] = nn.slice_grad %{{.*}} shape [3, 7] axes [1] starts [1] ends [7] steps [2] : tensor<3x3xf32> -> tensor<3x7xf32>
// CHECK: %[[DA:.*]] = nn.slice %[[DC]] axes [1] starts [0] ends [2] : tensor<3x7xf32> -> tensor<3x2xf32>
// CHECK: %[[DB:.*]] = nn.slice %[[DC]] axes [1] starts [2] ends [7] : tensor<3x7xf32> -> tensor<3x5xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]]
func.func @forward(%a: tensor<3x2xf32> {nn.name = "a", nn.role = "param"},
                   %b: tensor<3x5xf32> {nn.name = "b", nn.role = "param"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.concat %a, %b axis -1 : tensor<3x2xf32>, tensor<3x5xf32> -> tensor<3x7xf32>
  %1 = nn.slice %0 axes [1] starts [1] ends [7] steps [2] : tensor<3x7xf32> -> tensor<3x3xf32>
  %2 = nn.reduce_sum %1 : tensor<3x3xf32> -> tensor<f32>
  return %2 : tensor<f32>
}

// -----

// gather: gather_grad scatters into the table's shape; the integer indices
// get no gradient.
// CHECK-LABEL: func.func @grad
// CHECK: %[[DT:.*]] = nn.gather_grad %{{.*}}, %arg1 shape [100, 8] : tensor<?x16x8xf32>, tensor<?x16xi32> -> tensor<100x8xf32>
// CHECK: return %{{.*}}, %[[DT]]
func.func @forward(%table: tensor<100x8xf32> {nn.name = "table", nn.role = "param"},
                   %ids: tensor<?x16xi32> {nn.name = "ids", nn.role = "input"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.gather %table, %ids : tensor<100x8xf32>, tensor<?x16xi32> -> tensor<?x16x8xf32>
  %1 = nn.reduce_sum %0 : tensor<?x16x8xf32> -> tensor<f32>
  return %1 : tensor<f32>
}
