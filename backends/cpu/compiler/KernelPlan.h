//===- KernelPlan.h - How a kernel function splits and what it checks -*- C++
//-*-===//
//
// For the one nn op of a kernel function: which arguments a split of the
// leading (row) dimension moves along, and the data checks its runtime
// half makes before running (index bounds, divisors, probabilities).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_COMPILER_KERNELPLAN_H
#define NNC_BACKENDS_CPU_COMPILER_KERNELPLAN_H

#include "backends/cpu/CpuKernel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <optional>

namespace nnc::cpu {

/// How a kernel function's buffers split by rows.
struct SplitPlan {
  /// Extent of the leading dimension shared by every result.
  int64_t rows = 0;
  /// Per function argument: true when it is split along with the results.
  std::vector<bool> slicedArgs;
};

/// The row split of `fn`, or nullopt when it must run as one iteration:
/// every op's results (the function's among them) must have the first
/// result's leading extent (> 1), each op must compute each row of its
/// results from the same rows of its split operands alone, values computed
/// in the function must only be read split, and an argument must be read
/// either split or whole by all its readers.
std::optional<SplitPlan> planSplit(mlir::func::FuncOp fn);

/// A matmul, convolution or max pooling that can run natively at the head
/// of a kernel.
struct HeadPlan {
  /// The op; every op before it is a constant or a transpose it reads
  /// through.
  mlir::Operation *op = nullptr;
  /// The values the head writes, one per result of `op`: the result, or
  /// the transpose that reads it alone, which an attention head writes
  /// through (writtenFor).
  llvm::SmallVector<mlir::Value> written;
  /// The ops the head computes besides `op`: the transposes an attention
  /// head reads or writes through. The kernel's tail leaves them out.
  llvm::SmallVector<mlir::Operation *> covered;
  /// Buffers as function argument numbers; `out` still -1.
  ContractionHead head;
  /// Arguments the head reads beyond its own rows of H: a split kernel
  /// must not let the rest of the kernel write them row by row.
  std::vector<int64_t> wholeArgs;
  /// A batched matmul that is one GEMM in disguise: the same matrix B for
  /// every batch and A stored whole, [..., m, k] as [batch * m, k]
  /// (mergeBatchRows).
  bool batchRowsMerge = false;
};

/// The native head of `fn`: its first non-constant op when that is an f32
/// nn.matmul, nn.conv2d, nn.conv2d_grad_input, nn.conv2d_grad_weight,
/// nn.max_pool2d or nn.max_pool2d_grad reading function arguments only, or
/// an nn.scaled_dot_product_attention or its gradient that may read them
/// through transposes keeping the last axis (which come before it);
/// nullopt otherwise.
std::optional<HeadPlan> planHead(mlir::func::FuncOp fn);

/// What an attention head writes for its result `result`: the transpose
/// keeping the last axis that is its only reader, written through strides,
/// else `result` itself. Other heads write their result itself.
mlir::Value writtenFor(mlir::Value result);

/// For a head planned by columns (a one-row matmul): makes `tail`, the rest
/// of the kernel with H as its last argument, split by H's columns, by
/// retyping every [1, n] or [n] value and argument it uses as [n, 1]; the
/// buffers keep their bytes. When the tail holds anything but elementwise
/// ops over such values and scalars, leaves it alone and plans the head by
/// rows again.
void splitTailByColumns(mlir::func::FuncOp tail, HeadPlan &plan);

/// For a head planned with batchRowsMerge: makes the head one 2-D GEMM over
/// every batch's rows, and `tail` (the rest of the kernel, H its last
/// argument) split by those rows too, by retyping every value of H's shape
/// [b..., m, n] as [b... * m, n]; the buffers keep their bytes, and the
/// results their bits (the GEMM sums each element in the same order). When
/// the tail holds anything but columnwise maps over such values, [n] rows
/// and scalars, leaves both alone. At batch 1 the batched head does not
/// split at all; merged, m's rows do.
void mergeBatchRows(mlir::func::FuncOp tail, HeadPlan &plan);

/// The data checks of `fn`'s op whose operands are function arguments.
std::vector<DataCheck> planChecks(mlir::func::FuncOp fn);

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_COMPILER_KERNELPLAN_H
