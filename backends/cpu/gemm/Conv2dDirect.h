//===- Conv2dDirect.h - conv2d_grad_weight without im2col -------*- C++ -*-===//
//
// For a few filters and output rows of 16 or more pixels, the weight
// gradient of a unit-stride, unpadded convolution as direct AVX-512 loops:
// each filter's taps accumulate dy times the shifted input rows in zmm
// registers, a vector of output columns at a time. The GEMM path's per-image
// im2col (the whole batch again for every filter range) is what it avoids.
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

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_GEMM_CONV2DDIRECT_H
