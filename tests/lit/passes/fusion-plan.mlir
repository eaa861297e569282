// RUN: nnc-opt %s -split-input-file --nn-print-execution-plan -o /dev/null | FileCheck %s --check-prefix=BEFORE
// RUN: nnc-opt %s -split-input-file --nn-fuse "--nn-print-execution-plan=print-kernels" -o /dev/null | FileCheck %s --check-prefix=AFTER
// RUN: nnc-opt %s -split-input-file --nn-fuse "--nn-print-execution-plan=in-place=false" -o /dev/null | FileCheck %s --check-prefix=NOINPLACE
// What fusion does to the execution plan: one kernel per nn.fusion, whose
// function is the group's body, intermediates of a group out of the arena,
// and results computed in place of operands read for the last time.

// Five kernels become two: the matmul with its epilogue, then the mean.
// Unfused, each elementwise kernel writes over the value it reads last.
// BEFORE-LABEL: execution plan for @mlp
// BEFORE-NEXT: plan: 8 values, 5 kernels, arena 64 bytes
// BEFORE: value 4 'kernel_1.0' f32[4, 2] 32 bytes arena [0, 32) in place of 3
// BEFORE: value 5 'kernel_2.0' f32[4, 2] 32 bytes arena [0, 32) in place of 4
// BEFORE: value 6 'kernel_3.0' f32[4, 2] 32 bytes arena [0, 32) in place of 5
// AFTER-LABEL: execution plan for @mlp
// AFTER-NEXT: plan: 5 values, 2 kernels, arena 64 bytes
// AFTER: kernel 0 nn.fusion[nn.matmul,nn.add,nn.relu,nn.mul] reads (0, 1, 2) writes (3) after ()
// AFTER-NEXT: kernel 1 nn.reduce_mean reads (3) writes (4) after (0)
// AFTER: func.func @kernel_0(%[[X:.*]]: tensor<4x3xf32>, %[[W:.*]]: tensor<3x2xf32>, %[[B:.*]]: tensor<2xf32>) -> tensor<4x2xf32>
// AFTER-NEXT: %[[M:.*]] = nn.matmul %[[X]], %[[W]]
// AFTER-NEXT: %[[A:.*]] = nn.add %[[M]], %[[B]]
// AFTER-NEXT: %[[R:.*]] = nn.relu %[[A]]
// AFTER-NEXT: %[[S:.*]] = nn.mul %[[R]], %[[R]]
// AFTER-NEXT: return %[[S]]
// AFTER: func.func @kernel_1
// AFTER-NEXT: nn.reduce_mean
func.func @mlp(%x: tensor<4x3xf32> {nn.name = "x", nn.role = "input"},
               %w: tensor<3x2xf32> {nn.name = "w", nn.role = "param"},
               %b: tensor<2xf32> {nn.name = "b", nn.role = "param"})
    -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
  %0 = nn.matmul %x, %w : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
  %1 = nn.add %0, %b : tensor<4x2xf32>, tensor<2xf32> -> tensor<4x2xf32>
  %2 = nn.relu %1 : tensor<4x2xf32>
  %3 = nn.mul %2, %2 : tensor<4x2xf32>, tensor<4x2xf32> -> tensor<4x2xf32>
  %4 = nn.reduce_mean %3 : tensor<4x2xf32> -> tensor<f32>
  return %4 : tensor<f32>
}

// -----

