//===- OptimizerConformanceTest.cpp - sgd, momentum and adam updates ------===//
//
// The optimizer ops of docs/autodiff.md against steps of PyTorch's rules
// worked out by hand. The training step updates parameters and optimizer
// state in place, so some cases write the results into the argument
// buffers, as a memory plan that reuses them does.
//
//===----------------------------------------------------------------------===//

#include "tests/conformance/ConformanceTest.h"

#include <cmath>

using namespace nnc;
using namespace nnc::conformance;

TEST_P(BackendConformance, SgdUpdateWithWeightDecay) {
  // 1 - 0.1 (0.5 + 0.01 * 1) = 0.949; -2 - 0.1 (0.25 + 0.01 * -2) = -2.023.
  KernelRun out =
      run(R"mlir(
    func.func @kernel_0(%p: tensor<2xf64>, %g: tensor<2xf64>, %lr: tensor<f64>) -> tensor<2xf64> {
      %p1 = nn.sgd_update %p, %g, %lr {weight_decay = 1.000000e-02 : f64} : tensor<2xf64>, tensor<f64>
      return %p1 : tensor<2xf64>
    })mlir",
          {f64({2}, {1, -2}), f64({2}, {0.5, 0.25}), f64({}, {0.1})});
  if (!out)
    return;
  expectClose(out[0], {2}, {0.949, -2.023}, 1e-12);
}

TEST_P(BackendConformance, SgdUpdateInPlaceWithF32LearningRate) {
  KernelRun out =
      run(R"mlir(
    func.func @kernel_0(%p: tensor<3xf32>, %g: tensor<3xf32>, %lr: tensor<f32>) -> tensor<3xf32> {
      %p1 = nn.sgd_update %p, %g, %lr : tensor<3xf32>, tensor<f32>
      return %p1 : tensor<3xf32>
    })mlir",
          {f32({3}, {1, 2, 3}), f32({3}, {1, -1, 2}), f32({}, {0.5f})},
          {/*kernel=*/0, /*resultIntoArgument=*/{{0, 0}}});
  if (!out)
    return;
  expectClose(out[0], {3}, {0.5, 2.5, 2});
}

TEST_P(BackendConformance, MomentumUpdateWithWeightDecay) {
  // g = 1 + 0.1 * 2 = 1.2; v' = 0.5 * 3 + 1.2 = 2.7; p' = 2 - 0.1 * 2.7.
  KernelRun out =
      run(R"mlir(
    func.func @kernel_0(%p: tensor<1xf32>, %g: tensor<1xf32>, %v: tensor<1xf32>, %lr: tensor<f32>) -> (tensor<1xf32>, tensor<1xf32>) {
      %p1, %v1 = nn.momentum_update %p, %g, %v, %lr {momentum = 5.000000e-01 : f64, weight_decay = 1.000000e-01 : f64} : tensor<1xf32>, tensor<f32>
      return %p1, %v1 : tensor<1xf32>, tensor<1xf32>
    })mlir",
          {f32({1}, {2}), f32({1}, {1}), f32({1}, {3}), f32({}, {0.1f})});
  if (!out)
    return;
  expectClose(out[0], {1}, {1.73});
  expectClose(out[1], {1}, {2.7});
}

TEST_P(BackendConformance, MomentumUpdateNesterovInPlace) {
  // Zero velocity, momentum 0.9, lr 0.1, grads [1, -2]: v' = g, the step is
  // g + 0.9 g = 1.9 g: p' = [1 - 0.19, 1 + 0.38].
  KernelRun out = run(
      R"mlir(
    func.func @kernel_0(%p: tensor<2xf64>, %g: tensor<2xf64>, %v: tensor<2xf64>, %lr: tensor<f64>) -> (tensor<2xf64>, tensor<2xf64>) {
      %p1, %v1 = nn.momentum_update %p, %g, %v, %lr {nesterov = true} : tensor<2xf64>, tensor<f64>
      return %p1, %v1 : tensor<2xf64>, tensor<2xf64>
    })mlir",
      {f64({2}, {1, 1}), f64({2}, {1, -2}), f64({2}, {0, 0}), f64({}, {0.1})},
      {/*kernel=*/0, /*resultIntoArgument=*/{{0, 0}, {1, 2}}});
  if (!out)
    return;
  expectClose(out[0], {2}, {0.81, 1.38}, 1e-12);
  expectClose(out[1], {2}, {1, -2}, 1e-12);
}

TEST_P(BackendConformance, AdamUpdateFirstStep) {
  // t = 1, g = 0.5: m' = 0.05, v' = 0.00025; bias-corrected 0.5 and 0.25,
  // so p' = 1 - 0.1 * 0.5 / (0.5 + 1e-8).
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%p: tensor<1xf64>, %g: tensor<1xf64>, %m: tensor<1xf64>, %v: tensor<1xf64>, %t: tensor<i64>, %lr: tensor<f64>) -> (tensor<1xf64>, tensor<1xf64>, tensor<1xf64>) {
      %p1, %m1, %v1 = nn.adam_update %p, %g, %m, %v, %t, %lr : tensor<1xf64>, tensor<f64>
      return %p1, %m1, %v1 : tensor<1xf64>, tensor<1xf64>, tensor<1xf64>
    })mlir",
                      {f64({1}, {1}), f64({1}, {0.5}), f64({1}, {0}),
                       f64({1}, {0}), i64({}, {1}), f64({}, {0.1})});
  if (!out)
    return;
  expectClose(out[0], {1}, {1 - 0.1 * 0.5 / (0.5 + 1e-8)}, 1e-14);
  expectClose(out[1], {1}, {0.05}, 1e-14);
  expectClose(out[2], {1}, {0.00025}, 1e-14);
}

