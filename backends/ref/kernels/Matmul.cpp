//===- Matmul.cpp - Reference batched matrix multiplication ---------------===//

#include "backends/ref/kernels/Matmul.h"

#include "backends/ref/kernels/KernelSupport.h"

namespace nnc::ref {

using namespace detail;

Error matmul(ConstTensorView a, ConstTensorView b, TensorView out) {
  return matmul(a, b, MatmulAttrs{}, out);
}

Error matmul(ConstTensorView a, ConstTensorView b, const MatmulAttrs &attrs,
             TensorView out) {
  const char *op = "matmul";
  if (a.rank() < 2 || b.rank() < 2)
    return opError(op, "operands need rank >= 2, got " +
                           rt::shapeToString(a.shape()) + " and " +
                           rt::shapeToString(b.shape()));
  if (Error e = checkDType(op, "rhs", b, a.dtype()); !e.ok())
    return e;
  if (Error e = checkDType(op, "output", out, a.dtype()); !e.ok())
    return e;
  int64_t rowsA = a.dim(a.rank() - 2), colsA = a.dim(a.rank() - 1);
  int64_t rowsB = b.dim(b.rank() - 2), colsB = b.dim(b.rank() - 1);
  int64_t m = attrs.transposeA ? colsA : rowsA;
  int64_t k = attrs.transposeA ? rowsA : colsA;
  int64_t n = attrs.transposeB ? rowsB : colsB;
  if ((attrs.transposeB ? colsB : rowsB) != k)
    return opError(op, std::string("inner dimensions differ: ") +
                           rt::shapeToString(a.shape()) +
                           (attrs.transposeA ? "^T" : "") + " @ " +
                           rt::shapeToString(b.shape()) +
                           (attrs.transposeB ? "^T" : ""));
  // Element (i, p) of op(a) and (p, j) of op(b) in their stored matrices.
  int64_t strideAi = attrs.transposeA ? 1 : k;
  int64_t strideAp = attrs.transposeA ? m : 1;
  int64_t strideBp = attrs.transposeB ? 1 : n;
  int64_t strideBj = attrs.transposeB ? k : 1;
  Shape batchA(a.shape().begin(), a.shape().end() - 2);
  Shape batchB(b.shape().begin(), b.shape().end() - 2);
  Expected<Shape> batch = broadcastShapes(op, batchA, batchB);
  if (!batch)
    return batch.takeError();
  Shape expected = *batch;
  expected.push_back(m);
  expected.push_back(n);
  if (Error e = checkShape(op, "output", out, expected); !e.ok())
    return e;

  // Batch strides count whole matrices; a broadcast batch dimension reuses
  // the same matrix (stride 0).
  std::vector<int64_t> stridesA = broadcastStrides(batchA, *batch);
  std::vector<int64_t> stridesB = broadcastStrides(batchB, *batch);
  int64_t batchCount = rt::elementCount(*batch);
  return dispatchFloat(op, a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    for (int64_t batchIndex = 0; batchIndex < batchCount; ++batchIndex) {
      const T *lhs =
          a.data<T>() + offsetOf(batchIndex, *batch, stridesA) * m * k;
      const T *rhs =
          b.data<T>() + offsetOf(batchIndex, *batch, stridesB) * k * n;
      T *result = out.data<T>() + batchIndex * m * n;
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          double sum = 0;
          for (int64_t p = 0; p < k; ++p)
            sum += static_cast<double>(lhs[i * strideAi + p * strideAp]) *
                   static_cast<double>(rhs[p * strideBp + j * strideBj]);
          result[i * n + j] = static_cast<T>(sum);
        }
      }
    }
    return Error::success();
  });
}

} // namespace nnc::ref
