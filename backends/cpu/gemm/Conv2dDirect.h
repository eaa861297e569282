//===- Conv2dDirect.h - Short-row conv2d without im2col ---------*- C++ -*-===//
//
// Unit-stride, unpadded convolutions with short output rows (8 to 32
// pixels, LeNet's) as direct AVX-512 loops over a vector or two of output
// columns: the forward pass accumulates weight times shifted input rows,
// the weight gradient dy times shifted input rows, both in zmm registers.
// The GEMM path's per-image im2col (for the weight gradient, the whole batch
// again for every filter range) and its half-empty register tiles for a few
// filters are what they avoid.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_GEMM_CONV2DDIRECT_H
#define NNC_BACKENDS_CPU_GEMM_CONV2DDIRECT_H

#include "backends/cpu/gemm/Conv2d.h"

#include <cstdint>

namespace nnc::cpu {

/// True when conv2dGradWeightDirect runs `shape` for filters [filterBegin,
/// filterEnd): AVX-512F, stride and dilation 1, no padding, one group, at
/// most 8 filters in the range and 16 to 32 output columns.
bool conv2dGradWeightDirectFits(const Conv2dShape &shape, int64_t filterBegin,
                                int64_t filterEnd);

/// dweight[f] (overwritten) for f in [filterBegin, filterEnd), as
/// conv2dGradWeight, when conv2dGradWeightDirectFits. Each weight is the sum
/// of 16-lane partial sums over images, input channels' rows and output
/// rows in a fixed order, so it does not depend on the filter range.
void conv2dGradWeightDirect(const Conv2dShape &shape, const float *x,
                            const float *dy, float *dweight,
                            int64_t filterBegin, int64_t filterEnd);

/// True when conv2dForwardDirect runs `shape`: AVX-512F, stride and
/// dilation 1, no padding, one group and 8 to 32 output columns.
bool conv2dForwardDirectFits(const Conv2dShape &shape);

/// y[n] = conv2d(x[n], weight) + bias for n in [batchBegin, batchEnd), as
/// conv2dForward, when conv2dForwardDirectFits: each output row accumulates
/// bias (or 0) and then every tap (c, kh, kw) in order, so the result does
/// not depend on the batch range.
void conv2dForwardDirect(const Conv2dShape &shape, const float *x,
                         const float *weight, const float *bias, float *y,
                         int64_t batchBegin, int64_t batchEnd);

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_GEMM_CONV2DDIRECT_H
