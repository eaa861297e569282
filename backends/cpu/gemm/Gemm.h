//===- Gemm.h - fp32 GEMM over compiled micro-kernels -----------*- C++ -*-===//
//
// A plain C++ interface over raw pointers; no LLVM or MLIR types cross it.
// The micro-kernels behind it come from GemmJit.h (generated as LLVM IR and
// JIT-compiled for the host CPU) or from a compiled artifact's code; the
// packing and cache blocking here are ordinary C++ with no LLVM. See
// README.md in this folder for how to call it.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_GEMM_GEMM_H
#define NNC_BACKENDS_CPU_GEMM_GEMM_H

#include <cstdint>
#include <memory>
#include <string>

namespace nnc::cpu {

/// A set of compiled micro-kernels plus the blocking parameters that suit
/// them. Immutable once built, so one object may serve any number of threads
/// at once. Opaque; obtain one from hostGemm() or createGemmKernels()
/// (GemmJit.h), or from code loaded at run time (MicroKernel.h).
struct GemmKernels;

/// Which instruction set the micro-kernels are generated for.
enum class GemmIsa {
  Host,     ///< The best the host supports (AVX-512, else AVX2, else SSE).
  Avx512,   ///< 512-bit zmm registers; needs avx512f.
  Avx2,     ///< 256-bit ymm registers with FMA; needs avx2 and fma.
  Sse,      ///< 128-bit xmm registers, no FMA; any x86-64.
  Portable, ///< No JIT: plain C++ kernels (the fallback when the JIT fails).
};

/// One line naming the ISA, the register tile and the cache blocking, e.g.
/// "avx512 (sapphirerapids) 8x32 mc=... kc=... nc=...".
std::string gemmKernelsDescription(const GemmKernels &kernels);

/// A GEMM problem: C[M,N] = op(A)[M,K] * op(B)[K,N], or C += ... when
/// `accumulate`. All matrices are row-major f32 with leading dimensions (the
/// distance in elements between consecutive rows as stored): op(A) = A is
/// stored M x K (lda >= K), op(A) = A^T is stored K x M (lda >= M); likewise
/// B (K x N, or N x K when transposed). C must not alias A or B.
struct GemmProblem {
  bool transA = false;
  bool transB = false;
  int64_t m = 0, n = 0, k = 0;
  const float *a = nullptr;
  int64_t lda = 0;
  const float *b = nullptr;
  int64_t ldb = 0;
  float *c = nullptr;
  int64_t ldc = 0;
  /// Add to C instead of overwriting it. With k == 0, C is then left alone;
  /// otherwise it is zeroed.
  bool accumulate = false;
  /// B already in the packed layout, which `b` and `ldb` then do not
  /// describe: panels of gemmPanelWidth() columns, panel q (columns
  /// [q * width, (q + 1) * width)) at bPanels + q * k * width, its k rows
  /// `width` floats apart; lanes past n in the last panel are not read.
  /// A producer that writes B this way (a convolution's im2col) saves the
  /// pass that would pack it. op(B) must be B (transB false).
  const float *bPanels = nullptr;
};

/// The width of the column panels of GemmProblem::bPanels for `kernels`.
int64_t gemmPanelWidth(const GemmKernels &kernels);

/// Computes the block rows [rowBegin, rowEnd) x columns [colBegin, colEnd)
/// of C for problem `p`, leaving the rest of C untouched. Every element of C
/// is computed by the same sequence of operations whatever block it falls in
/// (k is summed in a fixed order), so splitting M or N across threads in any
/// way gives bitwise the same C as one call over the whole matrix. Empty
/// ranges are a no-op. Uses per-thread scratch allocated on a thread's first
/// call and grown when needed; never allocates in the steady state.
void gemmBlock(const GemmKernels &kernels, const GemmProblem &p,
               int64_t rowBegin, int64_t rowEnd, int64_t colBegin,
               int64_t colEnd);

/// Row tiles up to which a block reads a non-transposed B in place however
/// far apart its rows lie; nearer than a page, GemmKernels::bInPlaceRowTiles
/// says (README.md, "Reading B in place").
constexpr int64_t kBInPlaceRowTilesFarRows = 2;

/// Whether a block of `rows` rows of C over `cols` columns of a k-deep B
/// with leading dimension `ldb` reads B in place rather than packing it,
/// when B's rows less than a page apart are read in place up to
/// `nearRowTiles` row tiles; gemmBlock passes kernels.bInPlaceRowTiles.
bool readsBInPlace(const GemmKernels &kernels, bool transB, int64_t k,
                   int64_t cols, int64_t ldb, int64_t rows,
                   int64_t nearRowTiles);

/// Where the products of a batch lie: product i reads op(A) at p.a +
/// aIndex[i] * aStride and op(B) at p.b + bIndex[i] * bStride (so operands
/// broadcast over the batch repeat an index), and writes its C at p.c + i *
/// cStride. Null index arrays mean the identity.
struct GemmBatch {
  int64_t count = 0;
  const int64_t *aIndex = nullptr, *bIndex = nullptr;
  int64_t aStride = 0, bStride = 0, cStride = 0;

  const float *a(const GemmProblem &p, int64_t i) const {
    return p.a + (aIndex ? aIndex[i] : i) * aStride;
  }
  const float *b(const GemmProblem &p, int64_t i) const {
    return p.b + (bIndex ? bIndex[i] : i) * bStride;
  }
  float *c(const GemmProblem &p, int64_t i) const { return p.c + i * cStride; }
  /// Product i of the batch as a problem of its own.
  GemmProblem product(const GemmProblem &p, int64_t i) const {
    GemmProblem one = p;
    one.a = a(p, i);
    one.b = b(p, i);
    one.c = c(p, i);
    return one;
  }
};

/// `batch.count` products of p's shape (p.a, p.b and p.c locate the first
/// of each operand; GemmBatch says where the others lie). Each product's C
/// is bitwise what gemmBlock gives for it alone. Small products run
/// several at a time: their A panels are packed together before their
/// tiles run, as for one product of their stacked rows.
void gemmBatch(const GemmKernels &kernels, const GemmProblem &p,
               const GemmBatch &batch);

/// Convenience form: rows [rowBegin, rowEnd) of C, all columns.
inline void gemm(const GemmKernels &kernels, bool transA, bool transB,
                 int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                 const float *b, int64_t ldb, float *c, int64_t ldc,
                 bool accumulate, int64_t rowBegin, int64_t rowEnd) {
  GemmProblem p;
  p.transA = transA;
  p.transB = transB;
  p.m = m;
  p.n = n;
  p.k = k;
  p.a = a;
  p.lda = lda;
  p.b = b;
  p.ldb = ldb;
  p.c = c;
  p.ldc = ldc;
  p.accumulate = accumulate;
  gemmBlock(kernels, p, rowBegin, rowEnd, 0, n);
}

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_GEMM_GEMM_H
