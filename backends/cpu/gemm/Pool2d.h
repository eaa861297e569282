//===- Pool2d.h - Native max_pool2d and its gradient ------------*- C++ -*-===//
//
// NCHW f32 max pooling and its gradient as plain loops, with ref's
// semantics: padding never wins, a NaN in a window wins it, and the gradient
// goes to the window's first maximum (row-major order), overlapping windows
// adding up in f64 in window order. Each function computes one range of
// images; images are independent, so any split is bitwise the same.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_GEMM_POOL2D_H
#define NNC_BACKENDS_CPU_GEMM_POOL2D_H

#include "backends/cpu/gemm/Conv2d.h"

#include <cstdint>

namespace nnc::cpu {

/// A pooling window in the terms of a Conv2dShape: x is [batch, channels,
/// height, width], the window kernelH x kernelW moving by strideH/strideW
/// over the input padded by padH/padW; `filters` must equal `channels`,
/// dilation and groups must be 1, and the padding at most half the kernel
/// (so every window holds a real element). outHeight()/outWidth() give the
/// result's extents.
bool validPool2d(const Conv2dShape &shape);

/// y[n] = max_pool2d(x[n]) for the images n in [batchBegin, batchEnd). A
/// window holding a NaN gives NaN.
void maxPool2dForward(const Conv2dShape &shape, const float *x, float *y,
                      int64_t batchBegin, int64_t batchEnd);

/// dx[n] (overwritten) for n in [batchBegin, batchEnd): each window's dy
/// added to its first maximum in x (a NaN is a maximum), sums in f64 then
/// rounded to f32; elements no window picks get +0.
void maxPool2dGrad(const Conv2dShape &shape, const float *x, const float *dy,
                   float *dx, int64_t batchBegin, int64_t batchEnd);

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_GEMM_POOL2D_H
