//===- Attention.h - Fused scaled dot-product attention ---------*- C++ -*-===//
//
// nn.scaled_dot_product_attention and its gradient on the cpu backend, as
// native kernels over the GEMM of Gemm.h. The forward pass is blocked over
// keys with an online softmax, so no [queries, keys] score matrix outlives a
// block; the backward pass recomputes each block's scores and probabilities
// from q, k and the forward's output instead of reading them back.
//
// Plain C++ over raw pointers, like the rest of this folder: no LLVM or MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_GEMM_ATTENTION_H
#define NNC_BACKENDS_CPU_GEMM_ATTENTION_H

#include "backends/cpu/gemm/Gemm.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace nnc::cpu {

/// The tensors an attention kernel reads or writes, besides the mask.
enum class AttentionOperand { Q, K, V, Out, DOut, DQ, DK, DV };
constexpr int kAttentionOperands = 8;

/// Where each head's matrix of one operand lies: its row r starts at
/// `headOffset[h] + r * rowStride` floats into the buffer, and its elements
/// are consecutive. Empty `headOffset` is the dense layout, head after head
/// with rows of the matrix's width. A transpose that keeps the last axis
/// (e.g. [B, T, H, D] read as [B, H, T, D]) is such a layout, which lets the
/// kernel read or write it in place of the transposed copy.
struct HeadLayout {
  std::vector<int64_t> headOffset;
  int64_t rowStride = 0;
};

/// The sizes of one attention problem. A "head" is one (q, k, v) triple of
/// matrices: the product of every axis of q before its last two. All tensors
/// are row-major f32, dense unless `layouts` says otherwise:
///   q [heads, queries, depth], k [heads, keys, depth],
///   v [heads, keys, valueDepth], out [heads, queries, valueDepth];
/// dout, dq, dk and dv are shaped as out, q, k and v.
struct AttentionShape {
  int64_t heads = 0;
  int64_t queries = 0, keys = 0;
  int64_t depth = 0, valueDepth = 0;
  /// Multiplies q . k before the mask is added.
  float scale = 1.0f;
  /// Query i sees keys j <= i only (PyTorch's is_causal: the upper-left
  /// aligned lower triangle, also when queries != keys).
  bool causal = false;
  /// The additive mask, if any, broadcast to [heads, queries, keys]: the
  /// element for (h, i, j) is mask[maskHeadOffset[h] + i * maskRowStride +
  /// j * maskColumnStride]. A stride is 0 along an axis the mask broadcasts.
  /// maskHeadOffset is empty when there is no mask.
  std::vector<int64_t> maskHeadOffset;
  int64_t maskRowStride = 0, maskColumnStride = 0;
  /// Per operand (AttentionOperand order): its layout, dense by default.
  HeadLayout layouts[kAttentionOperands];

  const HeadLayout &layout(AttentionOperand operand) const {
    return layouts[static_cast<int>(operand)];
  }
  /// The rows and columns of each head's matrix of `operand`.
  int64_t rowsOf(AttentionOperand operand) const;
  int64_t columnsOf(AttentionOperand operand) const;
  /// The distance between consecutive rows of `operand`'s matrices.
  int64_t rowStrideOf(AttentionOperand operand) const;
  /// Where head h's matrix of `operand` starts, in floats.
  int64_t headOffsetOf(AttentionOperand operand, int64_t h) const;
  /// The floats a buffer must hold for every head of `operand`: one past
  /// the last element any head reads or writes.
  int64_t extentOf(AttentionOperand operand) const;
};

inline int64_t AttentionShape::rowsOf(AttentionOperand operand) const {
  switch (operand) {
  case AttentionOperand::Q:
  case AttentionOperand::Out:
  case AttentionOperand::DOut:
  case AttentionOperand::DQ:
    return queries;
  default:
    return keys;
  }
}

inline int64_t AttentionShape::columnsOf(AttentionOperand operand) const {
  switch (operand) {
  case AttentionOperand::Q:
  case AttentionOperand::K:
  case AttentionOperand::DQ:
  case AttentionOperand::DK:
    return depth;
  default:
    return valueDepth;
  }
}

inline int64_t AttentionShape::rowStrideOf(AttentionOperand operand) const {
  const HeadLayout &l = layout(operand);
  return l.headOffset.empty() ? columnsOf(operand) : l.rowStride;
}

inline int64_t AttentionShape::headOffsetOf(AttentionOperand operand,
                                            int64_t h) const {
  const HeadLayout &l = layout(operand);
  return l.headOffset.empty() ? h * rowsOf(operand) * columnsOf(operand)
                              : l.headOffset[static_cast<size_t>(h)];
}

inline int64_t AttentionShape::extentOf(AttentionOperand operand) const {
  const HeadLayout &l = layout(operand);
  int64_t rows = rowsOf(operand), columns = columnsOf(operand);
  if (l.headOffset.empty())
    return heads * rows * columns;
  int64_t last = *std::max_element(l.headOffset.begin(), l.headOffset.end());
  return last + (rows - 1) * l.rowStride + columns;
}

/// Writes out[h] = softmax(scale * q[h] k[h]^T + mask[h]) v[h] for the heads
/// [headBegin, headEnd); the causal rule sets scores above the diagonal to
/// -inf. A query row whose every score is -inf (all keys masked) has the
/// output 0, not NaN. Any split of the heads gives bitwise the same result.
/// `mask` may be null when shape.maskHeadOffset is empty. Uses per-thread
/// scratch of about 64 * (128 + valueDepth) floats besides the GEMM's,
/// grown on a thread's first call and kept; no allocation after that.
void attentionForward(const GemmKernels &gemm, const AttentionShape &shape,
                      const float *q, const float *k, const float *v,
                      const float *mask, float *out, int64_t headBegin,
                      int64_t headEnd);

/// The vector-Jacobian product of attentionForward for the heads [headBegin,
/// headEnd): given the forward's inputs, its output `out` and the gradient
/// `dout` of the output, writes dq, dk and dv (shaped as q, k and v;
/// overwritten, not accumulated). No gradient flows to the mask. A fully
/// masked query row contributes nothing. Any split of the heads gives
/// bitwise the same result. `out` must be what attentionForward wrote for
/// these inputs (it gives rowsum(dout * out)). Per-thread scratch: two
/// blocks of at most 32768 scores (all keys of 64 query rows, 32 when
/// causal, when they fit, else blocks of 128 keys, with the scores then
/// computed twice).
void attentionBackward(const GemmKernels &gemm, const AttentionShape &shape,
                       const float *q, const float *k, const float *v,
                       const float *mask, const float *out, const float *dout,
                       float *dq, float *dk, float *dv, int64_t headBegin,
                       int64_t headEnd);

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_GEMM_ATTENTION_H
