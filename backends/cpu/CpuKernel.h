//===- CpuKernel.h - The runtime half of the cpu backend --------*- C++ -*-===//
//
// A compiled kernel as the runtime half sees it: JIT-compiled functions of
// packed arguments (one pointer per buffer, then the first row), how its
// iteration range maps to rows of its buffers, and the data checks that
// must pass before it runs. No MLIR or LLVM type appears here: the JIT
// session is held through an opaque shared pointer.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_CPUKERNEL_H
#define NNC_BACKENDS_CPU_CPUKERNEL_H

#include "nnc/PluginABI.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nnc::cpu {

/// A JIT-compiled function taking a pointer to each argument: the buffers
/// (bare pointers) and then the int64 index of the first row.
using PackedFn = void (*)(void **);

/// A check on a buffer's contents made before the kernel runs; a failure is
/// the kernel's NNC_ERROR (ref reports the same conditions).
struct DataCheck {
  enum class Kind {
    /// Every element in [0, bound): gather indices, class labels.
    IndexBelow,
    /// No element is zero: integer divisors.
    NonZero,
    /// Every element in [0, 1] (NaN fails): probabilities.
    Probability,
    /// The scalar is at least 1: adam's step.
    AtLeastOne,
  };
  Kind kind = Kind::IndexBelow;
  /// Which buffer, its dtype and element count.
  int64_t buffer = 0;
  nnc_dtype dtype = NNC_I32;
  int64_t count = 0;
  int64_t bound = 0;
  /// What the op is called in messages ("gather").
  std::string op;
};

/// One kernel's code and calling convention.
struct CpuKernel {
  int64_t numBuffers = 0;
  /// Iterations; 1 when the kernel does not split.
  int64_t range = 1;
  /// For a split kernel: rows of the leading dimension in all, and per
  /// iteration (the last iteration may have fewer).
  int64_t rows = 0;
  int64_t chunkRows = 0;
  /// Unsplit code (range 1), code for a full chunk, code for the last,
  /// shorter chunk (null when rows divide evenly).
  PackedFn whole = nullptr;
  PackedFn chunk = nullptr;
  PackedFn tail = nullptr;
  /// Bytes per leading row of each buffer that a split moves along; 0 for a
  /// buffer every iteration reads whole.
  std::vector<int64_t> rowBytes;
  std::vector<DataCheck> checks;
  /// Keeps the JIT session that owns the code alive.
  std::shared_ptr<void> code;
};

/// Runs iterations [begin, end) of `kernel` (an nnc_kernel_fn with the
/// kernel as state).
nnc_status runCpuKernel(void *kernel, void *const *buffers, int64_t begin,
                        int64_t end, nnc_error **error);

/// Makes an error for the host; defined by the plugin.
nnc_error *makeCpuError(const std::string &message);

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_CPUKERNEL_H
