//===- Gemv.cpp - One-row products for batch-1 matmuls --------------------===//
//
// Up to 256 columns at a time in 16 zmm accumulators: per k step one
// broadcast of x[p], 16 loads of W's row and 16 FMAs, with a prefetch of the
// row 8 steps ahead (W is read once, from L3 or memory). The last vector of
// a block is masked, so every width takes the same per-column sequence.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/gemm/Gemv.h"

#include <algorithm>
#include <cassert>
#include <utility>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace nnc::cpu {

#if defined(__x86_64__)

namespace {

/// Columns [0, 16 * (V - 1) + popcount(last)) of y from w's rows.
template <int V>
__attribute__((target("avx512f"))) void
gemvBlock(const float *x, const float *w, int64_t ldw, int64_t k, float *y,
          __mmask16 last) {
  __m512 acc[V];
  for (int i = 0; i < V; ++i)
    acc[i] = _mm512_setzero_ps();
  for (int64_t p = 0; p < k; ++p) {
    __m512 a = _mm512_set1_ps(x[p]);
    const float *row = w + p * ldw;
    if (p + 8 < k)
      _mm_prefetch(reinterpret_cast<const char *>(row + 8 * ldw), _MM_HINT_T0);
    for (int i = 0; i < V - 1; ++i)
      acc[i] = _mm512_fmadd_ps(a, _mm512_loadu_ps(row + 16 * i), acc[i]);
    acc[V - 1] = _mm512_fmadd_ps(
        a, _mm512_maskz_loadu_ps(last, row + 16 * (V - 1)), acc[V - 1]);
  }
  for (int i = 0; i < V - 1; ++i)
    _mm512_storeu_ps(y + 16 * i, acc[i]);
  _mm512_mask_storeu_ps(y + 16 * (V - 1), last, acc[V - 1]);
}

template <int... Vs>
void gemvDispatch(int vectors, const float *x, const float *w, int64_t ldw,
                  int64_t k, float *y, __mmask16 last,
                  std::integer_sequence<int, Vs...>) {
  // Calls gemvBlock<vectors>.
  (void)((vectors == Vs + 1 ? (gemvBlock<Vs + 1>(x, w, ldw, k, y, last), true)
                            : false) ||
         ...);
}

} // namespace

bool gemvAvailable() {
  static const bool available = __builtin_cpu_supports("avx512f");
  return available;
}

void gemvColumns(const float *x, const float *w, int64_t ldw, int64_t k,
                 float *y, int64_t colBegin, int64_t colEnd) {
  assert(gemvAvailable() && "gemvColumns needs AVX-512F");
  for (int64_t j = colBegin; j < colEnd; j += 256) {
    int64_t width = std::min<int64_t>(256, colEnd - j);
    int vectors = static_cast<int>((width + 15) / 16);
    int tail = static_cast<int>(width - 16 * (vectors - 1));
    __mmask16 last = static_cast<__mmask16>((1u << tail) - 1);
    gemvDispatch(vectors, x, w + j, ldw, k, y + j, last,
                 std::make_integer_sequence<int, 16>());
  }
}

#else

bool gemvAvailable() { return false; }

void gemvColumns(const float *, const float *, int64_t, int64_t, float *,
                 int64_t, int64_t) {
  assert(false && "gemvColumns needs AVX-512F");
}

#endif

} // namespace nnc::cpu
