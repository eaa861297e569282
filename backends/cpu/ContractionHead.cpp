//===- ContractionHead.cpp - Matmul and conv heads through the GEMM -------===//

#include "backends/cpu/CpuKernel.h"

#include "backends/cpu/OneRowBlocks.h"

#include "backends/cpu/gemm/Attention.h"
#include "backends/cpu/gemm/Conv2d.h"
#include "backends/cpu/gemm/Gemm.h"
#include "backends/cpu/gemm/Gemv.h"
#include "backends/cpu/gemm/Pool2d.h"

namespace nnc::cpu {

bool runsRowsAsOneGemm(const ContractionHead &head) {
  return head.kind == ContractionHead::Kind::Matmul && !head.columns &&
         head.kParts <= 1 && head.lhsIndex.empty() && head.m > 1;
}

bool isRowSplitGemm(const ContractionHead &head) {
  return runsRowsAsOneGemm(head) && !head.splitsInside;
}

namespace {

/// The GEMM of a matmul head that is not batched: C is `out`, laid out as
/// the whole H.
GemmProblem matmulProblem(const ContractionHead &head, void *const *buffers,
                          float *out) {
  GemmProblem p;
  p.transA = head.transA;
  p.transB = head.transB;
  p.m = head.m;
  p.n = head.n;
  p.k = head.k;
  p.a = static_cast<const float *>(buffers[head.lhs]);
  p.lda = head.lda;
  p.b = static_cast<const float *>(buffers[head.rhs]);
  p.ldb = head.ldb;
  p.c = out;
  p.ldc = head.n;
  return p;
}

} // namespace

void runMatmulColumns(const ContractionHead &head, const GemmKernels &kernels,
                      void *const *buffers, float *out, int64_t colBegin,
                      int64_t colEnd) {
  gemmBlock(kernels, matmulProblem(head, buffers, out), 0, head.m, colBegin,
            colEnd);
}

void runContractionHead(const ContractionHead &head, const GemmKernels &kernels,
                        void *const *buffers, float *out, int64_t first,
                        int64_t last, bool backwards) {
  // Attention names its operands in attentionBuffers instead.
  const float *lhs = static_cast<const float *>(buffers[head.lhs]);
  const float *rhs = static_cast<const float *>(buffers[head.rhs]);
  switch (head.kind) {
  case ContractionHead::Kind::None:
    return;
  case ContractionHead::Kind::Matmul: {
    // One row: x is contiguous whether or not it is stored transposed.
    bool oneRow =
        head.m == 1 && head.lhsIndex.empty() && !head.transB && gemvAvailable();
    if (head.columns) {
      if (oneRow) {
        gemvColumns(lhs, rhs, head.ldb, head.k, out, first, last);
        return;
      }
      gemmBlock(kernels, matmulProblem(head, buffers, out), 0, head.m, first,
                last);
      return;
    }
    if (head.kParts > 1) {
      oneRowProductByBlocks(gemvAvailable() ? nullptr : &kernels, lhs, rhs,
                            head.ldb, head.k, head.n, head.kParts, out,
                            backwards);
      return;
    }
    if (oneRow) {
      gemvColumns(lhs, rhs, head.ldb, head.k, out, 0, head.n);
      return;
    }
    if (head.lhsIndex.empty()) {
      gemmBlock(kernels, matmulProblem(head, buffers, out), first, last, 0,
                head.n);
      return;
    }
    GemmBatch batch;
    batch.count = (last - first) * head.matrices;
    batch.aIndex = head.lhsIndex.data() + first * head.matrices;
    batch.bIndex = head.rhsIndex.data() + first * head.matrices;
    batch.aStride = head.m * head.k;
    batch.bStride = head.k * head.n;
    batch.cStride = head.m * head.n;
    GemmProblem p = matmulProblem(head, buffers, out);
    p.c = out + first * head.matrices * batch.cStride;
    gemmBatch(kernels, p, batch);
    return;
  }
  case ContractionHead::Kind::Conv2d: {
    const float *bias = head.bias >= 0
                            ? static_cast<const float *>(buffers[head.bias])
                            : nullptr;
    conv2dForward(kernels, head.conv, lhs, rhs, bias, out, first, last);
    return;
  }
  case ContractionHead::Kind::Conv2dGradInput:
    conv2dGradInput(kernels, head.conv, lhs, rhs, out, first, last);
    return;
  case ContractionHead::Kind::Conv2dGradWeight:
    conv2dGradWeight(kernels, head.conv, lhs, rhs, out, first, last);
    return;
  case ContractionHead::Kind::MaxPool2d:
    maxPool2dForward(head.conv, lhs, out, first, last);
    return;
  case ContractionHead::Kind::MaxPool2dGrad:
    maxPool2dGrad(head.conv, lhs, rhs, out, first, last);
    return;
  case ContractionHead::Kind::Attention:
  case ContractionHead::Kind::AttentionGrad: {
    auto buffer = [&](ContractionHead::AttentionBuffer which) {
      int64_t index = head.attentionBuffers[which];
      return index < 0 ? nullptr : static_cast<float *>(buffers[index]);
    };
    using B = ContractionHead;
    if (head.kind == ContractionHead::Kind::Attention)
      attentionForward(kernels, head.attention, buffer(B::Q), buffer(B::K),
                       buffer(B::V), buffer(B::Mask), out, first, last);
    else
      attentionBackward(kernels, head.attention, buffer(B::Q), buffer(B::K),
                        buffer(B::V), buffer(B::Mask), buffer(B::Out),
                        buffer(B::DOut), buffer(B::DQ), buffer(B::DK),
                        buffer(B::DV), first, last);
    return;
  }
  }
}

} // namespace nnc::cpu
