//===- CpuKernelTest.cpp - How a kernel with a GEMM head runs its range ---===//
//
// runCpuKernel on hand-built kernels with a row-split GEMM head: one whose
// rest is plain C++ functions standing in for compiled code (H in
// per-thread scratch; the functions record what they ran), and one that is
// the head alone, writing its result. However the host splits the range,
// the result is bitwise that of one GEMM over all rows, and every chunk's
// rest runs once, with the code for its size. The same holds for a head
// that splits H's columns across the threads inside one call, whatever
// the threads.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/CpuKernel.h"

#include "backends/cpu/gemm/GemmJit.h"
#include "tests/unit/gemm/RandomData.h"

#include <gtest/gtest.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

using namespace nnc::cpu;

namespace {

// 200 rows in chunks of 48: 4 full chunks and a tail of 8.
constexpr int64_t kM = 200, kN = 130, kK = 70, kChunkRows = 48;
constexpr int64_t kChunks = (kM + kChunkRows - 1) / kChunkRows;

/// What the rest functions ran: for each first row, the rows of each call.
std::mutex restMutex;
std::map<int64_t, std::vector<int64_t>> restCalls;

/// out = 2 * H + 1 over `Rows` rows: the packed-argument convention of
/// compiled code (H, then out, then the first row).
template <int64_t Rows> void rest(void **args) {
  const float *h = *static_cast<float **>(args[0]);
  float *out = *static_cast<float **>(args[1]);
  int64_t row = *static_cast<int64_t *>(args[2]);
  for (int64_t i = 0; i < Rows * kN; ++i)
    out[i] = 2.0f * h[i] + 1.0f;
  std::lock_guard<std::mutex> lock(restMutex);
  restCalls[row].push_back(Rows);
}

class CpuKernelTest : public testing::Test {
protected:
  void SetUp() override {
    a = nnc::cpu::test_data::randomFloats(kM * kK, 21);
    b = nnc::cpu::test_data::randomFloats(kK * kN, 22);
    product.resize(kM * kN);
    gemm(hostGemm(), false, false, kM, kN, kK, a.data(), kK, b.data(), kN,
         product.data(), kN, /*accumulate=*/false, 0, kM);

    // The head alone: H is the kernel's result, buffer 2.
    ContractionHead &head = headOnly.head;
    head.kind = ContractionHead::Kind::Matmul;
    head.lhs = 0;
    head.rhs = 1;
    head.out = 2;
    head.rows = kM;
    head.rowElements = kN;
    head.m = kM;
    head.n = kN;
    head.k = kK;
    head.lda = kK;
    head.ldb = kN;
    headOnly.numBuffers = 3;
    headOnly.rows = kM;
    headOnly.chunkRows = kChunkRows;
    headOnly.range = kChunks;
    // hostGemm() lives as long as the process.
    headOnly.gemm = std::shared_ptr<const GemmKernels>(
        &hostGemm(), [](const GemmKernels *) {});

    // The head into scratch, then out = 2 * H + 1.
    withRest.head = headOnly.head;
    withRest.head.out = -1;
    withRest.numBuffers = 3;
    withRest.rows = kM;
    withRest.chunkRows = kChunkRows;
    withRest.range = kChunks;
    withRest.gemm = headOnly.gemm;
    withRest.chunk = rest<kChunkRows>;
    withRest.tail = rest<kM % kChunkRows>;
    withRest.jitBuffers = {-1, 2};
    withRest.rowBytes = {kN * 4, kN * 4};
    restCalls.clear();
  }

  /// Runs `kernel` as the calls [splits[i], splits[i + 1]) and returns its
  /// result.
  std::vector<float> run(const CpuKernel &kernel,
                         const std::vector<int64_t> &splits) {
    std::vector<float> out(kM * kN, -7.0f);
    void *buffers[] = {a.data(), b.data(), out.data()};
    for (size_t i = 0; i + 1 < splits.size(); ++i) {
      nnc_error *error = nullptr;
      EXPECT_EQ(runCpuKernel(const_cast<CpuKernel *>(&kernel), buffers,
                             splits[i], splits[i + 1], &error),
                NNC_OK);
    }
    return out;
  }

  /// Every chunk's rest ran exactly once, with the code for its size.
  void expectEveryChunkRestRanOnce() {
    ASSERT_EQ(static_cast<int64_t>(restCalls.size()), kChunks);
    for (int64_t c = 0; c < kChunks; ++c) {
      auto found = restCalls.find(c * kChunkRows);
      ASSERT_NE(found, restCalls.end()) << "chunk " << c << " has no rest";
      ASSERT_EQ(found->second.size(), 1u) << "chunk " << c;
      EXPECT_EQ(found->second[0], std::min(kChunkRows, kM - c * kChunkRows))
          << "chunk " << c;
    }
  }

  /// The splits a host may make: one call, uneven calls, one per chunk.
  static std::vector<std::vector<int64_t>> splits() {
    std::vector<int64_t> eachChunk;
    for (int64_t i = 0; i <= kChunks; ++i)
      eachChunk.push_back(i);
    return {{0, kChunks}, {0, 2, 3, kChunks}, eachChunk};
  }

