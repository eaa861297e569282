//===- Conv2dDirect.cpp - Short-row conv2d without im2col -----------------===//
//
// acc[tap][filter][vector] (16 lanes each) lives in a per-thread buffer that
// stays in L1; per image and tap (c, kh, kw) it is loaded into registers,
// and for every output row oh the input row x[c, oh + kh, kw ...] (V
// vectors, the last masked) is multiplied into each filter's dy[f, oh, ...]
// row. A weight is the horizontal sum of its V vectors at the end.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/gemm/Conv2dDirect.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace nnc::cpu {

namespace {

bool hasAvx512() {
#if defined(__x86_64__)
  static const bool available = __builtin_cpu_supports("avx512f");
  return available;
#else
  return false;
#endif
}

constexpr int64_t kMaxFilters = 8;

} // namespace

bool conv2dGradWeightDirectFits(const Conv2dShape &s, int64_t filterBegin,
                                int64_t filterEnd) {
  if (!hasAvx512() || !s.valid())
    return false;
  int64_t outW = s.outWidth();
  return s.strideH == 1 && s.strideW == 1 && s.dilationH == 1 &&
         s.dilationW == 1 && s.padH == 0 && s.padW == 0 && s.groups == 1 &&
         filterEnd - filterBegin >= 1 &&
         filterEnd - filterBegin <= kMaxFilters && outW >= 16 && outW <= 32;
}

#if defined(__x86_64__)

namespace {

/// Taps of all images for NF filters and V vectors of output columns.
template <int V, int NF>
__attribute__((target("avx512f"))) void
accumulate(const Conv2dShape &s, const float *x, const float *dy,
           int64_t filterBegin, float *acc) {
  int64_t outH = s.outHeight(), outW = s.outWidth();
  int64_t image = s.height * s.width, plane = outH * outW;
  __mmask16 last = static_cast<__mmask16>(
      (1u << static_cast<unsigned>(outW - 16 * (V - 1))) - 1);
  for (int64_t n = 0; n < s.batch; ++n) {
    const float *xn = x + n * s.channels * image;
    const float *dyn = dy + (n * s.filters + filterBegin) * plane;
    for (int64_t c = 0; c < s.channels; ++c)
      for (int64_t kh = 0; kh < s.kernelH; ++kh)
        for (int64_t kw = 0; kw < s.kernelW; ++kw) {
          int64_t tap = (c * s.kernelH + kh) * s.kernelW + kw;
          float *a = acc + tap * NF * V * 16;
          __m512 r[NF][V];
          for (int i = 0; i < NF; ++i)
            for (int v = 0; v < V; ++v)
              r[i][v] = _mm512_loadu_ps(a + (i * V + v) * 16);
          const float *xr = xn + c * image + kh * s.width + kw;
          for (int64_t oh = 0; oh < outH; ++oh, xr += s.width) {
            __m512 xv[V];
            for (int v = 0; v < V - 1; ++v)
              xv[v] = _mm512_loadu_ps(xr + 16 * v);
            xv[V - 1] = _mm512_maskz_loadu_ps(last, xr + 16 * (V - 1));
            const float *g = dyn + oh * outW;
            for (int i = 0; i < NF; ++i) {
              for (int v = 0; v < V - 1; ++v)
                r[i][v] = _mm512_fmadd_ps(
                    _mm512_loadu_ps(g + i * plane + 16 * v), xv[v], r[i][v]);
              r[i][V - 1] = _mm512_fmadd_ps(
                  _mm512_maskz_loadu_ps(last, g + i * plane + 16 * (V - 1)),
                  xv[V - 1], r[i][V - 1]);
            }
          }
          for (int i = 0; i < NF; ++i)
            for (int v = 0; v < V; ++v)
              _mm512_storeu_ps(a + (i * V + v) * 16, r[i][v]);
        }
  }
}

template <int V>
void accumulateFilters(int64_t filters, const Conv2dShape &s, const float *x,
                       const float *dy, int64_t filterBegin, float *acc) {
  switch (filters) {
  case 1:
    return accumulate<V, 1>(s, x, dy, filterBegin, acc);
  case 2:
    return accumulate<V, 2>(s, x, dy, filterBegin, acc);
  case 3:
    return accumulate<V, 3>(s, x, dy, filterBegin, acc);
  case 4:
    return accumulate<V, 4>(s, x, dy, filterBegin, acc);
  case 5:
    return accumulate<V, 5>(s, x, dy, filterBegin, acc);
  case 6:
    return accumulate<V, 6>(s, x, dy, filterBegin, acc);
  case 7:
    return accumulate<V, 7>(s, x, dy, filterBegin, acc);
  default:
    return accumulate<V, 8>(s, x, dy, filterBegin, acc);
  }
}

__attribute__((target("avx512f"))) float sumLanes(const float *a, int vectors) {
  __m512 sum = _mm512_loadu_ps(a);
  for (int v = 1; v < vectors; ++v)
    sum = _mm512_add_ps(sum, _mm512_loadu_ps(a + 16 * v));
  return _mm512_reduce_add_ps(sum);
}

} // namespace

void conv2dGradWeightDirect(const Conv2dShape &s, const float *x,
                            const float *dy, float *dweight,
                            int64_t filterBegin, int64_t filterEnd) {
  assert(conv2dGradWeightDirectFits(s, filterBegin, filterEnd) &&
         "shape outside the direct path");
  int64_t filters = filterEnd - filterBegin;
  int vectors = s.outWidth() > 16 ? 2 : 1;
  int64_t taps = s.channels * s.kernelH * s.kernelW;
  thread_local std::vector<float> acc;
  acc.assign(static_cast<size_t>(taps * filters * vectors * 16), 0.0f);
  if (vectors == 1)
    accumulateFilters<1>(filters, s, x, dy, filterBegin, acc.data());
  else
    accumulateFilters<2>(filters, s, x, dy, filterBegin, acc.data());
  for (int64_t i = 0; i < filters; ++i)
    for (int64_t tap = 0; tap < taps; ++tap)
      dweight[(filterBegin + i) * taps + tap] =
          sumLanes(acc.data() + (tap * filters + i) * vectors * 16, vectors);
}

