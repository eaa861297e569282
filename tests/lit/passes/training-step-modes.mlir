// RUN: nnc-opt %s --nn-training-step=optimizer=momentum | FileCheck %s
// In @train_step batch-norm and dropout run in training mode, dropout draws
// its mask from `step`, and the batch norm's new running statistics are the
// updated buffers; a buffer nothing updates is returned as it is.

module {
  func.func @forward(%x: tensor<?x4xf32> {nn.name = "x", nn.role = "input"},
                     %t: tensor<?x4xf32> {nn.name = "t", nn.role = "input"},
                     %g: tensor<4xf32> {nn.name = "bn.gamma", nn.role = "param"},
                     %b: tensor<4xf32> {nn.name = "bn.beta", nn.role = "param"},
                     %m: tensor<4xf32> {nn.name = "bn.mean", nn.role = "buffer"},
                     %v: tensor<4xf32> {nn.name = "bn.var", nn.role = "buffer"},
                     %k: tensor<4xf32> {nn.name = "other", nn.role = "buffer"})
      -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}) {
    %y, %nm, %nv = nn.batch_norm %x, %g, %b, %m, %v : tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32> -> tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>
    %d = nn.dropout %y {rate = 2.500000e-01 : f64, seed = 3 : i64} : tensor<?x4xf32>
    %l = nn.mse %d, %t : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<f32>
    return %l : tensor<f32>
  }
}

// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %arg7: tensor<4xf32> {nn.name = "bn.gamma.velocity", nn.role = "opt_state"}, %arg8: tensor<4xf32> {nn.name = "bn.beta.velocity", nn.role = "opt_state"}, %arg9: tensor<i64> {nn.name = "step", nn.role = "step"}, %arg10: tensor<f32> {nn.name = "lr", nn.role = "lr"})
// CHECK-SAME: -> (tensor<f32> {nn.name = "loss", nn.role = "loss"}, tensor<4xf32> {nn.name = "bn.gamma", nn.role = "param_update"}, tensor<4xf32> {nn.name = "bn.beta", nn.role = "param_update"}, tensor<4xf32> {nn.name = "bn.mean", nn.role = "buffer_update"}, tensor<4xf32> {nn.name = "bn.var", nn.role = "buffer_update"}, tensor<4xf32> {nn.name = "other", nn.role = "buffer_update"}, tensor<4xf32> {nn.name = "bn.gamma.velocity", nn.role = "opt_state_update"}, tensor<4xf32> {nn.name = "bn.beta.velocity", nn.role = "opt_state_update"})
// CHECK: %[[Y:.*]], %[[MEAN:.*]], %[[VAR:.*]] = nn.batch_norm %arg0, %arg2, %arg3, %arg4, %arg5 {training = true}
// CHECK: nn.dropout %[[Y]], %arg9 {rate = 2.500000e-01 : f64, seed = 3 : i64, training = true}
// CHECK: nn.dropout_grad %{{.*}}, %arg9 {{.*}}training = true
// CHECK: %[[G:.*]], %[[GV:.*]] = nn.momentum_update %arg2
// CHECK: %[[B:.*]], %[[BV:.*]] = nn.momentum_update %arg3
// CHECK: return %{{.*}}, %[[G]], %[[B]], %[[MEAN]], %[[VAR]], %arg6, %[[GV]], %[[BV]] :