  std::vector<float> a, b, product;
  CpuKernel headOnly, withRest;
};

TEST_F(CpuKernelTest, SplitGemmHeadsAndWeightGradientsWantOneRunPerThread) {
  EXPECT_TRUE(wantsOneRunPerThread(headOnly));
  EXPECT_FALSE(wantsOneRunPerThread(withRest)) << "a rest after the head";
  CpuKernel whole;
  whole.head = headOnly.head;
  whole.range = 1;
  EXPECT_FALSE(wantsOneRunPerThread(whole)) << "range 1";
  CpuKernel batched;
  batched.head = headOnly.head;
  batched.range = kChunks;
  batched.head.lhsIndex = {0};
  batched.head.rhsIndex = {0};
  EXPECT_FALSE(wantsOneRunPerThread(batched)) << "a batch of products";
  CpuKernel conv;
  conv.head.kind = ContractionHead::Kind::Conv2d;
  conv.head.rows = kM;
  conv.range = kChunks;
  EXPECT_FALSE(wantsOneRunPerThread(conv)) << "conv2d";
  // Every call of a weight gradient builds col^T for the whole batch: one
  // run per thread, with a rest or without.
  CpuKernel gradWeight;
  gradWeight.head.kind = ContractionHead::Kind::Conv2dGradWeight;
  gradWeight.head.rows = kM;
  gradWeight.range = kChunks;
  EXPECT_TRUE(wantsOneRunPerThread(gradWeight));
  gradWeight.chunk = withRest.chunk;
  EXPECT_TRUE(wantsOneRunPerThread(gradWeight)) << "with a rest";
  gradWeight.range = 1;
  EXPECT_FALSE(wantsOneRunPerThread(gradWeight)) << "range 1";
}

TEST_F(CpuKernelTest, AHeadAloneGivesTheBitsOfOneGemmForAnySplit) {
  for (const std::vector<int64_t> &calls : splits()) {
    SCOPED_TRACE(testing::PrintToString(calls));
    std::vector<float> out = run(headOnly, calls);
    EXPECT_EQ(
        std::memcmp(out.data(), product.data(), product.size() * sizeof(float)),
        0);
  }
}

TEST_F(CpuKernelTest, EveryChunkOfARestRunsOnceForAnySplit) {
  std::vector<float> expected(product.size());
  for (size_t i = 0; i < product.size(); ++i)
    expected[i] = 2.0f * product[i] + 1.0f;
  for (const std::vector<int64_t> &calls : splits()) {
    SCOPED_TRACE(testing::PrintToString(calls));
    restCalls.clear();
    std::vector<float> out = run(withRest, calls);
    EXPECT_EQ(std::memcmp(out.data(), expected.data(),
                          expected.size() * sizeof(float)),
              0);
    ASSERT_NO_FATAL_FAILURE(expectEveryChunkRestRanOnce());
  }
}

TEST(SplitsRowsInside, WhenEveryThreadsRunOfWholeChunksHas64Rows) {
  CpuKernel kernel;
  kernel.rows = 128;
  kernel.chunkRows = 64;
  kernel.range = 2;
  EXPECT_TRUE(splitsRowsInside(kernel, 1));
  EXPECT_TRUE(splitsRowsInside(kernel, 2));
  EXPECT_FALSE(splitsRowsInside(kernel, 3)) << "fewer chunks than threads";
  kernel.chunkRows = 16;
  kernel.range = 8;
  EXPECT_TRUE(splitsRowsInside(kernel, 2));
  EXPECT_FALSE(splitsRowsInside(kernel, 3)) << "a run of 2 chunks, 32 rows";
  // 200 rows in chunks of 48: 2 threads get 2 and 3 chunks, 3 threads 1
  // and 2.
  kernel.rows = 200;
  kernel.chunkRows = 48;
  kernel.range = 5;
  EXPECT_TRUE(splitsRowsInside(kernel, 2));
  EXPECT_FALSE(splitsRowsInside(kernel, 3));
  // One chunk of all the rows has no runs to hand out, even to one thread.
  kernel.chunkRows = 200;
  kernel.range = 1;
  EXPECT_FALSE(splitsRowsInside(kernel, 1));
}

// 200 rows in 5 chunks of 48: on 1 and 2 threads split by rows, on 3 to 5
// by columns.
TEST_F(CpuKernelTest, SplitInsideGivesTheBitsOfOneGemmOnAnyThreads) {
  std::vector<float> expected(product.size());
  for (size_t i = 0; i < product.size(); ++i)
    expected[i] = 2.0f * product[i] + 1.0f;
  headOnly.head.splitsInside = true;
  withRest.head.splitsInside = true;
  EXPECT_FALSE(wantsOneRunPerThread(headOnly));
  // By rows on 2 threads, runs of 2 and 3 of the 5 chunks. By columns,
  // 130 columns are four 32-column panels and a panel of 2.
  for (int threads : {1, 2, 3, 4, 5}) {
    SCOPED_TRACE(threads);
    tbb::task_arena arena(threads);
    arena.execute([&] {
      std::vector<float> out = run(headOnly, {0, kChunks});
      EXPECT_EQ(std::memcmp(out.data(), product.data(),
                            product.size() * sizeof(float)),
                0);
      restCalls.clear();
      out = run(withRest, {0, kChunks});
      EXPECT_EQ(std::memcmp(out.data(), expected.data(),
                            expected.size() * sizeof(float)),
                0);
    });
    ASSERT_NO_FATAL_FAILURE(expectEveryChunkRestRanOnce());
  }
}

} // namespace