namespace {

/// Output rows of images [batchBegin, batchEnd) for filters [f0, f0 + NF).
template <int V, int NF>
__attribute__((target("avx512f"))) void
forwardBlock(const Conv2dShape &s, const float *x, const float *weight,
             const float *bias, float *y, int64_t batchBegin, int64_t batchEnd,
             int64_t f0) {
  int64_t outH = s.outHeight(), outW = s.outWidth();
  int64_t image = s.height * s.width, plane = outH * outW;
  int64_t taps = s.channels * s.kernelH * s.kernelW;
  __mmask16 last = static_cast<__mmask16>(
      (1u << static_cast<unsigned>(outW - 16 * (V - 1))) - 1);
  for (int64_t n = batchBegin; n < batchEnd; ++n) {
    const float *xn = x + n * s.channels * image;
    float *yn = y + (n * s.filters + f0) * plane;
    for (int64_t oh = 0; oh < outH; ++oh) {
      __m512 r[NF][V];
      for (int i = 0; i < NF; ++i)
        for (int v = 0; v < V; ++v)
          r[i][v] = _mm512_set1_ps(bias ? bias[f0 + i] : 0.0f);
      const float *w = weight + f0 * taps;
      for (int64_t c = 0; c < s.channels; ++c)
        for (int64_t kh = 0; kh < s.kernelH; ++kh) {
          const float *xr = xn + c * image + (oh + kh) * s.width;
          for (int64_t kw = 0; kw < s.kernelW; ++kw, ++w) {
            __m512 xv[V];
            for (int v = 0; v < V - 1; ++v)
              xv[v] = _mm512_loadu_ps(xr + kw + 16 * v);
            xv[V - 1] = _mm512_maskz_loadu_ps(last, xr + kw + 16 * (V - 1));
            for (int i = 0; i < NF; ++i) {
              __m512 wi = _mm512_set1_ps(w[i * taps]);
              for (int v = 0; v < V; ++v)
                r[i][v] = _mm512_fmadd_ps(wi, xv[v], r[i][v]);
            }
          }
        }
      for (int i = 0; i < NF; ++i) {
        float *row = yn + i * plane + oh * outW;
        for (int v = 0; v < V - 1; ++v)
          _mm512_storeu_ps(row + 16 * v, r[i][v]);
        _mm512_mask_storeu_ps(row + 16 * (V - 1), last, r[i][V - 1]);
      }
    }
  }
}

template <int V>
void forwardFilters(int64_t filters, const Conv2dShape &s, const float *x,
                    const float *weight, const float *bias, float *y,
                    int64_t batchBegin, int64_t batchEnd, int64_t f0) {
  switch (filters) {
  case 1:
    return forwardBlock<V, 1>(s, x, weight, bias, y, batchBegin, batchEnd, f0);
  case 2:
    return forwardBlock<V, 2>(s, x, weight, bias, y, batchBegin, batchEnd, f0);
  case 3:
    return forwardBlock<V, 3>(s, x, weight, bias, y, batchBegin, batchEnd, f0);
  case 4:
    return forwardBlock<V, 4>(s, x, weight, bias, y, batchBegin, batchEnd, f0);
  case 5:
    return forwardBlock<V, 5>(s, x, weight, bias, y, batchBegin, batchEnd, f0);
  case 6:
    return forwardBlock<V, 6>(s, x, weight, bias, y, batchBegin, batchEnd, f0);
  case 7:
    return forwardBlock<V, 7>(s, x, weight, bias, y, batchBegin, batchEnd, f0);
  default:
    return forwardBlock<V, 8>(s, x, weight, bias, y, batchBegin, batchEnd, f0);
  }
}

} // namespace

bool conv2dForwardDirectFits(const Conv2dShape &s) {
  if (!hasAvx512() || !s.valid())
    return false;
  int64_t outW = s.outWidth();
  return s.strideH == 1 && s.strideW == 1 && s.dilationH == 1 &&
         s.dilationW == 1 && s.padH == 0 && s.padW == 0 && s.groups == 1 &&
         outW >= 8 && outW <= 32;
}

void conv2dForwardDirect(const Conv2dShape &s, const float *x,
                         const float *weight, const float *bias, float *y,
                         int64_t batchBegin, int64_t batchEnd) {
  assert(conv2dForwardDirectFits(s) && "shape outside the direct path");
  // Up to 8 filters' rows (16 zmm) at a time: the input rows they share are
  // loaded once per block.
  for (int64_t f0 = 0; f0 < s.filters; f0 += kMaxFilters) {
    int64_t filters = std::min(kMaxFilters, s.filters - f0);
    if (s.outWidth() > 16)
      forwardFilters<2>(filters, s, x, weight, bias, y, batchBegin, batchEnd,
                        f0);
    else
      forwardFilters<1>(filters, s, x, weight, bias, y, batchBegin, batchEnd,
                        f0);
  }
}

#else

bool conv2dForwardDirectFits(const Conv2dShape &) { return false; }

void conv2dForwardDirect(const Conv2dShape &, const float *, const float *,
                         const float *, float *, int64_t, int64_t) {
  assert(false && "shape outside the direct path");
}

void conv2dGradWeightDirect(const Conv2dShape &, const float *, const float *,
                            float *, int64_t, int64_t) {
  assert(false && "shape outside the direct path");
}

#endif

} // namespace nnc::cpu
