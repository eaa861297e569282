//===- FuseElementwiseChainsTest.cpp - Elementwise chains in one loop -----===//

#include "backends/cpu/compiler/FuseElementwiseChains.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <string>

using namespace mlir;

namespace {

/// The number of linalg.generic ops in `body` (functions on tensors) after
/// fuseElementwiseChains.
int genericsAfterFusion(const std::string &body) {
  DialectRegistry registry;
  registry.insert<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                  math::MathDialect, tensor::TensorDialect>();
  MLIRContext context(registry);
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>("module {\n" + body + "\n}", &context);
  EXPECT_TRUE(module) << "the test's MLIR does not parse";
  if (!module)
    return -1;
  EXPECT_TRUE(succeeded(nnc::cpu::fuseElementwiseChains(*module)));
  EXPECT_TRUE(succeeded(verify(*module)));
  int generics = 0;
  module->walk([&](linalg::GenericOp) { ++generics; });
  return generics;
}

// exp(x) over [4, 8], as the first link of every chain below.
const char *kExp = R"(
  %e0 = tensor.empty() : tensor<4x8xf32>
  %e = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>,
      affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e0 : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = math.exp %a : f32
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
)";

/// A generic over [4, 8] adding `lhs` (read through `lhsMap`) and %y.
std::string addTo(const std::string &name, const std::string &lhs,
                  const std::string &lhsType, const std::string &lhsMap) {
  return "  %" + name + "0 = tensor.empty() : tensor<4x8xf32>\n  %" + name +
         " = linalg.generic {indexing_maps = [" + lhsMap +
         ", affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], "
         "iterator_types = [\"parallel\", \"parallel\"]} ins(%" +
         lhs + ", %y : " + lhsType + ", tensor<4x8xf32>) outs(%" + name +
         "0 : tensor<4x8xf32>) {\n  ^bb0(%a: f32, %b: f32, %o: f32):\n"
         "    %v = arith.addf %a, %b : f32\n    linalg.yield %v : f32\n"
         "  } -> tensor<4x8xf32>\n";
}

} // namespace

TEST(FuseElementwiseChainsTest, ChainBecomesOneLoop) {
  // exp(x) + y: the exp is fused into the add.
  EXPECT_EQ(
      genericsAfterFusion(
          "func.func @f(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> "
          "tensor<4x8xf32> {" +
          std::string(kExp) +
          addTo("s", "e", "tensor<4x8xf32>", "affine_map<(i, j) -> (i, j)>") +
          "  return %s : tensor<4x8xf32>\n}"),
      1);
}

TEST(FuseElementwiseChainsTest, TransposedReadIsStillElementForElement) {
  // exp(x)ᵀ + y over [8, 8], the exp read through (i, j) -> (j, i): a
  // permutation, so each element of the exp is still computed once.
  std::string body = R"(
func.func @f(%x: tensor<8x8xf32>, %y: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %e0 = tensor.empty() : tensor<8x8xf32>
  %e = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>,
      affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x8xf32>) outs(%e0 : tensor<8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = math.exp %a : f32
    linalg.yield %v : f32
  } -> tensor<8x8xf32>
  %s0 = tensor.empty() : tensor<8x8xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(i, j) -> (j, i)>,
      affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
      iterator_types = ["parallel", "parallel"]}
      ins(%e, %y : tensor<8x8xf32>, tensor<8x8xf32>) outs(%s0 : tensor<8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %v = arith.addf %a, %b : f32
    linalg.yield %v : f32
  } -> tensor<8x8xf32>
  return %s : tensor<8x8xf32>
})";
  EXPECT_EQ(genericsAfterFusion(body), 1);
}

TEST(FuseElementwiseChainsTest, ValueWithTwoReadersKeepsItsLoop) {
  // exp(x) + y and exp(x) + y again: fusing would compute the exp twice.
  EXPECT_EQ(
      genericsAfterFusion(
          "func.func @f(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> "
          "(tensor<4x8xf32>, tensor<4x8xf32>) {" +
          std::string(kExp) +
          addTo("s", "e", "tensor<4x8xf32>", "affine_map<(i, j) -> (i, j)>") +
          addTo("t", "e", "tensor<4x8xf32>", "affine_map<(i, j) -> (i, j)>") +
          "  return %s, %t : tensor<4x8xf32>, tensor<4x8xf32>\n}"),
      3);
}

TEST(FuseElementwiseChainsTest, PerRowValueKeepsItsLoop) {
  // exp(r) per row, broadcast along each row of [4, 8]: fused, it would be
  // computed 8 times per row.
  std::string body = R"(
func.func @f(%r: tensor<4xf32>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e0 = tensor.empty() : tensor<4xf32>
  %e = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>,
      affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%r : tensor<4xf32>) outs(%e0 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = math.exp %a : f32
    linalg.yield %v : f32
  } -> tensor<4xf32>
)" + addTo("s", "e", "tensor<4xf32>", "affine_map<(i, j) -> (i)>") +
                     "  return %s : tensor<4x8xf32>\n}";
  EXPECT_EQ(genericsAfterFusion(body), 2);
}

TEST(FuseElementwiseChainsTest, ChainFeedingARowSumBecomesOneLoop) {
  // sum over j of exp(x): the exp is computed inside the reduction.
  std::string body = "func.func @f(%x: tensor<4x8xf32>) -> tensor<4xf32> {" +
                     std::string(kExp) + R"(
  %zero = arith.constant 0.0 : f32
  %s0 = tensor.empty() : tensor<4xf32>
  %s1 = linalg.fill ins(%zero : f32) outs(%s0 : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>,
      affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]}
      ins(%e : tensor<4x8xf32>) outs(%s1 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.addf %o, %a : f32
    linalg.yield %v : f32
  } -> tensor<4xf32>
  return %s : tensor<4xf32>
})";
  EXPECT_EQ(genericsAfterFusion(body), 1);
}
