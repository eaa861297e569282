//===- GemmScratch.h - Per-thread scratch buffers (internal) ----*- C++ -*-===//

#ifndef NNC_BACKENDS_CPU_GEMM_GEMMSCRATCH_H
#define NNC_BACKENDS_CPU_GEMM_GEMMSCRATCH_H

#include <cstddef>

namespace nnc::cpu::detail {

/// The independent scratch buffers a thread may hold at once.
enum class ScratchSlot { PackedA, PackedB, Columns, Results, Count };

/// A 64-byte aligned buffer of at least `floats` floats, private to the
/// calling thread and to `slot`. It lives until the thread exits and is
/// reallocated (contents lost) only when a call asks for more than before.
float *threadScratch(ScratchSlot slot, size_t floats);

} // namespace nnc::cpu::detail

#endif // NNC_BACKENDS_CPU_GEMM_GEMMSCRATCH_H
