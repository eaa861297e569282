//===- Attention.cpp - Fused scaled dot-product attention -----------------===//
//
// FlashAttention-2 over the GEMM of Gemm.h. Per head and block of up to 64
// query rows, one GEMM writes the scores of a block of keys into per-thread
// scratch; the row loops here turn them into e^(s - m) against each row's
// running max m, rescaling the row's running sum and output accumulator
// when m grows; a second GEMM adds those probabilities times the values to
// the accumulator. The backward pass recomputes each row's log-sum-exp,
// then per key block rebuilds the probabilities from it and runs four GEMMs
// (dv, dP, dq, dk). A thread owns whole heads, so dk and dv need no locks.
//
// The row loops are plain float code that clang vectorises without
// fast-math: a polynomial exp, and 16 partial maxima or sums per reduction
// combined in a fixed order (a result depends on the shape and the ISA
// only, never on the heads a call covers). The drivers are compiled for
// AVX-512, for AVX2 with FMA and for baseline x86-64, and the best the host
// runs is picked once.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/gemm/Attention.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace nnc::cpu {

namespace {

/// Query rows per block: the rows of the score block and of the output
/// accumulator, which stay in L1/L2 across the key blocks.
constexpr int64_t kQueryBlock = 64;
/// Query rows per block under the causal rule: a block sees only the keys
/// up to its last row, so the first 32 rows of 64 never compute the
/// masked upper-right quarter of the scores (a quarter fewer scores and
/// products at 64 positions, for a few more, smaller GEMM calls).
constexpr int64_t kCausalQueryBlock = 32;
/// Keys per block in the forward pass (and in the backward pass when a
/// whole row of scores does not fit kBackwardScoreFloats).
constexpr int64_t kKeyBlock = 128;
/// The backward pass takes all of a query block's keys at once when its
/// scores have at most this many floats (keys <= 512 for 64 rows), which
/// saves recomputing the scores for the log-sum-exp.
constexpr int64_t kBackwardScoreFloats = 32 * 1024;
/// Partial results per reduction; also the row alignment in scratch.
constexpr int kLanes = 16;
constexpr float kMinusInf = -std::numeric_limits<float>::infinity();

int64_t roundUp(int64_t n, int64_t multiple) {
  return (n + multiple - 1) / multiple * multiple;
}

/// A 64-byte aligned buffer of at least `floats` floats, private to the
/// calling thread, kept until the thread exits (contents are lost when it
/// grows). Separate from the GEMM's own scratch, which the GEMM calls made
/// while this one is in use would overwrite.
float *attentionScratch(int64_t floats) {
  struct Buffer {
    float *data = nullptr;
    size_t capacity = 0;
    ~Buffer() { std::free(data); }
  };
  thread_local Buffer buffer;
  size_t wanted = static_cast<size_t>(floats);
  if (wanted <= buffer.capacity)
    return buffer.data;
  size_t bytes = (wanted * sizeof(float) + 63) / 64 * 64;
  std::free(buffer.data);
  buffer.data = static_cast<float *>(std::aligned_alloc(64, bytes));
  if (!buffer.data) {
    std::fprintf(stderr, "nnc attention: cannot allocate %zu bytes\n", bytes);
    std::abort();
  }
  buffer.capacity = bytes / sizeof(float);
  return buffer.data;
}

/// e^x within 1 ulp for x in [-87.3, 88.3]; 0 below (so e^-inf = 0, never
/// NaN), e^88.3 above; NaN stays NaN. Branch-free, so loops over it
/// vectorise.
[[gnu::always_inline]] inline float fastExp(float x) {
  constexpr float kLow = -87.3f, kHigh = 88.3f;
  // Adding 1.5 * 2^23 rounds to an integer, which then sits in the low
  // mantissa bits: no call to a rounding function.
  constexpr float kShifter = 12582912.0f;
  float t = std::min(std::max(x, kLow), kHigh);
  float shifted = t * 1.44269504088896341f + kShifter;
  float n = shifted - kShifter;
  // ln 2 in two parts, the first with few enough bits that n times it is
  // exact, so r = t - n ln 2 keeps its low bits.
  float r = t - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  // Cephes' minimax polynomial for e^r on [-ln2 / 2, ln2 / 2].
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float y = p * r * r + r + 1.0f;
  // 2^n from n's bits; unsigned so that a NaN's garbage cannot overflow.
  uint32_t nBits = __builtin_bit_cast(uint32_t, shifted) -
                   __builtin_bit_cast(uint32_t, kShifter);
  float pow2 = __builtin_bit_cast(float, (nBits + 127u) << 23);
  return x < kLow ? 0.0f : y * pow2;
}

// The lane reductions halve the width each step, a fixed order that clang
// turns into a few shuffles (a running scalar would be 15 dependent adds).
[[gnu::always_inline]] inline float maxOfLanes(float *lanes) {
  for (int width = kLanes / 2; width > 0; width /= 2)
    for (int l = 0; l < width; ++l)
      lanes[l] = std::max(lanes[l], lanes[l + width]);
  return lanes[0];
}

[[gnu::always_inline]] inline float sumOfLanes(float *lanes) {
  for (int width = kLanes / 2; width > 0; width /= 2)
    for (int l = 0; l < width; ++l)
      lanes[l] += lanes[l + width];
  return lanes[0];
}

enum class MaskLayout { None, Contiguous, Strided };

template <MaskLayout Layout>
[[gnu::always_inline]] inline float maskAt(const float *mask, int64_t stride,
                                           int64_t j) {
  if constexpr (Layout == MaskLayout::None)
    return 0.0f;
  else if constexpr (Layout == MaskLayout::Contiguous)
    return mask[j];
  else
    return mask[j * stride];
}

/// x[j] = scale * x[j] + mask[j] for j in [0, n); returns the max (-inf for
/// n == 0). The max is taken in kLanes independent lanes, which clang
/// vectorises where a single running max would need fast-math.
template <MaskLayout Layout>
[[gnu::always_inline]] inline float
scoreRow(float *x, int64_t n, float scale, const float *mask, int64_t stride) {
  float lanes[kLanes];
  for (int l = 0; l < kLanes; ++l)
    lanes[l] = kMinusInf;
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      float s = scale * x[j + l] + maskAt<Layout>(mask, stride, j + l);
      x[j + l] = s;
      lanes[l] = std::max(lanes[l], s);
    }
  // The tail apart: indexing lanes by a variable would keep them in memory.
  float tail = kMinusInf;
  for (; j < n; ++j) {
    float s = scale * x[j] + maskAt<Layout>(mask, stride, j);
    x[j] = s;
    tail = std::max(tail, s);
  }
  return std::max(maxOfLanes(lanes), tail);
}