TEST_P(BackendConformance, AdamUpdateSecondStepInPlace) {
  // From m = 0.05, v = 0.00025 at t = 2 with g = -1: m' = 0.045 - 0.1 =
  // -0.055, v' = 0.00024975 + 0.001 = 0.00124975; corrections 1 - 0.81 =
  // 0.19 and 1 - 0.998001 = 0.001999.
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%p: tensor<1xf64>, %g: tensor<1xf64>, %m: tensor<1xf64>, %v: tensor<1xf64>, %t: tensor<i64>, %lr: tensor<f64>) -> (tensor<1xf64>, tensor<1xf64>, tensor<1xf64>) {
      %p1, %m1, %v1 = nn.adam_update %p, %g, %m, %v, %t, %lr : tensor<1xf64>, tensor<f64>
      return %p1, %m1, %v1 : tensor<1xf64>, tensor<1xf64>, tensor<1xf64>
    })mlir",
                      {f64({1}, {0.9}), f64({1}, {-1}), f64({1}, {0.05}),
                       f64({1}, {0.00025}), i64({}, {2}), f64({}, {0.1})},
                      {/*kernel=*/0,
                       /*resultIntoArgument=*/{{0, 0}, {1, 2}, {2, 3}}});
  if (!out)
    return;
  expectClose(
      out[0], {1},
      {0.9 - 0.1 * (-0.055 / 0.19) / (std::sqrt(0.00124975 / 0.001999) + 1e-8)},
      1e-12);
  expectClose(out[1], {1}, {-0.055}, 1e-12);
  expectClose(out[2], {1}, {0.00124975}, 1e-12);
}

TEST_P(BackendConformance, AdamUpdateL2AndAdamWDecay) {
  // wd 0.1, lr 0.1, p = 1, g = 0.5, t = 1. Adam adds wd p to g: g = 0.6, a
  // step of 0.1 * 0.6 / (0.6 + 1e-8). AdamW first scales p by 1 - 0.01,
  // then takes the plain step of 0.1 * 0.5 / (0.5 + 1e-8).
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%p: tensor<1xf64>, %g: tensor<1xf64>, %m: tensor<1xf64>, %v: tensor<1xf64>, %t: tensor<i64>, %lr: tensor<f64>) -> (tensor<1xf64>, tensor<1xf64>, tensor<1xf64>, tensor<1xf64>, tensor<1xf64>, tensor<1xf64>) {
      %p1, %m1, %v1 = nn.adam_update %p, %g, %m, %v, %t, %lr {weight_decay = 1.000000e-01 : f64} : tensor<1xf64>, tensor<f64>
      %p2, %m2, %v2 = nn.adam_update %p, %g, %m, %v, %t, %lr {weight_decay = 1.000000e-01 : f64, decoupled = true} : tensor<1xf64>, tensor<f64>
      return %p1, %m1, %v1, %p2, %m2, %v2 : tensor<1xf64>, tensor<1xf64>, tensor<1xf64>, tensor<1xf64>, tensor<1xf64>, tensor<1xf64>
    })mlir",
                      {f64({1}, {1}), f64({1}, {0.5}), f64({1}, {0}),
                       f64({1}, {0}), i64({}, {1}), f64({}, {0.1})});
  if (!out)
    return;
  expectClose(out[0], {1}, {1 - 0.1 * 0.6 / (0.6 + 1e-8)}, 1e-14);
  expectClose(out[1], {1}, {0.06}, 1e-14);
  expectClose(out[2], {1}, {0.00036}, 1e-14);
  expectClose(out[3], {1}, {0.99 - 0.1 * 0.5 / (0.5 + 1e-8)}, 1e-14);
  expectClose(out[4], {1}, {0.05}, 1e-14);
  expectClose(out[5], {1}, {0.00025}, 1e-14);
}

TEST_P(BackendConformance, AdamUpdateCustomBetasInF32) {
  // beta1 0.5, beta2 0.75, eps 0, t = 1, g = 2: m' = 1, v' = 1; corrected
  // 2 and 4, so p' = 3 - 0.25 * 2 / 2.
  KernelRun out = run(R"mlir(
    func.func @kernel_0(%p: tensor<1xf32>, %g: tensor<1xf32>, %m: tensor<1xf32>, %v: tensor<1xf32>, %t: tensor<i64>, %lr: tensor<f32>) -> (tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) {
      %p1, %m1, %v1 = nn.adam_update %p, %g, %m, %v, %t, %lr {beta1 = 5.000000e-01 : f64, beta2 = 7.500000e-01 : f64, eps = 0.000000e+00 : f64} : tensor<1xf32>, tensor<f32>
      return %p1, %m1, %v1 : tensor<1xf32>, tensor<1xf32>, tensor<1xf32>
    })mlir",
                      {f32({1}, {3}), f32({1}, {2}), f32({1}, {0}),
                       f32({1}, {0}), i64({}, {1}), f32({}, {0.25f})});
  if (!out)
    return;
  expectClose(out[0], {1}, {2.75});
  expectClose(out[1], {1}, {1});
  expectClose(out[2], {1}, {1});
}
