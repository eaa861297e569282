//===- BLayoutChooser.h - B in place or packed, per kernel ------*- C++ -*-===//
//
// For a block of a few row tiles the GEMM reads a non-transposed B in
// place instead of packing it, up to a number of tiles measured once per
// CPU model (GemmAutotune.h). That probe reads a B nothing else wrote. In a
// training step on several threads the weights a product reads were just
// written by the update kernels, on both cores, and reading them in place
// with a stride then fetches lines the other core holds modified: on an
// Intel Xeon (family 6 model 167) the MLP's batch-128 step is 7% slower in
// place, while a batch-1 transformer forward, whose weights nobody writes,
// is 8% faster (docs/performance.md). Only the kernel's own calls tell
// which case it is in, so each kernel times both ways on its first calls.
// Reading in place must win by a margin: its cost can fall outside the
// product. On the Xeon model 207 the forward product of the MLP's step
// takes the same time either way, but after reading its weight in place
// the update kernel that writes it is 100 µs a step slower. Both ways give
// the same bits (Gemm.h), so the choice changes speed only.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_BLAYOUTCHOOSER_H
#define NNC_BACKENDS_CPU_BLAYOUTCHOOSER_H

#include "backends/cpu/gemm/MicroKernel.h"

#include <atomic>
#include <cstdint>
#include <limits>
#include <mutex>

namespace nnc::cpu {

struct ContractionHead;

/// Whether rows [first, last) of `head` run a block whose B `kernels` would
/// read in place while packing from three row tiles on would pack it: a
/// run of rows that is one GEMM (runsRowsAsOneGemm, a thread's run of a
/// kernel that splits inside included) with a non-transposed B too large
/// to stay in L1, rows less than a page apart, and 3 to bInPlaceRowTiles
/// row tiles.
bool bLayoutMatters(const ContractionHead &head, const GemmKernels &kernels,
                    int64_t first, int64_t last);

/// One kernel's choice. Calls may come from several threads at once.
class BLayoutChooser {
public:
  /// Timed calls of each way before choosing, after kSkippedCalls untimed
  /// ones that page in the operands and the packing scratch.
  static constexpr int kTrialsPerWay = 6;
  /// Reading in place is kept only when its fastest call took at most this
  /// many tenths of packing's.
  static constexpr int kInPlaceTenthsAtMost = 9;
  static constexpr int kSkippedCalls = 2;

  enum Way : int { InPlace = 0, Packed = 1 };

  /// What a call should run: the kernels, and the way it is a trial of
  /// (-1 when the choice is made or the call is not timed).
  struct Pick {
    const GemmKernels *kernels;
    int trialOf;
  };

  /// The kernels for the next call: `tuned`, or its twin that packs B
  /// from three row tiles on.
  Pick pick(const GemmKernels &tuned);

  /// Reports how long a call picked as a trial of `way` took.
  void report(int way, int64_t nanoseconds);

  /// The way chosen, or -1 while still timing.
  int chosen() const { return choice.load(std::memory_order_acquire); }

private:
  const GemmKernels &packingTwin(const GemmKernels &tuned);

  std::once_flag twinMade;
  GemmKernels packing;
  std::atomic<int> calls{0};
  std::atomic<int> reports{0};
  std::atomic<int64_t> fastest[2] = {std::numeric_limits<int64_t>::max(),
                                     std::numeric_limits<int64_t>::max()};
  std::atomic<int> choice{-1};
};

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_BLAYOUTCHOOSER_H
