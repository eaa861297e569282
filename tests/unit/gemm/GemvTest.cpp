//===- GemvTest.cpp - One-row products against naive loops ----------------===//

#include "backends/cpu/gemm/Gemv.h"
#include "tests/unit/gemm/RandomData.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace nnc::cpu;

namespace {

std::vector<float> randomVector(int64_t size, uint32_t seed) {
  return test_data::randomFloats(size, seed);
}

struct Shape {
  int64_t k, n, ldw;
};

class GemvTest : public testing::TestWithParam<Shape> {};

TEST_P(GemvTest, MatchesFusedMultiplyAddsInOrder) {
  if (!gemvAvailable())
    GTEST_SKIP() << "no AVX-512F";
  Shape s = GetParam();
  std::vector<float> x = randomVector(s.k, 1);
  std::vector<float> w = randomVector(s.k * s.ldw, 2);
  std::vector<float> y(static_cast<size_t>(s.n) + 1, 7.0f);
  gemvColumns(x.data(), w.data(), s.ldw, s.k, y.data(), 0, s.n);
  for (int64_t j = 0; j < s.n; ++j) {
    float expected = 0.0f;
    for (int64_t p = 0; p < s.k; ++p)
      expected = std::fma(x[p], w[p * s.ldw + j], expected);
    ASSERT_EQ(y[j], expected) << "k " << s.k << " n " << s.n << " column " << j;
  }
  EXPECT_EQ(y[s.n], 7.0f) << "wrote past the last column";
}

TEST_P(GemvTest, EverySplitOfTheColumnsGivesTheSameBits) {
  if (!gemvAvailable())
    GTEST_SKIP() << "no AVX-512F";
  Shape s = GetParam();
  std::vector<float> x = randomVector(s.k, 3);
  std::vector<float> w = randomVector(s.k * s.ldw, 4);
  std::vector<float> whole(s.n), split(s.n);
  gemvColumns(x.data(), w.data(), s.ldw, s.k, whole.data(), 0, s.n);
  for (int64_t chunk : {1, 5, 16, 33, 256}) {
    std::fill(split.begin(), split.end(), 0.0f);
    for (int64_t j = 0; j < s.n; j += chunk)
      gemvColumns(x.data(), w.data(), s.ldw, s.k, split.data(), j,
                  std::min(s.n, j + chunk));
    EXPECT_EQ(std::memcmp(whole.data(), split.data(), whole.size() * 4), 0)
        << "chunks of " << chunk;
  }
}

// Widths below one vector, between vectors, one full block of 256 and
// more; k of 0, 1 and odd; a leading dimension past n.
const Shape kShapes[] = {{784, 512, 512}, {1, 1, 1},      {17, 3, 5},
                         {0, 20, 20},     {13, 300, 301}, {256, 10, 10},
                         {3, 127, 130},   {64, 16, 16}};

INSTANTIATE_TEST_SUITE_P(Shapes, GemvTest, testing::ValuesIn(kShapes));

} // namespace
