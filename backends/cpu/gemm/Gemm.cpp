//===- Gemm.cpp - Packing and cache blocking around the micro-kernels -----===//
//
// The BLIS loop nest: columns of C in blocks of nc, k in blocks of kc (B's
// block packed into NR-wide panels), rows in blocks of mc (A's block packed
// into MR-tall panels), then NR x MR register tiles. Edges use the kernels
// for fewer rows and the column-masked kernels, never a scalar path. The k
// blocks start at multiples of kc from 0 whatever block of C is asked for,
// so every element is summed in the same order under any split.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/gemm/CacheModel.h"
#include "backends/cpu/gemm/GemmAutotune.h"
#include "backends/cpu/gemm/GemmScratch.h"
#include "backends/cpu/gemm/MicroKernel.h"

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <cstring>
#include <functional>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace nnc::cpu {

using namespace detail;

namespace {

constexpr int64_t kPageBytes = 4096;

constexpr int kPortableMr = 4;
constexpr int kPortableNr = 8;

/// The no-JIT micro-kernel: the MicroKernelFn contract in plain C++.
template <int Rows>
void portableKernel(int64_t k, const float *a, const float *b, int64_t ldb,
                    float *c, int64_t ldc, int64_t nCols, int64_t accumulate) {
  float acc[Rows][kPortableNr] = {};
  for (int64_t p = 0; p < k; ++p)
    for (int r = 0; r < Rows; ++r)
      for (int64_t j = 0; j < nCols; ++j)
        acc[r][j] += a[p * kPortableMr + r] * b[p * ldb + j];
  for (int r = 0; r < Rows; ++r)
    for (int64_t j = 0; j < nCols; ++j)
      c[r * ldc + j] = accumulate ? c[r * ldc + j] + acc[r][j] : acc[r][j];
}

MicroKernelSet portableKernels() {
  MicroKernelSet set;
  set.mr = kPortableMr;
  set.nr = kPortableNr;
  MicroKernelFn fns[] = {portableKernel<1>, portableKernel<2>,
                         portableKernel<3>, portableKernel<4>};
  for (int r = 0; r < kPortableMr; ++r)
    set.full[r] = set.masked[r] = fns[r];
  return set;
}

#if defined(__x86_64__)
/// Transposes a 16 x 16 block in registers: v[i] holds row i on entry and
/// column i on return. Packing by 16 x 16 transposes moves 2.5 times the
/// floats per second of one AVX-512 gather per k step (8 against 3.2
/// floats/ns for 12-row panels of A on an AMD EPYC, family 26 model 2), and
/// packing was a fifth of a batch-1 attention head's time.
__attribute__((target("avx512f"), always_inline)) inline void
transpose16x16(__m512 v[16]) {
  __m512 t[16];
  // Pairs of rows interleaved, then 4 x 4 blocks within each 128-bit lane,
  // then the lanes themselves.
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(v[i], v[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(v[i], v[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    v[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
    v[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
    v[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    v[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_f32x4(v[i], v[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_f32x4(v[i], v[i + 4], 0xDD);
    t[i + 8] = _mm512_shuffle_f32x4(v[i + 8], v[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_f32x4(v[i + 8], v[i + 12], 0xDD);
  }
  for (int i = 0; i < 4; ++i) {
    v[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    v[i + 4] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0x88);
    v[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
    v[i + 12] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0xDD);
  }
}

/// Loads `rows` (1 to 16) rows of `steps` (<= 16) floats, `ld` apart, and
/// transposes them: v[j] holds column j, zero past `rows`. Masked loads
/// touch nothing past a row's `steps` floats, and rows past `rows` load
/// under an empty mask, so that the 16 loads unroll without branches and
/// v stays in registers.
__attribute__((target("avx512f"), always_inline)) inline void
loadTransposed(const float *src, int64_t ld, int64_t rows, int64_t steps,
               __m512 v[16]) {
  __mmask16 columns = static_cast<__mmask16>((1u << steps) - 1);
  for (int64_t r = 0; r < 16; ++r)
    v[r] = _mm512_maskz_loadu_ps(r < rows ? columns : __mmask16(0),
                                 src + std::min(r, rows - 1) * ld);
  transpose16x16(v);
}

/// Stores 16 transposed k steps of a 12-row panel (v[j]: step j, rows in
/// lanes 0-11) as the 12 whole vectors their 192 floats make back to back:
/// each joins the end of one step to the start of the next with one
/// two-source permute. 16 stores masked to 12 lanes ran at half the speed.
__attribute__((target("avx512f"), always_inline)) inline void
storeSteps12(const __m512 v[16], float *d) {
  const __m512i first =
      _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19);
  const __m512i second = _mm512_setr_epi32(4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18,
                                           19, 20, 21, 22, 23);
  const __m512i third = _mm512_setr_epi32(8, 9, 10, 11, 16, 17, 18, 19, 20, 21,
                                          22, 23, 24, 25, 26, 27);
  for (int g = 0; g < 4; ++g) {
    const __m512 *step = v + 4 * g;
    float *out = d + 48 * g;
    _mm512_storeu_ps(out, _mm512_permutex2var_ps(step[0], first, step[1]));
    _mm512_storeu_ps(out + 16,
                     _mm512_permutex2var_ps(step[1], second, step[2]));
    _mm512_storeu_ps(out + 32, _mm512_permutex2var_ps(step[2], third, step[3]));
  }
}

/// The packing of 16 k steps (`steps` <= 16) of a panel of `rows` <= 4 rows
/// (zero past them) of A stored M x K, its steps mr >= 4 floats apart. The
/// short end of a block is often such a panel (64 rows are five panels of
/// 12 and one of 4, and a batched product has one per matrix): its 4 rows
/// are transposed within each 128-bit lane (8 shuffles, where the 16 x 16
/// transpose takes 64), and step j's 4 floats are lanes [4L, 4L + 4) of
/// vector j % 4, L = j / 4, stored under that mask from 4L floats before
/// their place (lanes outside a store's mask touch no memory). Panels of
/// 8 rows went slower this way: 32 stores of 4 lanes cost more than the
/// shuffles they save.
__attribute__((target("avx512f"), always_inline)) inline void
packFewRowsAvx512(const float *src, int64_t lda, int64_t rows, int64_t steps,
                  int64_t mr, float *d) {
  __mmask16 columns = static_cast<__mmask16>((1u << steps) - 1);
  __m512 r[4];
  for (int64_t i = 0; i < 4; ++i)
    r[i] = _mm512_maskz_loadu_ps(i < rows ? columns : __mmask16(0),
                                 src + std::min(i, rows - 1) * lda);
  // Per 128-bit lane: rows a, b and c, d interleaved, then the lane's 4 x 4
  // block transposed.
  __m512 ab01 = _mm512_unpacklo_ps(r[0], r[1]);
  __m512 ab23 = _mm512_unpackhi_ps(r[0], r[1]);
  __m512 cd01 = _mm512_unpacklo_ps(r[2], r[3]);
  __m512 cd23 = _mm512_unpackhi_ps(r[2], r[3]);
  const __m512 step[4] = {
      _mm512_shuffle_ps(ab01, cd01, 0x44), _mm512_shuffle_ps(ab01, cd01, 0xEE),
      _mm512_shuffle_ps(ab23, cd23, 0x44), _mm512_shuffle_ps(ab23, cd23, 0xEE)};
  for (int64_t j = 0; j < steps; ++j) {
    int64_t lane = j / 4;
    _mm512_mask_storeu_ps(d + j * mr - 4 * lane,
                          static_cast<__mmask16>(0xFu << (4 * lane)),
                          step[j % 4]);
  }
}

/// The packing of 16 k steps of a panel of 5 to 8 rows of A stored M x K,
/// its steps 8 <= mr < 16 floats apart (rows past `rows` zero, lanes past
/// 8 unset: the kernel for fewer rows does not read them), as a 12-row tile
/// leaves at the end of 32 rows: every matrix of attention's batched
/// products at T = 32. Two rows at a time interleaved, then 4 x 4 blocks
/// within each 128-bit lane (16 shuffles), then one two-source permute per
/// step gathers its 8 floats into lanes 0-7 and a whole-vector store writes
/// them, the other lanes running into the next step's place, which the next
/// store overwrites; the last step is stored masked, so nothing past the 16
/// steps is touched. The 16 x 16 transpose (64 shuffles over 16 loads, half
/// of them empty) cost a third more per matrix (a third of its packing).
__attribute__((target("avx512f"), always_inline)) inline void
packEightRowsAvx512(const float *src, int64_t lda, int64_t rows, int64_t mr,
                    float *d) {
  __m512 r[8];
  for (int64_t i = 0; i < 8; ++i)
    r[i] = _mm512_maskz_loadu_ps(i < rows ? __mmask16(0xFFFF) : __mmask16(0),
                                 src + std::min(i, rows - 1) * lda);
  // quad[q][j], lane L: rows 4q to 4q + 3 of step 4L + j.
  __m512 quad[2][4];
  for (int q = 0; q < 2; ++q) {
    __m512 lo01 = _mm512_unpacklo_ps(r[4 * q], r[4 * q + 1]);
    __m512 hi01 = _mm512_unpackhi_ps(r[4 * q], r[4 * q + 1]);
    __m512 lo23 = _mm512_unpacklo_ps(r[4 * q + 2], r[4 * q + 3]);
    __m512 hi23 = _mm512_unpackhi_ps(r[4 * q + 2], r[4 * q + 3]);
    quad[q][0] = _mm512_shuffle_ps(lo01, lo23, 0x44);
    quad[q][1] = _mm512_shuffle_ps(lo01, lo23, 0xEE);
    quad[q][2] = _mm512_shuffle_ps(hi01, hi23, 0x44);
    quad[q][3] = _mm512_shuffle_ps(hi01, hi23, 0xEE);
  }
  for (int lane = 0; lane < 4; ++lane) {
    // Lane `lane` of the first source, then of the second (indices 16 on).
    const __m512i pick = _mm512_setr_epi32(
        4 * lane, 4 * lane + 1, 4 * lane + 2, 4 * lane + 3, 16 + 4 * lane,
        17 + 4 * lane, 18 + 4 * lane, 19 + 4 * lane, 0, 0, 0, 0, 0, 0, 0, 0);
    for (int j = 0; j < 4; ++j) {
      int step = 4 * lane + j;
      __m512 v = _mm512_permutex2var_ps(quad[0][j], pick, quad[1][j]);
      if (step < 15)
        _mm512_storeu_ps(d + step * mr, v);
      else
        _mm512_mask_storeu_ps(d + step * mr, __mmask16(0xFF), v);
    }
  }
}

/// The packing of a panel of `rows` <= mr <= 16 rows of A stored M x K: 16
/// k steps at a time, each step's mr floats (zero past `rows`, except in
/// panels of 5 to 8 rows, packEightRowsAvx512) stored masked so the
/// panel's end is not overrun. The last panel of a block is
/// often short (64 rows are 5 panels of 12 and one of 4), and a batched
/// product has one per matrix: its scalar packing cost 5% of
/// [16, 4, 64, 64] @ [16, 4, 64, 32].
__attribute__((target("avx512f"))) void
packRowsPanelAvx512(const float *src, int64_t lda, int64_t kc, int64_t rows,
                    int64_t mr, float *d) {
  __mmask16 mask = static_cast<__mmask16>((1u << mr) - 1);
  if (rows <= 4 && mr >= 4) {
    for (int64_t k0 = 0; k0 < kc; k0 += 16)
      packFewRowsAvx512(src + k0, lda, rows, std::min<int64_t>(16, kc - k0), mr,
                        d + k0 * mr);
    return;
  }
  for (int64_t k0 = 0; k0 < kc; k0 += 16) {
    int64_t steps = std::min<int64_t>(16, kc - k0);
    if (rows <= 8 && mr >= 8 && mr < 16 && steps == 16) {
      packEightRowsAvx512(src + k0, lda, rows, mr, d + k0 * mr);
      continue;
    }
    __m512 v[16];
    loadTransposed(src + k0, lda, rows, steps, v);
    if (mr == 12 && steps == 16) {
      storeSteps12(v, d + k0 * mr);
      continue;
    }
    for (int64_t j = 0; j < 16; ++j)
      if (j < steps)
        _mm512_mask_storeu_ps(d + (k0 + j) * mr, mask, v[j]);
  }
}
#endif

#if defined(__x86_64__)
/// d[0, n) = s[0, n) for n <= 16: one masked load and store. The packing
/// loops below copy runs of a register tile's width, which the baseline
/// x86-64 code they are compiled as moves 16 bytes at a time.
__attribute__((target("avx512f"), always_inline)) inline void
copyRun16(const float *s, int64_t n, float *d) {
  __mmask16 mask = static_cast<__mmask16>((1u << n) - 1);
  _mm512_mask_storeu_ps(d, mask, _mm512_maskz_loadu_ps(mask, s));
}

/// The k steps of a panel of `rows` <= 16 rows of A stored K x M (op(A) =
/// A^T): each step's rows are a contiguous run.
__attribute__((target("avx512f"))) void
packTransposedRowsAvx512(const float *src, int64_t lda, int64_t kc,
                         int64_t rows, int64_t mr, float *d) {
  for (int64_t k = 0; k < kc; ++k)
    copyRun16(src + k * lda, rows, d + k * mr);
}

/// Rows [0, kc) of B stored K x N (ldb apart, from s) dealt out to panels
/// of nr columns (a multiple of 16) of nc.
__attribute__((target("avx512f"))) void
packRowsToPanelsAvx512(const float *s, int64_t ldb, int64_t kc, int64_t nc,
                       int64_t nr, float *dst) {
  for (int64_t k = 0; k < kc; ++k, s += ldb)
    for (int64_t jr = 0; jr < nc; jr += nr) {
      int64_t cols = std::min(nr, nc - jr);
      float *d = dst + jr * kc + k * nr;
      for (int64_t j = 0; j < cols; j += 16)
        copyRun16(s + jr + j, std::min<int64_t>(16, cols - j), d + j);
    }
}
#endif

/// Packs op(A)[ic, ic + mc) x [pc, pc + kc) into MR-tall panels of kc steps
/// of MR floats; rows past mc in the last panel are left unset (the kernel
/// for fewer rows does not read them).
void packA(const GemmProblem &p, int64_t ic, int64_t mc, int64_t pc, int64_t kc,
           int64_t mr, bool avx512, float *dst) {
  for (int64_t ir = 0; ir < mc; ir += mr) {
    int64_t rows = std::min(mr, mc - ir);
    float *d = dst + ir * kc;
    if (p.transA) {
#if defined(__x86_64__)
      if (avx512 && mr <= 16) {
        packTransposedRowsAvx512(p.a + pc * p.lda + ic + ir, p.lda, kc, rows,
                                 mr, d);
        continue;
      }
#endif
      // A is stored K x M: each k step is a contiguous run of rows, short
      // enough that an inlined loop beats a call to memcpy.
      for (int64_t k = 0; k < kc; ++k) {
        const float *s = p.a + (pc + k) * p.lda + ic + ir;
        for (int64_t r = 0; r < rows; ++r)
          d[k * mr + r] = s[r];
      }
      continue;
    }
#if defined(__x86_64__)
    if (avx512 && mr <= 16) {
      packRowsPanelAvx512(p.a + (ic + ir) * p.lda + pc, p.lda, kc, rows, mr, d);
      continue;
    }
#endif
    const float *src[kMaxMr];
    for (int64_t r = 0; r < rows; ++r)
      src[r] = p.a + (ic + ir + r) * p.lda + pc;
    for (int64_t k = 0; k < kc; ++k)
      for (int64_t r = 0; r < rows; ++r)
        d[k * mr + r] = src[r][k];
  }
}

#if defined(__x86_64__)
/// The transposed packing of one full panel (nr a multiple of 16) of B
/// stored N x K: 16 columns by 16 k steps per transpose.
__attribute__((target("avx512f"))) void
packTransposedPanelAvx512(const float *src, int64_t ldb, int64_t kc, int64_t nr,
                          float *d) {
  for (int64_t j = 0; j < nr; j += 16)
    for (int64_t k0 = 0; k0 < kc; k0 += 16) {
      int64_t steps = std::min<int64_t>(16, kc - k0);
      __m512 v[16];
      loadTransposed(src + j * ldb + k0, ldb, 16, steps, v);
      for (int64_t k = 0; k < 16; ++k)
        if (k < steps)
          _mm512_store_ps(d + (k0 + k) * nr + j, v[k]);
    }
}
#endif

/// Packs op(B)[pc, pc + kc) x [jc, jc + nc) into NR-wide panels of kc steps
/// of NR floats; columns past nc in the last panel are left unset (the
/// masked kernels do not read them).
void packB(const GemmProblem &p, int64_t jc, int64_t nc, int64_t pc, int64_t kc,
           int64_t nr, bool avx512Panels, float *dst) {
  if (!p.transB) {
    // Row by row: each row of the block is read once, front to back, and
    // dealt out to the panels. Panel by panel would read NR floats per row
    // at a stride of ldb, which for power-of-two widths maps to a few
    // cache sets and defeats the prefetchers (B is often cold here: a
    // weight the optimizer step just wrote). Runs of at most NR floats: an
    // inlined loop beats a call to memcpy.
#if defined(__x86_64__)
    if (avx512Panels) {
      packRowsToPanelsAvx512(p.b + pc * p.ldb + jc, p.ldb, kc, nc, nr, dst);
      return;
    }
#endif
    for (int64_t k = 0; k < kc; ++k) {
      const float *s = p.b + (pc + k) * p.ldb + jc;
      for (int64_t jr = 0; jr < nc; jr += nr) {
        int64_t cols = std::min(nr, nc - jr);
        float *d = dst + jr * kc + k * nr;
        for (int64_t j = 0; j < cols; ++j)
          d[j] = s[jr + j];
      }
    }
    return;
  }
  for (int64_t jr = 0; jr < nc; jr += nr) {
    int64_t cols = std::min(nr, nc - jr);
    float *d = dst + jr * kc;
    // B is stored N x K: transpose.
#if defined(__x86_64__)
    if (avx512Panels && cols == nr) {
      packTransposedPanelAvx512(p.b + (jc + jr) * p.ldb + pc, p.ldb, kc, nr, d);
      continue;
    }
#endif
    for (int64_t j = 0; j < cols; ++j) {
      const float *s = p.b + (jc + jr + j) * p.ldb + pc;
      for (int64_t k = 0; k < kc; ++k)
        d[k * nr + j] = s[k];
    }
  }
}

} // namespace

namespace detail {

MicroKernelSet portableMicroKernels() { return portableKernels(); }

std::shared_ptr<GemmKernels> assembleGemmKernels(const MicroKernelSet &set,
                                                 const std::string &target,
                                                 const GemmTuning &tuning) {
  auto kernels = std::make_shared<GemmKernels>();
  kernels->kernels = set;
  kernels->avx512 = target.rfind("avx512", 0) == 0;
  kernels->target = target;
  int64_t mr = set.mr, nr = set.nr;
  // From the host's caches (CacheModel.h); explicit tuning overrides it.
  GemmBlocking blocking = gemmBlockingFor(hostCaches(), int(mr), int(nr));
  kernels->kc = tuning.kc > 0 ? tuning.kc : blocking.kc;
  int64_t mc = tuning.mc > 0 ? tuning.mc : blocking.mc;
  int64_t nc = tuning.nc > 0 ? tuning.nc : blocking.nc;
  kernels->mc = std::max<int64_t>(mr, mc / mr * mr);
  kernels->nc = std::max<int64_t>(nr, nc / nr * nr);
  kernels->bInPlaceElements = blocking.bInPlaceElements;
  kernels->description = target + " " + std::to_string(mr) + "x" +
                         std::to_string(nr) +
                         " mc=" + std::to_string(kernels->mc) +
                         " kc=" + std::to_string(kernels->kc) +
                         " nc=" + std::to_string(kernels->nc);
  return kernels;
}

std::shared_ptr<const GemmKernels>
gemmKernelsFromSymbols(const std::string &target, int mr, int nr,
                       const std::function<void *(const std::string &)> &lookup,
                       std::shared_ptr<void> owner, std::string *error) {
  if (mr < 1 || mr > kMaxMr || nr < 1 || nr > 64) {
    if (error)
      *error = "micro-kernel tile " + std::to_string(mr) + "x" +
               std::to_string(nr) + " is out of range";
    return nullptr;
  }
  MicroKernelSet set;
  set.mr = mr;
  set.nr = nr;
  for (int rows = 1; rows <= mr; ++rows)
    for (bool masked : {false, true}) {
      std::string name = microKernelSymbol(unsigned(rows), masked);
      void *address = lookup(name);
      if (!address) {
        if (error)
          *error = "the code has no micro-kernel " + name;
        return nullptr;
      }
      (masked ? set.masked : set.full)[rows - 1] =
          reinterpret_cast<MicroKernelFn>(address);
    }
  std::shared_ptr<GemmKernels> kernels =
      assembleGemmKernels(set, target, GemmTuning());
  kernels->owner = std::move(owner);
  // Loading an artifact has no compile options: the record is used unless
  // NNC_NO_CACHE says otherwise.
  tuneForHost(*kernels, /*diskCache=*/true);
  return kernels;
}

} // namespace detail

std::string gemmKernelsDescription(const GemmKernels &kernels) {
  return kernels.description;
}

bool readsBInPlace(const GemmKernels &kernels, bool transB, int64_t k,
                   int64_t cols, int64_t ldb, int64_t rows,
                   int64_t nearRowTiles) {
  if (transB)
    return false;
  // With few row tiles B's panels are hardly reused, and a B small enough
  // to stay in L1 whatever its layout is read as fast where it lies: read
  // either in place.
  if (k * cols <= kernels.bInPlaceElements)
    return true;
  // Packing B is a pass over it that only its reuse by many row tiles
  // repays. Read in place, a block of a few row tiles (bInPlaceRowTiles,
  // measured on the host, or what BLayoutChooser.h picks) runs faster when B's
  // rows lie within a page of each other; farther apart, each k step of a panel
  // touches another page, and packing wins from three tiles on (README.md,
  // "Reading B in place").
  const int64_t mr = kernels.kernels.mr;
  const int64_t rowTiles = (rows + mr - 1) / mr;
  const bool nearRows = ldb * static_cast<int64_t>(sizeof(float)) < kPageBytes;
  // A B larger than the L2 (a packed block, kc x nc, fills it) comes from
  // memory; with its rows a page or more apart, a panel read in place
  // takes a page per k step, which the prefetchers and the TLB lose, and
  // one sequential pass packing it wins even for one row tile (a 3000 x
  // 3000 weight at batch 7 on one thread, Intel Xeon family 6 model 167:
  // 10.5-12 ms a step packed against 14-18 in place, best of 30 runs).
  if (!nearRows && k * cols > kernels.kc * kernels.nc)
    return false;
  return rowTiles <= (nearRows ? nearRowTiles : kBInPlaceRowTilesFarRows);
}

int64_t gemmPanelWidth(const GemmKernels &kernels) {
  return kernels.kernels.nr;
}

void gemmBlock(const GemmKernels &kernels, const GemmProblem &p,
               int64_t rowBegin, int64_t rowEnd, int64_t colBegin,
               int64_t colEnd) {
  assert(0 <= rowBegin && rowEnd <= p.m && 0 <= colBegin && colEnd <= p.n &&
         "block outside C");
  if (rowBegin >= rowEnd || colBegin >= colEnd)
    return;
  if (p.k == 0) {
    if (!p.accumulate)
      for (int64_t i = rowBegin; i < rowEnd; ++i)
        std::fill(p.c + i * p.ldc + colBegin, p.c + i * p.ldc + colEnd, 0.0f);
    return;
  }
  const MicroKernelSet &uk = kernels.kernels;
  const int64_t mr = uk.mr, nr = uk.nr;
  const int64_t mcMax = kernels.mc, kcMax = kernels.kc, ncMax = kernels.nc;
  assert((!p.bPanels || (!p.transB && colBegin % nr == 0 && ncMax % nr == 0)) &&
         "B's panels must start at a panel");
  const bool packsB =
      !p.bPanels &&
      !readsBInPlace(kernels, p.transB, p.k, colEnd - colBegin, p.ldb,
                     rowEnd - rowBegin, kernels.bInPlaceRowTiles);
  const bool avx512Panels = kernels.avx512 && nr % 16 == 0;
  float *aPacked = threadScratch(
      ScratchSlot::PackedA, std::min(mcMax, rowEnd - rowBegin + mr) * kcMax);
  float *bPacked =
      packsB ? threadScratch(ScratchSlot::PackedB,
                             std::min(ncMax, colEnd - colBegin + nr) * kcMax)
             : nullptr;

  for (int64_t jc = colBegin; jc < colEnd; jc += ncMax) {
    int64_t nc = std::min(ncMax, colEnd - jc);
    for (int64_t pc = 0; pc < p.k; pc += kcMax) {
      int64_t kc = std::min(kcMax, p.k - pc);
      int64_t add = p.accumulate || pc > 0;
      if (packsB)
        packB(p, jc, nc, pc, kc, nr, avx512Panels, bPacked);
      for (int64_t ic = rowBegin; ic < rowEnd; ic += mcMax) {
        int64_t mc = std::min(mcMax, rowEnd - ic);
        packA(p, ic, mc, pc, kc, mr, kernels.avx512, aPacked);
        for (int64_t jr = 0; jr < nc; jr += nr) {
          int64_t cols = std::min(nr, nc - jr);
          const float *bPanel =
              p.bPanels ? p.bPanels + (jc + jr) / nr * p.k * nr + pc * nr
              : packsB  ? bPacked + jr * kc
                        : p.b + pc * p.ldb + jc + jr;
          int64_t ldb = packsB || p.bPanels ? nr : p.ldb;
          for (int64_t ir = 0; ir < mc; ir += mr) {
            int64_t rows = std::min(mr, mc - ir);
            MicroKernelFn fn =
                cols == nr ? uk.full[rows - 1] : uk.masked[rows - 1];
            fn(kc, aPacked + ir * kc, bPanel, ldb,
               p.c + (ic + ir) * p.ldc + jc + jr, p.ldc, cols, add);
          }
        }
      }
    }
  }
}

void gemmBatch(const GemmKernels &kernels, const GemmProblem &p,
               const GemmBatch &batch) {
  if (batch.count <= 0 || p.m <= 0 || p.n <= 0)
    return;
  const MicroKernelSet &uk = kernels.kernels;
  const int64_t mr = uk.mr, nr = uk.nr;
  const int64_t paddedRows = (p.m + mr - 1) / mr * mr;
  // Products that fit one block each, with B read where it lies, pack the A
  // of several products before any of their tiles runs, as one product of
  // their stacked rows would; anything larger goes product by product.
  const bool oneBlock = p.k > 0 && p.k <= kernels.kc && p.n <= kernels.nc &&
                        paddedRows <= kernels.mc && !p.bPanels &&
                        readsBInPlace(kernels, p.transB, p.k, p.n, p.ldb, p.m,
                                      kernels.bInPlaceRowTiles);
  if (!oneBlock) {
    for (int64_t i = 0; i < batch.count; ++i)
      gemmBlock(kernels, batch.product(p, i), 0, p.m, 0, p.n);
    return;
  }
  const int64_t group = std::max<int64_t>(1, kernels.mc / paddedRows);
  float *aPacked =
      threadScratch(ScratchSlot::PackedA, group * paddedRows * p.k);
  const int64_t add = p.accumulate;
  for (int64_t first = 0; first < batch.count; first += group) {
    int64_t last = std::min(batch.count, first + group);
    for (int64_t i = first; i < last; ++i)
      packA(batch.product(p, i), 0, p.m, 0, p.k, mr, kernels.avx512,
            aPacked + (i - first) * paddedRows * p.k);
    for (int64_t i = first; i < last; ++i) {
      const float *a = aPacked + (i - first) * paddedRows * p.k;
      const float *b = batch.b(p, i);
      float *c = batch.c(p, i);
      for (int64_t jr = 0; jr < p.n; jr += nr) {
        int64_t cols = std::min(nr, p.n - jr);
        for (int64_t ir = 0; ir < p.m; ir += mr) {
          int64_t rows = std::min(mr, p.m - ir);
          MicroKernelFn fn =
              cols == nr ? uk.full[rows - 1] : uk.masked[rows - 1];
          fn(p.k, a + ir * p.k, b + jr, p.ldb, c + ir * p.ldc + jr, p.ldc, cols,
             add);
        }
      }
    }
  }
}

} // namespace nnc::cpu