// exp's value is read by transpose and neg, which may run concurrently, so
// neg may not write over it; add may write over transpose's result, which
// only it reads. Graph inputs and outputs are never overwritten.
// BEFORE-LABEL: execution plan for @in_place
// BEFORE-NEXT: plan: 6 values, 5 kernels, arena 192 bytes
// BEFORE: value 3 'kernel_2.0' f32[4, 4] 64 bytes arena [128, 192)
// BEFORE-NEXT: value 4 'kernel_3.0' f32[4, 4] 64 bytes arena [64, 128) in place of 2
// BEFORE-NEXT: value 5 'y' f32[4, 4] 64 bytes output 0
func.func @in_place(%x: tensor<4x4xf32> {nn.name = "x", nn.role = "input"})
    -> (tensor<4x4xf32> {nn.name = "y", nn.role = "output"}) {
  %0 = nn.exp %x : tensor<4x4xf32>
  %1 = nn.transpose %0 : tensor<4x4xf32> -> tensor<4x4xf32>
  %2 = nn.neg %0 : tensor<4x4xf32>
  %3 = nn.add %1, %2 : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
  %4 = nn.sqrt %3 : tensor<4x4xf32>
  return %4 : tensor<4x4xf32>
}

// -----

// Inside a kernel: neg's result may not take p's bytes, since add reads p
// after it in the same kernel; add's result may.
// AFTER-LABEL: execution plan for @in_place_in_group
// AFTER: value 2 'kernel_1.0' f32[4, 4] 64 bytes arena [64, 128)
// AFTER-NEXT: value 3 'kernel_1.1' f32[4, 4] 64 bytes arena [0, 64) in place of 1
// AFTER: kernel 1 nn.fusion[nn.neg,nn.add] reads (1) writes (2, 3) after (0)
// NOINPLACE-LABEL: execution plan for @in_place_in_group
// NOINPLACE-NOT: in place
// NOINPLACE: output 0 'y'
func.func @in_place_in_group(%x: tensor<4x4xf32> {nn.name = "x", nn.role = "input"})
    -> (tensor<4x4xf32> {nn.name = "y", nn.role = "output"}) {
  %p = nn.transpose %x : tensor<4x4xf32> -> tensor<4x4xf32>
  %0 = nn.neg %p : tensor<4x4xf32>
  %1 = nn.add %p, %0 : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
  %2 = nn.transpose %0 : tensor<4x4xf32> -> tensor<4x4xf32>
  %3 = nn.transpose %1 : tensor<4x4xf32> -> tensor<4x4xf32>
  %4 = nn.sub %2, %3 : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
  return %4 : tensor<4x4xf32>
}

// -----

// A lone reshape writes nothing: it takes its operand's bytes, and the
// backends then move nothing. It does so also while another kernel it does
// not precede still reads the operand (neg reads %2 beside the view %3),
// since neither writes the bytes they share.
// BEFORE-LABEL: execution plan for @reshape_in_place
// BEFORE: plan: 8 values, 7 kernels, arena 128 bytes
// BEFORE: value 2 'kernel_1.0' f32[2, 8] 64 bytes arena [0, 64) in place of 1
// BEFORE: value 4 'kernel_3.0' f32[16] 64 bytes arena [64, 128) in place of 3
// BEFORE: kernel 3 nn.reshape reads (3) writes (4) after (2)
// BEFORE: kernel 4 nn.neg reads (3) writes (5) after (2)
// NOINPLACE-LABEL: execution plan for @reshape_in_place
// NOINPLACE-NOT: in place
// NOINPLACE: output 0 'y'
func.func @reshape_in_place(%x: tensor<4x4xf32> {nn.name = "x", nn.role = "input"})
    -> (tensor<2x8xf32> {nn.name = "y", nn.role = "output"},
        tensor<16xf32> {nn.name = "z", nn.role = "output"},
        tensor<4x4xf32> {nn.name = "w", nn.role = "output"}) {
  %0 = nn.exp %x : tensor<4x4xf32>
  %1 = nn.reshape %0 shape [2, 8] : tensor<4x4xf32> -> tensor<2x8xf32>
  %2 = nn.sqrt %x : tensor<4x4xf32>
  %3 = nn.reshape %2 shape [16] : tensor<4x4xf32> -> tensor<16xf32>
  %4 = nn.neg %2 : tensor<4x4xf32>
  %5 = nn.tanh %1 : tensor<2x8xf32>
  %6 = nn.abs %3 : tensor<16xf32>
  return %5, %6, %4 : tensor<2x8xf32>, tensor<16xf32>, tensor<4x4xf32>
}
