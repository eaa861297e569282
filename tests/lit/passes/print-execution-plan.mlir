// RUN: nnc-opt %s -split-input-file -verify-diagnostics --nn-print-execution-plan=in-place=false -o /dev/null | FileCheck %s
// RUN: nnc-opt %s -split-input-file -verify-diagnostics "--nn-print-execution-plan=print-kernels in-place=false" -o /dev/null | FileCheck %s --check-prefix=KERNELS
// One kernel per op, dependencies from the data flow, intermediates in an
// arena that reuses the bytes of dead values, results written in place.
// In-place computation (in-place=true, the default) is tested in
// fusion-plan.mlir.

// A chain: kernel_0's result is dead once kernel_1 ran, so kernel_2's result
// takes its bytes; the last result goes straight to the caller's buffer.
// CHECK-LABEL: execution plan for @chain
// CHECK-NEXT: plan: 5 values, 4 kernels, arena 256 bytes
// CHECK-NEXT: value 0 'x' f32[4, 8] 128 bytes input 0
// CHECK-NEXT: value 1 'kernel_0.0' f32[4, 8] 128 bytes arena [0, 128)
// CHECK-NEXT: value 2 'kernel_1.0' f32[4, 8] 128 bytes arena [128, 256)
// CHECK-NEXT: value 3 'kernel_2.0' f32[4, 8] 128 bytes arena [0, 128)
// CHECK-NEXT: value 4 'y' f32[4, 8] 128 bytes output 0
// CHECK-NEXT: kernel 0 nn.relu reads (0) writes (1) after ()
// CHECK-NEXT: kernel 1 nn.neg reads (1) writes (2) after (0)
// CHECK-NEXT: kernel 2 nn.exp reads (2) writes (3) after (1)
// CHECK-NEXT: kernel 3 nn.abs reads (3) writes (4) after (2)
// CHECK-NEXT: input 0 'x' (input) = value 0
// CHECK-NEXT: output 0 'y' (output) = value 4

// KERNELS-LABEL: execution plan for @chain
// KERNELS: func.func @kernel_0(%{{.*}}: tensor<4x8xf32>) -> tensor<4x8xf32>
// KERNELS-NEXT: nn.relu
// KERNELS-NEXT: return
// KERNELS: func.func @kernel_3(%{{.*}}: tensor<4x8xf32>) -> tensor<4x8xf32>
// KERNELS-NEXT: nn.abs
func.func @chain(%x: tensor<4x8xf32> {nn.name = "x", nn.role = "input"})
    -> (tensor<4x8xf32> {nn.name = "y", nn.role = "output"}) {
  %0 = nn.relu %x : tensor<4x8xf32>
  %1 = nn.neg %0 : tensor<4x8xf32>
  %2 = nn.exp %1 : tensor<4x8xf32>
  %3 = nn.abs %2 : tensor<4x8xf32>
  return %3 : tensor<4x8xf32>
}

// -----

// A diamond: the two branches may run at the same time, so neither may take
// the other's bytes nor those of the value both read.
// CHECK-LABEL: execution plan for @diamond
// CHECK-NEXT: plan: 5 values, 4 kernels, arena 384 bytes
// CHECK-NEXT: value 0 '' f32[4, 8] 128 bytes input 0
// CHECK-NEXT: value 1 'kernel_0.0' f32[4, 8] 128 bytes arena [0, 128)
// CHECK-NEXT: value 2 'kernel_1.0' f32[4, 8] 128 bytes arena [128, 256)
// CHECK-NEXT: value 3 'kernel_2.0' f32[4, 8] 128 bytes arena [256, 384)
// CHECK-NEXT: value 4 'kernel_3.0' f32[4, 8] 128 bytes output 0
// CHECK-NEXT: kernel 0 nn.relu reads (0) writes (1) after ()
// CHECK-NEXT: kernel 1 nn.neg reads (1) writes (2) after (0)
// CHECK-NEXT: kernel 2 nn.exp reads (1) writes (3) after (0)
// CHECK-NEXT: kernel 3 nn.add reads (2, 3) writes (4) after (1, 2)
func.func @diamond(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = nn.relu %x : tensor<4x8xf32>
  %1 = nn.neg %0 : tensor<4x8xf32>
  %2 = nn.exp %0 : tensor<4x8xf32>
  %3 = nn.add %1, %2 : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  return %3 : tensor<4x8xf32>
}

// -----

// A constant is a kernel without arguments; an operand used twice is one
// argument; a returned argument and a value returned twice are copied (the
// second binding names a value that is not its own output).
// CHECK-LABEL: execution plan for @edges
// CHECK-NEXT: plan: 4 values, 3 kernels, arena 64 bytes
// CHECK-NEXT: value 0 'a' f32[2, 3] 24 bytes input 0
// CHECK-NEXT: value 1 'kernel_0.0' f32[2, 3] 24 bytes arena [0, 24)
// CHECK-NEXT: value 2 'p' f32[2, 3] 24 bytes output 0
// CHECK-NEXT: value 3 'kernel_2.0' f32[2, 3] 24 bytes output 3
// CHECK-NEXT: kernel 0 nn.constant reads () writes (1) after ()
// CHECK-NEXT: kernel 1 nn.mul reads (0) writes (2) after ()
// CHECK-NEXT: kernel 2 nn.add reads (2, 1) writes (3) after (0, 1)
// CHECK-NEXT: input 0 'a' (param) = value 0
// CHECK-NEXT: output 0 'p' (output) = value 2
// CHECK-NEXT: output 1 'q' (output) = value 2
// CHECK-NEXT: output 2 'r' (output) = value 0
// CHECK-NEXT: output 3 '' = value 3

// KERNELS-LABEL: execution plan for @edges
// KERNELS: func.func @kernel_0() -> tensor<2x3xf32>
// KERNELS: func.func @kernel_1(%[[A:.*]]: tensor<2x3xf32>) -> tensor<2x3xf32>
// KERNELS-NEXT: nn.mul %[[A]], %[[A]]
func.func @edges(%a: tensor<2x3xf32> {nn.name = "a", nn.role = "param"})
    -> (tensor<2x3xf32> {nn.name = "p", nn.role = "output"},
        tensor<2x3xf32> {nn.name = "q", nn.role = "output"},
        tensor<2x3xf32> {nn.name = "r", nn.role = "output"},
        tensor<2x3xf32>) {
  %c = nn.constant dense<1.0> : tensor<2x3xf32>
  %0 = nn.mul %a, %a : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  %1 = nn.add %0, %c : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  return %0, %0, %a, %1 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// The batch must be specialised first.
// expected-error @+1 {{argument 0 'x' has type 'tensor<?x8xf32>', which is not a static tensor; run nn-specialize-batch before planning}}
func.func @dynamic(%x: tensor<?x8xf32> {nn.name = "x"}) -> tensor<?x8xf32> {
  %0 = nn.relu %x : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// Roles are those of rt::BindingRole: an argument's unknown one is refused.
// expected-error @+1 {{argument 0 'x' has unknown role 'weights'}}
func.func @unknown_argument_role(%x: tensor<4xf32> {nn.name = "x", nn.role = "weights"}) -> tensor<4xf32> {
  %0 = nn.relu %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// So is a result's, at the return.
func.func @unknown_result_role(%x: tensor<4xf32>) -> (tensor<4xf32> {nn.name = "y", nn.role = "prediction"}) {
  %0 = nn.relu %x : tensor<4xf32>
  // expected-error @+1 {{result 0 'y' has unknown role 'prediction'}}
  return %0 : tensor<4xf32>
}
