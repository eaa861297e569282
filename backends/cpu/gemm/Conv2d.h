//===- Conv2d.h - conv2d and its gradients through the GEMM -----*- C++ -*-===//
//
// NCHW f32 convolutions (cross-correlation, as in PyTorch) lowered to the
// GEMM of Gemm.h through im2col / col2im in per-thread scratch; a 1x1 kernel
// with stride 1 and no padding skips the copy. Each function computes one
// range of an outer loop, and the ranges are independent, so a runtime may
// split them across threads and get bitwise the same result.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_GEMM_CONV2D_H
#define NNC_BACKENDS_CPU_GEMM_CONV2D_H

#include "backends/cpu/gemm/Gemm.h"

#include <cstdint>

namespace nnc::cpu {

/// The shapes and attributes of a conv2d: x is [batch, channels, height,
/// width], the weight [filters, channels / groups, kernelH, kernelW], y
/// [batch, filters, outHeight(), outWidth()], all dense row-major. Filter f
/// reads the input channels of group f / (filters / groups).
struct Conv2dShape {
  int64_t batch = 1, channels = 1, height = 1, width = 1;
  int64_t filters = 1, kernelH = 1, kernelW = 1;
  int64_t strideH = 1, strideW = 1;     ///< Positive.
  int64_t padH = 0, padW = 0;           ///< Zeros on both sides; >= 0.
  int64_t dilationH = 1, dilationW = 1; ///< Positive.
  int64_t groups = 1;                   ///< Divides both channels and filters.

  int64_t outHeight() const {
    return (height + 2 * padH - dilationH * (kernelH - 1) - 1) / strideH + 1;
  }
  int64_t outWidth() const {
    return (width + 2 * padW - dilationW * (kernelW - 1) - 1) / strideW + 1;
  }
  /// False when an attribute is out of range or the kernel does not fit the
  /// padded input (the functions below assert it).
  bool valid() const;
};

/// y[n] = conv2d(x[n], weight) + bias for the images n in [batchBegin,
/// batchEnd); `bias` ([filters]) may be null. Writes nothing else.
void conv2dForward(const GemmKernels &kernels, const Conv2dShape &shape,
                   const float *x, const float *weight, const float *bias,
                   float *y, int64_t batchBegin, int64_t batchEnd);

/// dx[n] (overwritten) for n in [batchBegin, batchEnd) of y = conv2d(x,
/// weight), given dy [batch, filters, outHeight, outWidth]. Input pixels no
/// window covers get zero.
void conv2dGradInput(const GemmKernels &kernels, const Conv2dShape &shape,
                     const float *dy, const float *weight, float *dx,
                     int64_t batchBegin, int64_t batchEnd);

/// dweight[f] (overwritten) for the filters f in [filterBegin, filterEnd)
/// of y = conv2d(x, weight), given x and dy; sums over the whole batch, in
/// batch order. The bias gradient (dy summed over n, h, w) is not computed
/// here.
void conv2dGradWeight(const GemmKernels &kernels, const Conv2dShape &shape,
                      const float *x, const float *dy, float *dweight,
                      int64_t filterBegin, int64_t filterEnd);

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_GEMM_CONV2D_H
