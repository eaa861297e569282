//===- KernelPlan.h - How a kernel function splits and what it checks -*- C++ -*-===//
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
/// each result must be computed by the function's single nn op with the
/// same leading extent (> 1), and the op must compute each row of its
/// results from the same rows of its split operands alone.
std::optional<SplitPlan> planSplit(mlir::func::FuncOp fn);

/// The data checks of `fn`'s op whose operands are function arguments.
std::vector<DataCheck> planChecks(mlir::func::FuncOp fn);

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_COMPILER_KERNELPLAN_H
