//===- GemmTest.cpp - The JIT-compiled GEMM against a naive loop ----------===//

#include "backends/cpu/gemm/Gemm.h"
#include "backends/cpu/gemm/GemmJit.h"
#include "backends/cpu/gemm/MicroKernel.h"
#include "tests/unit/gemm/RandomData.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

using namespace nnc::cpu;

namespace {

/// Kernels for `isa`, built once per test binary; null when the host cannot
/// run that ISA.
const GemmKernels *kernelsFor(GemmIsa isa) {
  static std::map<GemmIsa, std::shared_ptr<const GemmKernels>> cache;
  auto it = cache.find(isa);
  if (it == cache.end())
    it = cache.emplace(isa, createGemmKernels(isa, nullptr)).first;
  return it->second.get();
}

std::vector<float> randomMatrix(int64_t rows, int64_t cols, uint32_t seed) {
  return test_data::randomFloats(rows * cols, seed);
}

struct Case {
  int64_t m, n, k;
  bool transA = false, transB = false, accumulate = false;
  int64_t pad = 0; ///< Extra elements per row in every leading dimension.
};

std::string describe(const Case &c) {
  return std::to_string(c.m) + "x" + std::to_string(c.n) + "x" +
         std::to_string(c.k) + (c.transA ? " transA" : "") +
         (c.transB ? " transB" : "") + (c.accumulate ? " accumulate" : "") +
         (c.pad ? " padded" : "");
}

/// Stored operands of a case and the problem over them.
struct Operands {
  std::vector<float> a, b, c;
  GemmProblem p;