/// x[j] = e^(x[j] - shift) for j in [0, n) and 0 for j in [n, cols);
/// returns the sum. `shift` must be finite (x[j] = -inf gives 0).
[[gnu::always_inline]] inline float expRow(float *x, int64_t n, int64_t cols,
                                           float shift) {
  float lanes[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      float e = fastExp(x[j + l] - shift);
      x[j + l] = e;
      lanes[l] += e;
    }
  float tail = 0.0f;
  for (; j < n; ++j) {
    float e = fastExp(x[j] - shift);
    x[j] = e;
    tail += e;
  }
  for (; j < cols; ++j)
    x[j] = 0.0f;
  return sumOfLanes(lanes) + tail;
}

[[gnu::always_inline]] inline void scaleRow(float *x, int64_t n, float c) {
  for (int64_t j = 0; j < n; ++j)
    x[j] *= c;
}

[[gnu::always_inline]] inline float dotRow(const float *a, const float *b,
                                           int64_t n) {
  float lanes[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l)
      lanes[l] += a[j + l] * b[j + l];
  float tail = 0.0f;
  for (; j < n; ++j)
    tail += a[j] * b[j];
  return sumOfLanes(lanes) + tail;
}

/// One block of scores in scratch, where it lies in its head, and the rules
/// that mask it.
struct ScoreBlock {
  float *scores = nullptr; ///< rows x cols, leading dimension ld.
  int64_t ld = 0;
  int64_t rows = 0, cols = 0;
  int64_t firstQuery = 0, firstKey = 0;
  float scale = 1.0f;
  bool causal = false;
  /// The mask element of (firstQuery, firstKey) in this head, or null.
  const float *mask = nullptr;
  int64_t maskRowStride = 0, maskColumnStride = 0;

  float *row(int64_t r) const { return scores + r * ld; }

  /// The keys [0, visible(r)) of row r pass the causal rule; the rest are
  /// -inf whatever the mask says.
  int64_t visible(int64_t r) const {
    if (!causal)
      return cols;
    return std::clamp<int64_t>(firstQuery + r - firstKey + 1, 0, cols);
  }

