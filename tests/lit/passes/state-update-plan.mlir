// RUN: nnc-opt %s --nn-print-execution-plan -o /dev/null | FileCheck %s
// RUN: nnc-opt %s "--nn-print-execution-plan=in-place=false" -o /dev/null | FileCheck %s --check-prefix=NOINPLACE

// A training step's state updates take their state's buffer. w's update
// waits for every other reader of w (sqrt runs beside the gradient, so it
// becomes a dependency); v's has no other reader. u is read after its
// update in the kernel order (tanh), which cannot wait, so u's update keeps
// a buffer of its own, as plain outputs always do.
// CHECK-LABEL: execution plan for @state_updates
// CHECK: value 6 'o' f32[3, 3] 36 bytes output 0{{$}}
// CHECK: value 7 'w' f32[3, 3] 36 bytes output 2 in place of 0
// CHECK-NEXT: value 8 'w.velocity' f32[3, 3] 36 bytes output 3 in place of 1
// CHECK-NEXT: value 9 'u' f32[3, 3] 36 bytes output 4{{$}}
// CHECK: kernel 2 nn.sqrt reads (0) writes (6) after ()
// CHECK-NEXT: kernel 3 nn.momentum_update reads (0, 5, 1, 3) writes (7, 8) after (0, 1, 2)
// NOINPLACE-NOT: in place
func.func @state_updates(%w: tensor<3x3xf32> {nn.name = "w", nn.role = "param"},
                         %v: tensor<3x3xf32> {nn.name = "w.velocity", nn.role = "opt_state"},
                         %u: tensor<3x3xf32> {nn.name = "u", nn.role = "param"},
                         %lr: tensor<f32> {nn.name = "lr", nn.role = "lr"})
    -> (tensor<3x3xf32> {nn.name = "o", nn.role = "output"},
        tensor<3x3xf32> {nn.name = "z", nn.role = "output"},
        tensor<3x3xf32> {nn.name = "w", nn.role = "param_update"},
        tensor<3x3xf32> {nn.name = "w.velocity", nn.role = "opt_state_update"},
        tensor<3x3xf32> {nn.name = "u", nn.role = "param_update"}) {
  %a = nn.exp %w : tensor<3x3xf32>
  %g = nn.neg %a : tensor<3x3xf32>
  %o = nn.sqrt %w : tensor<3x3xf32>
  %w1, %v1 = nn.momentum_update %w, %g, %v, %lr : tensor<3x3xf32>, tensor<f32>
  %u1 = nn.sgd_update %u, %g, %lr : tensor<3x3xf32>, tensor<f32>
  %z = nn.tanh %u : tensor<3x3xf32>
  return %o, %z, %w1, %v1, %u1 : tensor<3x3xf32>, tensor<3x3xf32>, tensor<3x3xf32>, tensor<3x3xf32>, tensor<3x3xf32>
}
