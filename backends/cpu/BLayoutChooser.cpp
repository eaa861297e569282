//===- BLayoutChooser.cpp - B in place or packed, timed on a kernel's calls
//===//

#include "backends/cpu/BLayoutChooser.h"

#include "backends/cpu/CpuKernel.h"

namespace nnc::cpu {

namespace {

/// Row tiles up to which the packing twin still reads B in place: where
/// Gemm.cpp stops reading a B whose rows are a page apart in place.
constexpr int64_t kTwinInPlaceRowTiles = 2;
constexpr int64_t kPageBytes = 4096;

} // namespace

bool bLayoutMatters(const ContractionHead &head, const GemmKernels &kernels,
                    int64_t first, int64_t last) {
  if (head.kind != ContractionHead::Kind::Matmul || head.columns ||
      head.kParts > 1 || !head.lhsIndex.empty() || head.transB || head.m == 1)
    return false;
  int64_t mr = kernels.kernels.mr;
  int64_t rowTiles = mr > 0 ? (last - first + mr - 1) / mr : 0;
  bool nearRows = head.ldb * static_cast<int64_t>(sizeof(float)) < kPageBytes;
  bool smallB = head.k * head.n <= kernels.bInPlaceElements;
  return nearRows && !smallB && rowTiles > kTwinInPlaceRowTiles &&
         rowTiles <= kernels.bInPlaceRowTiles;
}

const GemmKernels &BLayoutChooser::packingTwin(const GemmKernels &tuned) {
  std::call_once(twinMade, [&] {
    packing = tuned;
    packing.bInPlaceRowTiles = kTwinInPlaceRowTiles;
  });
  return packing;
}

BLayoutChooser::Pick BLayoutChooser::pick(const GemmKernels &tuned) {
  int way = choice.load(std::memory_order_acquire);
  if (way >= 0)
    return {way == Packed ? &packingTwin(tuned) : &tuned, -1};
  int call = calls.fetch_add(1, std::memory_order_relaxed) - kSkippedCalls;
  if (call < 0)
    return {&tuned, -1};
  // Two calls one way, two the other: the chunks of one kernel call, which
  // run side by side on different threads, mostly take the same way, so
  // both ways see both threads' speed.
  int trial = (call / 2) % 2;
  return {trial == Packed ? &packingTwin(tuned) : &tuned, trial};
}

void BLayoutChooser::report(int way, int64_t nanoseconds) {
  std::atomic<int64_t> &best = fastest[way];
  int64_t seen = best.load(std::memory_order_relaxed);
  while (
      nanoseconds < seen &&
      !best.compare_exchange_weak(seen, nanoseconds, std::memory_order_relaxed))
    ;
  // The fastest call of each way counts: slower ones met another process
  // or a cold cache.
  if (reports.fetch_add(1, std::memory_order_acq_rel) + 1 < 2 * kTrialsPerWay)
    return;
  int64_t inPlace = fastest[InPlace].load(std::memory_order_relaxed);
  int64_t packed = fastest[Packed].load(std::memory_order_relaxed);
  int expected = -1;
  choice.compare_exchange_strong(expected, packed < inPlace ? Packed : InPlace,
                                 std::memory_order_acq_rel);
}

} // namespace nnc::cpu