  /// Turns row r's q.k products into scale * s + mask over its first n keys
  /// and returns their max (-inf when n == 0 or all are masked).
  [[gnu::always_inline]] float maskRow(int64_t r, int64_t n) const {
    float *x = row(r);
    if (!mask)
      return scoreRow<MaskLayout::None>(x, n, scale, nullptr, 0);
    const float *m = mask + r * maskRowStride;
    if (maskColumnStride == 1)
      return scoreRow<MaskLayout::Contiguous>(x, n, scale, m, 1);
    return scoreRow<MaskLayout::Strided>(x, n, scale, m, maskColumnStride);
  }
};

/// Row statistics and accumulator of one query block.
struct RowState {
  float *rowMax = nullptr;   ///< m: the running max of each row's scores.
  float *rowSum = nullptr;   ///< l: the running sum of e^(s - m).
  float *blockMax = nullptr; ///< The max of each row in the current block.
  float *acc = nullptr;      ///< O: rows x accWidth, or null (statistics only).
  int64_t accWidth = 0;
};

/// The online-softmax step for one key block: turns its scores into
/// e^(s - m) against each row's new running max, folds their sum into l and
/// rescales the row of O by e^(m_old - m_new). `first`: the row's first key
/// block, so m and l start from -inf and 0 and O is not read (the GEMM that
/// follows overwrites it). A row with no unmasked key yet gets zeros.
[[gnu::always_inline]] inline void
softmaxBlock(const ScoreBlock &b, const RowState &st, bool first) {
  // All rows' maxima first: a row's exp loop then need not wait for its own
  // max reduction, and consecutive rows overlap in the pipeline (a 64 x 64
  // block takes 30% less time than row by row).
  for (int64_t r = 0; r < b.rows; ++r)
    st.blockMax[r] = b.maskRow(r, b.visible(r));
  for (int64_t r = 0; r < b.rows; ++r) {
    int64_t n = b.visible(r);
    float oldMax = first ? kMinusInf : st.rowMax[r];
    float oldSum = first ? 0.0f : st.rowSum[r];
    float newMax = std::max(oldMax, st.blockMax[r]);
    if (newMax == kMinusInf) {
      // Shifting by -inf would make -inf - -inf = NaN; the row adds nothing
      // (and O's row is still 0 from the earlier blocks).
      std::fill(b.row(r), b.row(r) + b.cols, 0.0f);
      st.rowMax[r] = kMinusInf;
      st.rowSum[r] = 0.0f;
      continue;
    }
    float sum = expRow(b.row(r), n, b.cols, newMax);
    float correction = fastExp(oldMax - newMax); // 0 when oldMax is -inf.
    st.rowMax[r] = newMax;
    st.rowSum[r] = oldSum * correction + sum;
    if (st.acc && !first && correction != 1.0f)
      scaleRow(st.acc + r * st.accWidth, st.accWidth, correction);
  }
}

/// P = e^(s - L) from each row's log-sum-exp L (-inf: a fully masked row,
/// P = 0).
[[gnu::always_inline]] inline void probabilityBlock(const ScoreBlock &b,
                                                    const float *logSumExp) {
  for (int64_t r = 0; r < b.rows; ++r) {
    int64_t n = b.visible(r);
    b.maskRow(r, n);
    if (logSumExp[r] == kMinusInf)
      std::fill(b.row(r), b.row(r) + b.cols, 0.0f);
    else
      expRow(b.row(r), n, b.cols, logSumExp[r]);
  }
}

/// out = O / l per row, rows `ldOut` floats apart; 0 for a row with l == 0
/// (every key masked).
[[gnu::always_inline]] inline void
normalizeRows(const RowState &st, int64_t rows, float *out, int64_t ldOut) {
  for (int64_t r = 0; r < rows; ++r) {
    float *o = out + r * ldOut;
    const float *a = st.acc + r * st.accWidth;
    float inverse = st.rowSum[r] > 0.0f ? 1.0f / st.rowSum[r] : 0.0f;
    for (int64_t c = 0; c < st.accWidth; ++c)
      o[c] = a[c] * inverse;
  }
}

/// The arguments of attentionForward, passed whole to the per-ISA copies.
struct ForwardArgs {
  const GemmKernels &kernels;
  const AttentionShape &shape;
  const float *q, *k, *v, *mask;
  float *out;
  int64_t headBegin, headEnd;
};

