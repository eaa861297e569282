//===- OneRowBlocks.h - One-row products reduced over blocks of k -*- C++ -*-===//
//
// y = x * B for one row x when B is too large for one core's cache. The
// column split of a one-row product hands each thread a slice of every row
// of B; with rows a power of two bytes apart such a slice maps to a
// fraction of the L2 sets and evicts itself between calls. Cut along k
// instead, each thread streams whole consecutive rows, which stay in its
// L2, and the partial rows are added at the end.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_ONEROWBLOCKS_H
#define NNC_BACKENDS_CPU_ONEROWBLOCKS_H

#include "backends/cpu/gemm/Gemm.h"

#include <cstdint>

namespace nnc::cpu {

/// out[j] = sum over p in [0, k) of x[p] * b[p * ldb + j] for j in [0, n),
/// computed as `blocks` partial products over consecutive blocks of
/// ceil(k / blocks) rows of b, run in parallel with oneTBB and added in
/// block order. The result depends on `blocks`, never on the thread count.
/// Each block runs through gemvColumns when `gemm` is null (only then
/// valid where gemvAvailable()), else through `gemm`. out must not alias x
/// or b.
///
/// `backwards`: each thread runs its blocks last to first. A caller that
/// flips it on every call first reads the blocks it read last the time
/// before, which are still in cache when b is a little larger than the
/// cache (one thread over the benchmark MLP's 1.6 MB layer, beside its 0.5
/// MB next one, in a 2 MiB L2: 33-34 against 22-25 µs for the three
/// layers, Xeon family 6 model 167), where the same order every call
/// evicts each block just before it is read again.
void oneRowProductByBlocks(const GemmKernels *gemm, const float *x,
                           const float *b, int64_t ldb, int64_t k, int64_t n,
                           int64_t blocks, float *out, bool backwards = false);

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_ONEROWBLOCKS_H
