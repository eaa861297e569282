//===- BLayoutChooser.cpp - B in place or packed, per kernel --------------===//

#include "backends/cpu/BLayoutChooser.h"

#include "backends/cpu/CpuKernel.h"

namespace nnc::cpu {

bool bLayoutMatters(const ContractionHead &head, const GemmKernels &kernels,
                    int64_t first, int64_t last) {
  // A kernel that splits inside by rows reads B like the executor's
  // chunks, as the forward products of the MLP's training step do.
  if (!runsRowsAsOneGemm(head))
    return false;
  // Where the tuned kernels read B in place and their packing twin
  // (kBInPlaceRowTilesFarRows for every B) would not.
  auto inPlaceUpTo = [&](int64_t nearRowTiles) {
    return readsBInPlace(kernels, head.transB, head.k, head.n, head.ldb,
                         last - first, nearRowTiles);
  };
  return inPlaceUpTo(kernels.bInPlaceRowTiles) &&
         !inPlaceUpTo(kBInPlaceRowTilesFarRows);
}

const GemmKernels &BLayoutChooser::packingTwin(const GemmKernels &tuned) {
  std::call_once(twinMade, [&] {
    packing = tuned;
    packing.bInPlaceRowTiles = kBInPlaceRowTilesFarRows;
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
  // Divided first: a way no call reported is at the maximum.
  int chosenWay =
      inPlace <= packed / 10 * kInPlaceTenthsAtMost ? InPlace : Packed;
  int expected = -1;
  choice.compare_exchange_strong(expected, chosenWay,
                                 std::memory_order_acq_rel);
}

} // namespace nnc::cpu