/// The arguments of attentionBackward.
struct BackwardArgs {
  const GemmKernels &kernels;
  const AttentionShape &shape;
  const float *q, *k, *v, *mask, *out, *dout;
  float *dq, *dk, *dv;
  int64_t headBegin, headEnd;
};

/// A block of scores over raw q.k products, rows [i0, i0 + rows) and keys
/// [j0, j0 + cols) of head h.
ScoreBlock scoreBlock(const AttentionShape &s, const float *mask, int64_t h,
                      float *scores, int64_t ld, int64_t i0, int64_t rows,
                      int64_t j0, int64_t cols) {
  ScoreBlock b;
  b.scores = scores;
  b.ld = ld;
  b.rows = rows;
  b.cols = cols;
  b.firstQuery = i0;
  b.firstKey = j0;
  b.scale = s.scale;
  b.causal = s.causal;
  if (!s.maskHeadOffset.empty()) {
    b.mask = mask + s.maskHeadOffset[size_t(h)] + i0 * s.maskRowStride +
             j0 * s.maskColumnStride;
    b.maskRowStride = s.maskRowStride;
    b.maskColumnStride = s.maskColumnStride;
  }
  return b;
}

int64_t queryBlock(const AttentionShape &s) {
  return std::min(s.queries, s.causal ? kCausalQueryBlock : kQueryBlock);
}

/// Keys [0, keyEnd) can be seen by the query rows [i0, i0 + rows).
int64_t keyEnd(const AttentionShape &s, int64_t i0, int64_t rows) {
  return s.causal ? std::min(s.keys, i0 + rows) : s.keys;
}

[[gnu::always_inline]] inline void forwardHeads(const ForwardArgs &a) {
  const AttentionShape &s = a.shape;
  const int64_t depth = s.depth, valueDepth = s.valueDepth;
  const int64_t br = queryBlock(s);
  const int64_t bc = std::min(s.keys, kKeyBlock);
  const int64_t ld = roundUp(bc, kLanes);
  const int64_t accSize = roundUp(br * valueDepth, kLanes);
  const int64_t rowArray = roundUp(br, kLanes);
  float *scores = attentionScratch(br * ld + accSize + 3 * rowArray);
  RowState st;
  st.acc = scores + br * ld;
  st.accWidth = valueDepth;
  st.rowMax = st.acc + accSize;
  st.rowSum = st.rowMax + rowArray;
  st.blockMax = st.rowSum + rowArray;

  using O = AttentionOperand;
  const int64_t ldq = s.rowStrideOf(O::Q), ldk = s.rowStrideOf(O::K),
                ldv = s.rowStrideOf(O::V), ldo = s.rowStrideOf(O::Out);
  for (int64_t h = a.headBegin; h < a.headEnd; ++h) {
    const float *q = a.q + s.headOffsetOf(O::Q, h);
    const float *k = a.k + s.headOffsetOf(O::K, h);
    const float *v = a.v + s.headOffsetOf(O::V, h);
    float *out = a.out + s.headOffsetOf(O::Out, h);
    for (int64_t i0 = 0; i0 < s.queries; i0 += br) {
      int64_t rows = std::min(br, s.queries - i0);
      int64_t end = keyEnd(s, i0, rows);
      for (int64_t j0 = 0; j0 < end; j0 += bc) {
        int64_t cols = std::min(bc, end - j0);
        gemm(a.kernels, false, true, rows, cols, depth, q + i0 * ldq, ldq,
             k + j0 * ldk, ldk, scores, ld, false, 0, rows);
        softmaxBlock(scoreBlock(s, a.mask, h, scores, ld, i0, rows, j0, cols),
                     st, j0 == 0);
        gemm(a.kernels, false, false, rows, valueDepth, cols, scores, ld,
             v + j0 * ldv, ldv, st.acc, valueDepth, j0 != 0, 0, rows);
      }
      normalizeRows(st, rows, out + i0 * ldo, ldo);
    }
  }
}

