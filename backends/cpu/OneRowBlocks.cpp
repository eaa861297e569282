//===- OneRowBlocks.cpp - One-row products reduced over blocks of k -------===//

#include "backends/cpu/OneRowBlocks.h"

#include "backends/cpu/gemm/Gemv.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <vector>

namespace nnc::cpu {

void oneRowProductByBlocks(const GemmKernels *gemm, const float *x,
                           const float *b, int64_t ldb, int64_t k, int64_t n,
                           int64_t blocks, float *out, bool backwards) {
  int64_t blockRows = (k + blocks - 1) / blocks;
  // Block 0 writes `out`, the others a partial row each, in the calling
  // thread's buffer, grown once: the isolation below keeps this thread from
  // starting another product over it while the blocks run.
  thread_local std::vector<float> partialRows;
  size_t need = static_cast<size_t>((blocks - 1) * n);
  if (partialRows.size() < need)
    partialRows.resize(need);
  float *partials = partialRows.data();
  auto runBlock = [&](int64_t block) {
    float *y = block == 0 ? out : partials + (block - 1) * n;
    int64_t first = block * blockRows;
    int64_t rows = std::min(k, first + blockRows) - first;
    if (rows <= 0) {
      std::fill(y, y + n, 0.0f);
      return;
    }
    const float *xBlock = x + first;
    const float *bBlock = b + first * ldb;
    if (!gemm)
      gemvColumns(xBlock, bBlock, ldb, rows, y, 0, n);
    else
      nnc::cpu::gemm(*gemm, /*transA=*/false, /*transB=*/false, 1, n, rows,
                     xBlock, rows, bBlock, ldb, y, n, /*accumulate=*/false, 0,
                     1);
  };
  // static_partitioner gives each thread the same consecutive blocks on
  // every call, so its blocks of b are still in its cache the next time.
  // Isolated: while it waits, this thread runs only these blocks, never
  // another kernel, which could reuse the per-thread scratch `out` may
  // live in (CpuKernel.cpp's scratchRows).
  tbb::this_task_arena::isolate([&] {
    tbb::parallel_for(
        tbb::blocked_range<int64_t>(0, blocks, 1),
        [&](const tbb::blocked_range<int64_t> &range) {
          for (int64_t i = range.begin(); i < range.end(); ++i)
            runBlock(backwards ? range.end() - 1 - (i - range.begin()) : i);
        },
        tbb::static_partitioner());
  });
  for (int64_t block = 1; block < blocks; ++block) {
    const float *partial = partials + (block - 1) * n;
    for (int64_t j = 0; j < n; ++j)
      out[j] += partial[j];
  }
}

} // namespace nnc::cpu
