//===- Gemv.h - One-row products for batch-1 matmuls ------------*- C++ -*-===//
//
// y = x * W for a single row x, the case where the GEMM's register tiles
// waste their rows and its panel order reads W with a stride of a whole
// row per k step. Here each k step reads one contiguous run of W's row.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_GEMM_GEMV_H
#define NNC_BACKENDS_CPU_GEMM_GEMV_H

#include <cstdint>

namespace nnc::cpu {

/// True when gemvColumns can run here (an x86-64 CPU with AVX-512F); the
/// answer is fixed for the life of the process.
bool gemvAvailable();

/// y[j] = sum over p in [0, k) of x[p] * w[p * ldw + j] for the columns j in
/// [colBegin, colEnd): each column sums its products in order of p, one
/// fused multiply-add each starting from 0, so any split of the columns
/// gives bitwise the same y. y must not alias x or w. Only call when
/// gemvAvailable().
void gemvColumns(const float *x, const float *w, int64_t ldw, int64_t k,
                 float *y, int64_t colBegin, int64_t colEnd);

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_GEMM_GEMV_H