[[gnu::always_inline]] inline void backwardHeads(const BackwardArgs &a) {
  const AttentionShape &s = a.shape;
  const int64_t depth = s.depth, valueDepth = s.valueDepth;
  const int64_t br = queryBlock(s);
  const int64_t bc = br * s.keys <= kBackwardScoreFloats
                         ? s.keys
                         : std::min(s.keys, kKeyBlock);
  const int64_t ld = roundUp(bc, kLanes);
  const int64_t rowArray = roundUp(br, kLanes);
  float *probs = attentionScratch(2 * br * ld + 5 * rowArray);
  float *dscores = probs + br * ld;
  RowState st;
  st.rowMax = dscores + br * ld;
  st.rowSum = st.rowMax + rowArray;
  float *logSumExp = st.rowSum + rowArray;
  float *outDots = logSumExp + rowArray;
  st.blockMax = outDots + rowArray;

  using O = AttentionOperand;
  const int64_t ldq = s.rowStrideOf(O::Q), ldk = s.rowStrideOf(O::K),
                ldv = s.rowStrideOf(O::V), ldo = s.rowStrideOf(O::Out),
                lddo = s.rowStrideOf(O::DOut), lddq = s.rowStrideOf(O::DQ),
                lddk = s.rowStrideOf(O::DK), lddv = s.rowStrideOf(O::DV);
  for (int64_t h = a.headBegin; h < a.headEnd; ++h) {
    const float *q = a.q + s.headOffsetOf(O::Q, h);
    const float *k = a.k + s.headOffsetOf(O::K, h);
    const float *v = a.v + s.headOffsetOf(O::V, h);
    const float *out = a.out + s.headOffsetOf(O::Out, h);
    const float *dout = a.dout + s.headOffsetOf(O::DOut, h);
    float *dq = a.dq + s.headOffsetOf(O::DQ, h);
    float *dk = a.dk + s.headOffsetOf(O::DK, h);
    float *dv = a.dv + s.headOffsetOf(O::DV, h);
    // Keys that no query sees (causal, keys > queries) get no gradient.
    for (int64_t j = 0; j < s.keys; ++j) {
      std::fill(dk + j * lddk, dk + j * lddk + depth, 0.0f);
      std::fill(dv + j * lddv, dv + j * lddv + valueDepth, 0.0f);
    }

    for (int64_t i0 = 0; i0 < s.queries; i0 += br) {
      int64_t rows = std::min(br, s.queries - i0);
      int64_t end = keyEnd(s, i0, rows);
      bool oneBlock = end <= bc;
      auto blockAt = [&](int64_t j0) {
        int64_t cols = std::min(bc, end - j0);
        gemm(a.kernels, false, true, rows, cols, depth, q + i0 * ldq, ldq,
             k + j0 * ldk, ldk, probs, ld, false, 0, rows);
        return scoreBlock(s, a.mask, h, probs, ld, i0, rows, j0, cols);
      };
      if (!oneBlock) {
        // The forward's row statistics, by the same steps, as L = m + ln l.
        for (int64_t j0 = 0; j0 < end; j0 += bc)
          softmaxBlock(blockAt(j0), st, j0 == 0);
        for (int64_t r = 0; r < rows; ++r)
          logSumExp[r] = st.rowSum[r] > 0.0f
                             ? st.rowMax[r] + std::log(st.rowSum[r])
                             : kMinusInf;
      }
      // D_i = dout_i . out_i = sum_j P_ij dP_ij.
      for (int64_t r = 0; r < rows; ++r)
        outDots[r] =
            dotRow(dout + (i0 + r) * lddo, out + (i0 + r) * ldo, valueDepth);

      for (int64_t j0 = 0; j0 < end; j0 += bc) {
        ScoreBlock b = blockAt(j0);
        int64_t cols = b.cols;
        if (oneBlock) {
          // All keys at once: P = e^(s - m) / l, with no second pass.
          softmaxBlock(b, st, true);
          for (int64_t r = 0; r < rows; ++r)
            if (st.rowSum[r] > 0.0f)
              scaleRow(b.row(r), cols, 1.0f / st.rowSum[r]);
        } else {
          probabilityBlock(b, logSumExp);
        }
        // dv_blk += P^T dout_blk.
        gemm(a.kernels, true, false, cols, valueDepth, rows, probs, ld,
             dout + i0 * lddo, lddo, dv + j0 * lddv, lddv, true, 0, cols);
        // dP = dout_blk v_blk^T.
        gemm(a.kernels, false, true, rows, cols, valueDepth, dout + i0 * lddo,
             lddo, v + j0 * ldv, ldv, dscores, ld, false, 0, rows);
        // dS = scale * P * (dP - D), with scale folded in once here (and
        // copied, since a float member might alias ds).
        const float scale = s.scale;
        for (int64_t r = 0; r < rows; ++r) {
          const float *p = probs + r * ld;
          float *ds = dscores + r * ld;
          float d = outDots[r];
          for (int64_t j = 0; j < cols; ++j)
            ds[j] = scale * p[j] * (ds[j] - d);
        }
        // dq_blk (+)= dS k_blk; key block 0 always exists and overwrites.
        gemm(a.kernels, false, false, rows, depth, cols, dscores, ld,
             k + j0 * ldk, ldk, dq + i0 * lddq, lddq, j0 != 0, 0, rows);
        // dk_blk += dS^T q_blk.
        gemm(a.kernels, true, false, cols, depth, rows, dscores, ld,
             q + i0 * ldq, ldq, dk + j0 * lddk, lddk, true, 0, cols);
      }
    }
  }
}

