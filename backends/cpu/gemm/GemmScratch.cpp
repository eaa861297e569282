//===- GemmScratch.cpp - Per-thread scratch buffers -----------------------===//

#include "backends/cpu/gemm/GemmScratch.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace nnc::cpu::detail {

namespace {

struct ThreadScratch {
  float *buffers[size_t(ScratchSlot::Count)] = {};
  size_t capacity[size_t(ScratchSlot::Count)] = {};
  ~ThreadScratch() {
    for (float *buffer : buffers)
      std::free(buffer);
  }
};

thread_local ThreadScratch scratch;

} // namespace

float *threadScratch(ScratchSlot slot, size_t floats) {
  size_t i = size_t(slot);
  if (floats <= scratch.capacity[i])
    return scratch.buffers[i];
  // Grow by at least half again so a slowly growing workload reallocates a
  // logarithmic number of times.
  size_t wanted =
      std::max(floats, scratch.capacity[i] + scratch.capacity[i] / 2);
  size_t bytes = (wanted * sizeof(float) + 63) / 64 * 64;
  std::free(scratch.buffers[i]);
  scratch.buffers[i] = static_cast<float *>(std::aligned_alloc(64, bytes));
  if (!scratch.buffers[i]) {
    std::fprintf(stderr, "nnc gemm: cannot allocate %zu bytes of scratch\n",
                 bytes);
    std::abort();
  }
  scratch.capacity[i] = bytes / sizeof(float);
  return scratch.buffers[i];
}

} // namespace nnc::cpu::detail
