//===- CollapseContiguousLoopsTest.cpp - Merging loops walked in one run --===//

#include "backends/cpu/compiler/CollapseContiguousLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace mlir;

namespace {

/// The loop count of each linalg op of `body` (a function over buffers),
/// in order, after the pass.
std::vector<int64_t> loopsAfterPass(const std::string &body) {
  DialectRegistry registry;
  registry.insert<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                  memref::MemRefDialect>();
  MLIRContext context(registry);
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>("module {\n" + body + "\n}", &context);
  EXPECT_TRUE(module) << "the test's MLIR does not parse";
  if (!module)
    return {};
  PassManager pm(&context);
  pm.addNestedPass<func::FuncOp>(nnc::cpu::createCollapseContiguousLoopsPass());
  EXPECT_TRUE(succeeded(pm.run(*module)));
  EXPECT_TRUE(succeeded(verify(*module)));
  std::vector<int64_t> loops;
  module->walk([&](linalg::LinalgOp op) { loops.push_back(op.getNumLoops()); });
  return loops;
}

/// A function applying `generic` (its maps and iterators, then ins/outs)
/// to %x and %y and a body that adds its two block arguments.
std::string genericOver(const std::string &types, const std::string &traits) {
  return "func.func @f(" + types + ") {\n  linalg.generic " + traits +
         " {\n  ^bb0(%a: f32, %b: f32):\n    %s = arith.addf %a, %b : f32\n"
         "    linalg.yield %s : f32\n  }\n  return\n}";
}

} // namespace

TEST(CollapseContiguousLoopsTest, ElementwiseMapBecomesOneLoop) {
  EXPECT_EQ(loopsAfterPass(genericOver(
                "%x: memref<64x6x24x24xf32>, %y: memref<64x6x24x24xf32>",
                "{indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, "
                "affine_map<(n, c, h, w) -> (n, c, h, w)>], iterator_types = "
                "[\"parallel\", \"parallel\", \"parallel\", \"parallel\"]} "
                "ins(%x : memref<64x6x24x24xf32>) "
                "outs(%y : memref<64x6x24x24xf32>)")),
            (std::vector<int64_t>{1}));
}

TEST(CollapseContiguousLoopsTest, SumOverBatchAndPixelsMergesOnlyThePixels) {
  // The bias gradient of a convolution: per channel, a sum over n, h, w.
  // h and w merge; n and c cannot (c lies between n and h, and is kept).
  EXPECT_EQ(loopsAfterPass(genericOver(
                "%x: memref<64x6x24x24xf32>, %y: memref<6xf32>",
                "{indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, "
                "affine_map<(n, c, h, w) -> (c)>], iterator_types = "
                "[\"reduction\", \"parallel\", \"reduction\", \"reduction\"]} "
                "ins(%x : memref<64x6x24x24xf32>) outs(%y : memref<6xf32>)")),
            (std::vector<int64_t>{3}));
}

TEST(CollapseContiguousLoopsTest, BroadcastOperandMergesTheLoopsItSkips) {
  // A bias over the last axis: n and c are absent from its map, so they
  // merge; the last axis stays apart from them.
  EXPECT_EQ(loopsAfterPass(genericOver(
                "%x: memref<16xf32>, %y: memref<8x4x16xf32>",
                "{indexing_maps = [affine_map<(n, c, w) -> (w)>, "
                "affine_map<(n, c, w) -> (n, c, w)>], iterator_types = "
                "[\"parallel\", \"parallel\", \"parallel\"]} "
                "ins(%x : memref<16xf32>) outs(%y : memref<8x4x16xf32>)")),
            (std::vector<int64_t>{2}));
}

TEST(CollapseContiguousLoopsTest, TransposeKeepsItsLoops) {
  EXPECT_EQ(loopsAfterPass(genericOver(
                "%x: memref<8x4xf32>, %y: memref<4x8xf32>",
                "{indexing_maps = [affine_map<(i, j) -> (j, i)>, "
                "affine_map<(i, j) -> (i, j)>], iterator_types = "
                "[\"parallel\", \"parallel\"]} "
                "ins(%x : memref<8x4xf32>) outs(%y : memref<4x8xf32>)")),
            (std::vector<int64_t>{2}));
}

TEST(CollapseContiguousLoopsTest, StridedViewKeepsItsLoops) {
  // Rows 16 floats apart hold 8 each: not one run, whatever the maps say.
  EXPECT_EQ(loopsAfterPass(genericOver(
                "%x: memref<4x8xf32, strided<[16, 1]>>, %y: memref<4x8xf32>",
                "{indexing_maps = [affine_map<(i, j) -> (i, j)>, "
                "affine_map<(i, j) -> (i, j)>], iterator_types = "
                "[\"parallel\", \"parallel\"]} "
                "ins(%x : memref<4x8xf32, strided<[16, 1]>>) "
                "outs(%y : memref<4x8xf32>)")),
            (std::vector<int64_t>{2}));
}

TEST(CollapseContiguousLoopsTest, CopyBecomesOneLoop) {
  EXPECT_EQ(loopsAfterPass("func.func @f(%x: memref<4x8x3xf32>, %y: "
                           "memref<4x8x3xf32>) {\n  linalg.copy ins(%x : "
                           "memref<4x8x3xf32>) outs(%y : memref<4x8x3xf32>)\n"
                           "  return\n}"),
            (std::vector<int64_t>{1}));
}

TEST(CollapseContiguousLoopsTest, WindowMapKeepsItsLoops) {
  // Average pooling's sum over 2-wide windows (the window buffer gives k
  // its extent): n and c alone would be a run, but the window's map
  // (o * 2 + k) cannot be rewritten over merged loops, so nothing merges.
  EXPECT_EQ(
      loopsAfterPass(
          "func.func @f(%x: memref<2x3x16xf32>, %w: memref<2xf32>, %y: "
          "memref<2x3x8xf32>) {\n  linalg.generic {indexing_maps = "
          "[affine_map<(n, c, o, k) -> (n, c, o * 2 + k)>, affine_map<(n, c, "
          "o, k) -> (k)>, affine_map<(n, c, o, k) -> (n, c, o)>], "
          "iterator_types = [\"parallel\", \"parallel\", \"parallel\", "
          "\"reduction\"]} ins(%x, %w : memref<2x3x16xf32>, memref<2xf32>) "
          "outs(%y : memref<2x3x8xf32>) {\n  ^bb0(%a: f32, %b: f32, %s: "
          "f32):\n    %t = arith.addf %a, %s : f32\n    linalg.yield %t : "
          "f32\n  }\n  return\n}"),
      (std::vector<int64_t>{4}));
}