#if defined(__x86_64__)
__attribute__((target("avx512f"))) void forwardAvx512(const ForwardArgs &a) {
  forwardHeads(a);
}
__attribute__((target("avx2,fma"))) void forwardAvx2(const ForwardArgs &a) {
  forwardHeads(a);
}
__attribute__((target("avx512f"))) void backwardAvx512(const BackwardArgs &a) {
  backwardHeads(a);
}
__attribute__((target("avx2,fma"))) void backwardAvx2(const BackwardArgs &a) {
  backwardHeads(a);
}
#endif
void forwardBaseline(const ForwardArgs &a) { forwardHeads(a); }
void backwardBaseline(const BackwardArgs &a) { backwardHeads(a); }

enum class RowIsa { Avx512, Avx2, Baseline };

/// The widest row loops the host runs; fixed for the life of the process.
RowIsa rowIsa() {
#if defined(__x86_64__)
  static const RowIsa isa =
      __builtin_cpu_supports("avx512f") ? RowIsa::Avx512
      : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
          ? RowIsa::Avx2
          : RowIsa::Baseline;
  return isa;
#else
  return RowIsa::Baseline;
#endif
}

void checkShape([[maybe_unused]] const AttentionShape &s,
                [[maybe_unused]] const float *mask,
                [[maybe_unused]] int64_t headBegin,
                [[maybe_unused]] int64_t headEnd) {
  assert(s.queries >= 1 && s.keys >= 1 && s.depth >= 0 && s.valueDepth >= 0 &&
         "attention needs at least one query and key");
  assert(0 <= headBegin && headBegin <= headEnd && headEnd <= s.heads &&
         "head range outside the problem");
  assert((s.maskHeadOffset.empty() ||
          (mask && int64_t(s.maskHeadOffset.size()) == s.heads)) &&
         "a mask needs its data and one offset per head");
  for ([[maybe_unused]] const HeadLayout &l : s.layouts)
    assert((l.headOffset.empty() || int64_t(l.headOffset.size()) == s.heads) &&
           "a layout needs one offset per head");
}

} // namespace

void attentionForward(const GemmKernels &kernels, const AttentionShape &shape,
                      const float *q, const float *k, const float *v,
                      const float *mask, float *out, int64_t headBegin,
                      int64_t headEnd) {
  checkShape(shape, mask, headBegin, headEnd);
  if (headBegin == headEnd)
    return;
  ForwardArgs args{kernels, shape, q, k, v, mask, out, headBegin, headEnd};
  switch (rowIsa()) {
#if defined(__x86_64__)
  case RowIsa::Avx512:
    return forwardAvx512(args);
  case RowIsa::Avx2:
    return forwardAvx2(args);
#endif
  default:
    return forwardBaseline(args);
  }
}

void attentionBackward(const GemmKernels &kernels, const AttentionShape &shape,
                       const float *q, const float *k, const float *v,
                       const float *mask, const float *out, const float *dout,
                       float *dq, float *dk, float *dv, int64_t headBegin,
                       int64_t headEnd) {
  checkShape(shape, mask, headBegin, headEnd);
  if (headBegin == headEnd)
    return;
  BackwardArgs args{kernels, shape, q,  k,  v,         mask,   out,
                    dout,    dq,    dk, dv, headBegin, headEnd};
  switch (rowIsa()) {
#if defined(__x86_64__)
  case RowIsa::Avx512:
    return backwardAvx512(args);
  case RowIsa::Avx2:
    return backwardAvx2(args);
#endif
  default:
    return backwardBaseline(args);
  }
}

} // namespace nnc::cpu
