//===- OneRowBlocksTest.cpp - One-row products over blocks of k -----------===//
//
// oneRowProductByBlocks against double-precision sums, against its own
// definition (the blocks' products added in order), and across thread caps.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/OneRowBlocks.h"

#include "backends/cpu/gemm/GemmJit.h"
#include "backends/cpu/gemm/Gemv.h"
#include "tests/unit/gemm/RandomData.h"

#include <gtest/gtest.h>
#include <oneapi/tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

using namespace nnc::cpu;

namespace {

struct Shape {
  int64_t k, n, ldb, blocks;
};

std::ostream &operator<<(std::ostream &os, const Shape &s) {
  return os << "k " << s.k << " n " << s.n << " ldb " << s.ldb << " blocks "
            << s.blocks;
}

/// Which kernel runs each block: gemvColumns (null) or the host GEMM.
enum class BlockKernel { Gemv, Gemm };

class OneRowBlocksTest
    : public testing::TestWithParam<std::tuple<Shape, BlockKernel>> {
protected:
  void SetUp() override {
    std::tie(shape, blockKernel) = GetParam();
    if (blockKernel == BlockKernel::Gemv && !gemvAvailable())
      GTEST_SKIP() << "no AVX-512F";
    gemm = blockKernel == BlockKernel::Gemm ? &hostGemm() : nullptr;
    x = nnc::cpu::test_data::randomFloats(shape.k, 11);
    b = nnc::cpu::test_data::randomFloats(shape.k * shape.ldb, 12);
  }

  /// The product with at most `threads` threads, plus one guard element.
  std::vector<float> product(int threads, bool backwards = false) {
    tbb::global_control cap(tbb::global_control::max_allowed_parallelism,
                            static_cast<size_t>(threads));
    std::vector<float> out(static_cast<size_t>(shape.n) + 1, -3.0f);
    oneRowProductByBlocks(gemm, x.data(), b.data(), shape.ldb, shape.k, shape.n,
                          shape.blocks, out.data(), backwards);
    return out;
  }

  Shape shape;
  BlockKernel blockKernel = BlockKernel::Gemv;
  const GemmKernels *gemm = nullptr;
  std::vector<float> x, b;
};

TEST_P(OneRowBlocksTest, MatchesADoublePrecisionSum) {
  std::vector<float> out = product(2);
  for (int64_t j = 0; j < shape.n; ++j) {
    double sum = 0.0, magnitude = 0.0;
    for (int64_t p = 0; p < shape.k; ++p) {
      double term = double(x[p]) * double(b[p * shape.ldb + j]);
      sum += term;
      magnitude += std::fabs(term);
    }
    ASSERT_NEAR(out[j], sum, 1e-5 * magnitude + 1e-30) << "column " << j;
  }
  EXPECT_EQ(out[shape.n], -3.0f) << "wrote past the last column";
}

TEST_P(OneRowBlocksTest, IsTheBlocksProductsAddedInOrder) {
  // Every block alone through the same kernel, then the sums in order.
  int64_t blockRows = (shape.k + shape.blocks - 1) / shape.blocks;
  std::vector<float> expected(shape.n, 0.0f), partial(shape.n);
  for (int64_t block = 0; block < shape.blocks; ++block) {
    int64_t first = block * blockRows;
    int64_t rows = std::min(shape.k, first + blockRows) - first;
    std::fill(partial.begin(), partial.end(), 0.0f);
    if (rows > 0)
      oneRowProductByBlocks(gemm, x.data() + first,
                            b.data() + first * shape.ldb, shape.ldb, rows,
                            shape.n, 1, partial.data());
    for (int64_t j = 0; j < shape.n; ++j)
      expected[j] = block == 0 ? partial[j] : expected[j] + partial[j];
  }
  std::vector<float> out = product(2);
  EXPECT_EQ(std::memcmp(out.data(), expected.data(), shape.n * sizeof(float)),
            0);
}

TEST_P(OneRowBlocksTest, EveryThreadCapAndBlockOrderGivesTheSameBits) {
  std::vector<float> one = product(1);
  for (int threads : {1, 2, 3, 8})
    for (bool backwards : {false, true}) {
      if (threads == 1 && !backwards)
        continue;
      EXPECT_EQ(std::memcmp(one.data(), product(threads, backwards).data(),
                            one.size() * sizeof(float)),
                0)
          << threads << " threads" << (backwards ? ", blocks backwards" : "");
    }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, OneRowBlocksTest,
    testing::Combine(
        testing::Values(
            // The benchmark MLP's first layer.
            Shape{784, 512, 512, 2},
            // k not a multiple of the blocks, n not of the vector width, B
            // wider than n.
            Shape{1001, 300, 317, 3}, Shape{130, 17, 17, 3},
            // More blocks than rows for the last one: k = 5 in blocks of 2.
            Shape{5, 33, 33, 4},
            // Wide rows: 10 000 floats of partials.
            Shape{200, 5000, 5000, 3}, Shape{64, 1, 1, 1}),
        testing::Values(BlockKernel::Gemv, BlockKernel::Gemm)));

} // namespace