  explicit Operands(const Case &t) {
    int64_t aRows = t.transA ? t.k : t.m, aCols = t.transA ? t.m : t.k;
    int64_t bRows = t.transB ? t.n : t.k, bCols = t.transB ? t.k : t.n;
    p.lda = aCols + t.pad;
    p.ldb = bCols + t.pad;
    p.ldc = t.n + t.pad;
    a = randomMatrix(aRows, p.lda, 1);
    b = randomMatrix(bRows, p.ldb, 2);
    c = randomMatrix(t.m, p.ldc, 3);
    p.transA = t.transA;
    p.transB = t.transB;
    p.m = t.m;
    p.n = t.n;
    p.k = t.k;
    p.a = a.data();
    p.b = b.data();
    p.c = c.data();
    p.accumulate = t.accumulate;
  }
  float opA(int64_t i, int64_t k) const {
    return p.transA ? a[k * p.lda + i] : a[i * p.lda + k];
  }
  float opB(int64_t k, int64_t j) const {
    return p.transB ? b[j * p.ldb + k] : b[k * p.ldb + j];
  }
};

/// Runs `t` on `kernels` and checks every element of C against a double
/// loop, and that the padding between rows of C is untouched.
void checkAgainstNaive(const GemmKernels &kernels, const Case &t) {
  SCOPED_TRACE(describe(t));
  Operands o(t);
  std::vector<float> before = o.c;
  gemmBlock(kernels, o.p, 0, t.m, 0, t.n);
  const double eps = std::numeric_limits<float>::epsilon();
  int failures = 0;
  for (int64_t i = 0; i < t.m && failures < 5; ++i) {
    for (int64_t j = 0; j < o.p.ldc; ++j) {
      float got = o.c[i * o.p.ldc + j];
      if (j >= t.n) {
        EXPECT_EQ(got, before[i * o.p.ldc + j])
            << "padding at " << i << "," << j;
        continue;
      }
      double want = t.accumulate ? before[i * o.p.ldc + j] : 0.0;
      double magnitude = std::fabs(want);
      for (int64_t k = 0; k < t.k; ++k) {
        double product = double(o.opA(i, k)) * double(o.opB(k, j));
        want += product;
        magnitude += std::fabs(product);
      }
      double tolerance = (t.k + 2) * eps * magnitude + 1e-30;
      if (!(std::fabs(got - want) <= tolerance)) {
        ADD_FAILURE() << "C[" << i << "," << j << "] = " << got << ", want "
                      << want << " (tolerance " << tolerance << ")";
        ++failures;
      }
    }
  }
}

class GemmIsaTest : public testing::TestWithParam<GemmIsa> {
protected:
  void SetUp() override {
    kernels = kernelsFor(GetParam());
    if (!kernels)
      GTEST_SKIP() << "the host cannot run this ISA";
  }
  const GemmKernels *kernels = nullptr;
};

TEST_P(GemmIsaTest, SquareSizes) {
  for (int64_t n : {1, 3, 17, 127, 128, 129, 255, 512})
    checkAgainstNaive(*kernels, {n, n, n});
}

TEST_P(GemmIsaTest, Rectangular) {
  const Case cases[] = {{1, 512, 784},  {128, 10, 256}, {37, 1000, 3},
                        {300, 17, 513}, {5, 33, 1},     {2, 2, 1000},
                        {700, 3, 40},   {13, 47, 600},  {64, 784, 1}};
  for (const Case &c : cases)
    checkAgainstNaive(*kernels, c);
}

TEST_P(GemmIsaTest, TransposesAccumulateAndPadding) {
  for (bool transA : {false, true})
    for (bool transB : {false, true})
      for (bool accumulate : {false, true})
        for (int64_t pad : {0, 5})
          for (Case c :
               {Case{129, 77, 300}, Case{3, 130, 17}, Case{40, 5, 260}}) {
            c.transA = transA;
            c.transB = transB;
            c.accumulate = accumulate;
            c.pad = pad;
            checkAgainstNaive(*kernels, c);
          }
}

// A last panel of 5 to 8 rows of a 12-row tile packs 16 k steps at a time
// by its own path, whose stores run into the next step's place: stores in
// the wrong order would change C (a store past the packing buffer shows
// only under AddressSanitizer).
TEST_P(GemmIsaTest, LastPanelsOfFiveToEightRows) {
  for (int64_t m : {5, 6, 7, 8, 20, 32, 44})
    for (int64_t k : {16, 32, 47})
      for (int64_t pad : {0, 3})
        checkAgainstNaive(*kernels, Case{m, 33, k, false, false, false, pad});
}

TEST_P(GemmIsaTest, ZeroDepthZeroesOrKeepsC) {
  for (bool accumulate : {false, true}) {
    Case t{7, 9, 0};
    t.accumulate = accumulate;
    Operands o(t);
    std::vector<float> before = o.c;
    gemmBlock(*kernels, o.p, 0, t.m, 0, t.n);
    for (size_t i = 0; i < o.c.size(); ++i)
      EXPECT_EQ(o.c[i], accumulate ? before[i] : 0.0f);
  }
}

/// Splitting rows or columns in any way gives bitwise the same C.
TEST_P(GemmIsaTest, SplitsAreBitwiseIdentical) {
  const Case cases[] = {{300, 200, 700}, {129, 1000, 33}, {31, 45, 257}};
  for (Case t : cases) {
    for (bool transB : {false, true}) {
      t.transB = transB;
      t.accumulate = transB;
      SCOPED_TRACE(describe(t));
      Operands whole(t);
      gemmBlock(*kernels, whole.p, 0, t.m, 0, t.n);
      const std::vector<std::vector<int64_t>> rowSplits = {
          {0, 1, 13, t.m}, {0, t.m / 2, t.m}, {0, 2, 3, 5, 100, t.m}};
      for (const auto &cuts : rowSplits) {
        Operands split(t);
        for (size_t i = 0; i + 1 < cuts.size(); ++i)
          gemmBlock(*kernels, split.p, std::min(cuts[i], t.m),
                    std::min(cuts[i + 1], t.m), 0, t.n);
        EXPECT_EQ(0, std::memcmp(whole.c.data(), split.c.data(),
                                 whole.c.size() * sizeof(float)));
      }
      Operands tiles(t);
      for (int64_t i : {int64_t(0), t.m / 3})
        for (int64_t j : {int64_t(0), t.n / 2 + 1})
          gemmBlock(*kernels, tiles.p, i, i == 0 ? t.m / 3 : t.m, j,
                    j == 0 ? t.n / 2 + 1 : t.n);
      EXPECT_EQ(0, std::memcmp(whole.c.data(), tiles.c.data(),
                               whole.c.size() * sizeof(float)));
    }
  }
}

// A B small enough to stay in L1 (the batched products of attention) is
// read where it lies; the packed path must give the same bits, since a
// kernel may take either for different blocks of one product.
TEST_P(GemmIsaTest, SmallBReadInPlaceGivesThePackedBits) {
  // The limit is set here rather than taken from the host's L1d, so that
  // every case reads its B in place whatever CPU runs the test.
  GemmKernels inPlaceKernels = *kernels;
  inPlaceKernels.bInPlaceElements = 4096;
  GemmKernels packing = *kernels;
  packing.bInPlaceElements = 0;
  const Case cases[] = {
      {200, 64, 32}, {64, 32, 64}, {97, 40, 30, false, false, true, 3}};
  for (const Case &t : cases) {
    SCOPED_TRACE(describe(t));
    ASSERT_LE(t.k * t.n, inPlaceKernels.bInPlaceElements);
    checkAgainstNaive(inPlaceKernels, t);
    Operands inPlace(t), packed(t);
    gemmBlock(inPlaceKernels, inPlace.p, 0, t.m, 0, t.n);
    gemmBlock(packing, packed.p, 0, t.m, 0, t.n);
    EXPECT_EQ(0, std::memcmp(inPlace.c.data(), packed.c.data(),
                             inPlace.c.size() * sizeof(float)));
  }
}

// A batch packs the A of several small products before their tiles run;
// every product's C must keep the bits of that product computed alone, with
// operands repeated over the batch (broadcast), products too large to
// group (which go one by one) and empty ones.
TEST_P(GemmIsaTest, BatchGivesTheBitsOfEachProductAlone) {
  // B read in place whatever the host's L1d, so that the small cases take
  // the grouped path on every CPU.
  GemmKernels grouping = *kernels;
  grouping.bInPlaceElements = 4096;
  const std::vector<int64_t> aIndex = {0, 1, 2, 0, 3, 1, 2};
  const std::vector<int64_t> bIndex = {0, 0, 1, 1, 2, 2, 0};
  const int64_t count = static_cast<int64_t>(aIndex.size());
  const Case cases[] = {{32, 32, 32},
                        {5, 33, 16, false, false, true, 3},
                        {24, 17, 40, true, false, false, 2},
                        {30, 20, 31, false, true},
                        {300, 48, 20},
                        {0, 4, 4},
                        {6, 5, 0},
                        {6, 5, 0, false, false, true}};
  for (const Case &t : cases) {
    SCOPED_TRACE(describe(t));
    Operands shape(t);
    const GemmProblem &p = shape.p;
    const int64_t aSize = (t.transA ? t.k : t.m) * p.lda;
    const int64_t bSize = (t.transB ? t.n : t.k) * p.ldb;
    const int64_t cSize = t.m * p.ldc;
    std::vector<float> a = randomMatrix(4, aSize, 11);
    std::vector<float> b = randomMatrix(3, bSize, 12);
    std::vector<float> c = randomMatrix(count, cSize, 13);
    std::vector<float> alone = c;
    GemmProblem batched = p;
    batched.a = a.data();
    batched.b = b.data();
    batched.c = c.data();
    GemmBatch batch;
    batch.count = count;
    batch.aIndex = aIndex.data();
    batch.bIndex = bIndex.data();
    batch.aStride = aSize;
    batch.bStride = bSize;
    batch.cStride = cSize;
    gemmBatch(grouping, batched, batch);
    for (int64_t i = 0; i < count; ++i) {
      GemmProblem one = p;
      one.a = a.data() + aIndex[i] * aSize;
      one.b = b.data() + bIndex[i] * bSize;
      one.c = alone.data() + i * cSize;
      gemmBlock(grouping, one, 0, t.m, 0, t.n);
    }
    EXPECT_EQ(0, std::memcmp(alone.data(), c.data(), c.size() * sizeof(float)));
  }
}

std::string isaName(const testing::TestParamInfo<GemmIsa> &info) {
  const char *names[] = {"Host", "Avx512", "Avx2", "Sse", "Portable"};
  return names[int(info.param)];
}

INSTANTIATE_TEST_SUITE_P(Isa, GemmIsaTest,
                         testing::Values(GemmIsa::Host, GemmIsa::Avx512,
                                         GemmIsa::Avx2, GemmIsa::Sse,
                                         GemmIsa::Portable),
                         isaName);

TEST(HostGemm, DescribesItselfAndComputes) {
  const GemmKernels &kernels = hostGemm();
  EXPECT_FALSE(gemmKernelsDescription(kernels).empty());
  float a[] = {1, 2, 3, 4}, b[] = {5, 6, 7, 8}, c[4] = {};
  gemm(kernels, false, false, 2, 2, 2, a, 2, b, 2, c, 2, false, 0, 2);
  EXPECT_EQ(c[0], 19.0f);
  EXPECT_EQ(c[1], 22.0f);
  EXPECT_EQ(c[2], 43.0f);
  EXPECT_EQ(c[3], 50.0f);
}

TEST(HostGemm, ReadsAFarApartBBeyondTheL2Packed) {
  // One row tile of a B whose rows lie a page apart: in place while B fits
  // the L2 (a packed block, kc x nc), packed beyond it, where each k step of
  // a panel would fetch another page from memory.
  const GemmKernels &kernels = hostGemm();
  const int64_t cols = 3000, ldb = 3000; // rows 12 000 bytes apart
  int64_t fitting = kernels.kc * kernels.nc / cols;
  EXPECT_TRUE(readsBInPlace(kernels, false, fitting, cols, ldb, 7, 6));
  EXPECT_FALSE(readsBInPlace(kernels, false, fitting + 1, cols, ldb, 7, 6));
  // Rows within a page stay in place, however large B is.
  EXPECT_TRUE(readsBInPlace(kernels, false, 1 << 20, 512, 512, 7, 6));
}

TEST(HostGemm, BInPanelsGivesTheBitsOfBAsStored) {
  // B handed over already in panels (GemmProblem::bPanels, as a
  // convolution's im2col writes it) against B as stored: the same bits,
  // over several k blocks and a last panel short of its width, and for
  // a block of columns starting at a later panel.
  const GemmKernels &kernels = hostGemm();
  const int64_t width = gemmPanelWidth(kernels);
  const int64_t m = 29, k = 2 * kernels.kc + 5, n = 3 * width + 7;
  std::vector<float> a = test_data::randomFloats(m * k, 11),
                     b = test_data::randomFloats(k * n, 12);
  const int64_t panels = (n + width - 1) / width;
  std::vector<float> packed(static_cast<size_t>(panels * k * width), 0.0f);
  for (int64_t col = 0; col < n; ++col)
    for (int64_t row = 0; row < k; ++row)
      packed[static_cast<size_t>((col / width) * k * width + row * width +
                                 col % width)] =
          b[static_cast<size_t>(row * n + col)];
  std::vector<float> want(static_cast<size_t>(m * n), 0.0f), got = want;
  gemm(kernels, false, false, m, n, k, a.data(), k, b.data(), n, want.data(), n,
       false, 0, m);
  GemmProblem p;
  p.m = m;
  p.n = n;
  p.k = k;
  p.a = a.data();
  p.lda = k;
  p.bPanels = packed.data();
  p.c = got.data();
  p.ldc = n;
  gemmBlock(kernels, p, 0, m, 0, width);
  gemmBlock(kernels, p, 0, m, width, n);
  EXPECT_EQ(0, std::memcmp(want.data(), got.data(), want.size() * 4));
}

} // namespace
