//===- CpuCompiler.h - MLIR bytecode to JIT-compiled kernels ----*- C++ -*-===//
//
// The compiler half of the cpu backend, behind a header free of MLIR so the
// plugin's C glue compiles without MLIR's headers.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_COMPILER_CPUCOMPILER_H
#define NNC_BACKENDS_CPU_COMPILER_CPUCOMPILER_H

#include "backends/cpu/CpuKernel.h"

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace nnc::cpu {

/// The nn ops the cpu backend compiles, NULL-terminated; static storage.
const char *const *cpuSupportedOps();

/// The outcome of compileModule; `status` is NNC_OK, NNC_ERROR (malformed
/// module, failed lowering) or NNC_UNSUPPORTED (an op not in
/// cpuSupportedOps()), `message` lower-case and empty on success.
struct CompiledModule {
  nnc_status status = NNC_OK;
  std::string message;
  /// kernels[i] is `@kernel_<i>`; shared with the in-process cache.
  std::vector<std::shared_ptr<const CpuKernel>> kernels;
  /// The targets the kernels' modules hold code for, as asked.
  std::vector<CodeTarget> targets;
};

/// Parses `bytecode` and compiles every kernel function for `targets`
/// (the first must be hostCodeTarget(), whose code runs here), reusing
/// kernels compiled before in this process (keyed by the function's
/// printed form and the split it gets) unless there is more than one
/// target. `diskCache` false (--no-cache) neither reads nor writes
/// KernelObjectCache. Never throws.
CompiledModule compileModule(const void *bytecode, size_t size,
                             const std::vector<CodeTarget> &targets,
                             bool diskCache);

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_COMPILER_CPUCOMPILER_H
