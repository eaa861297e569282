//===- RefCompiler.h - MLIR bytecode to interpreter programs ----*- C++ -*-===//
//
// The compiler half of the ref backend. It reads the module the host hands
// over (MLIR bytecode of `@kernel_0`, `@kernel_1`, ... each with static
// tensor arguments and results and a body of nn ops) and turns each kernel
// function into a Program of RefProgram.h. The header itself stays free of
// MLIR so that the plugin's C glue compiles without MLIR's headers.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_REF_REFCOMPILER_H
#define NNC_BACKENDS_REF_REFCOMPILER_H

#include "backends/ref/RefProgram.h"

#include <cstddef>
#include <string>
#include <vector>

namespace nnc::ref {

/// The nn ops the ref backend compiles, as a NULL-terminated list of names
/// ("nn.add", ...): every v1 op of the dialect and every backward and
/// optimizer op of docs/autodiff.md. Static storage, never NULL.
const char *const *refSupportedOps();

/// How a compilation ended; mirrors nnc_status.
enum class CompileStatus {
  Ok,
  /// A malformed module, a dynamic shape, a bad attribute.
  Error,
  /// The module is well-formed but holds an op the backend does not know.
  Unsupported,
};

/// The outcome of compileModule: the programs, or why there are none.
struct CompiledModule {
  CompileStatus status = CompileStatus::Ok;
  /// Lower-case, no final period; empty on success.
  std::string message;
  /// kernels[i] is the program of `@kernel_<i>`.
  std::vector<Program> kernels;
};

/// Parses `bytecode` (MLIR bytecode; anything else, text included, is an
/// Error) and compiles every kernel function. Every op is checked against
/// refSupportedOps() before anything is built, so an unknown op gives
/// Unsupported naming it even when other parts of the module are also
/// wrong. Functions must be named `kernel_0` ... `kernel_<n-1>`, each once;
/// a module without functions compiles to no kernel. Never throws.
CompiledModule compileModule(const void *bytecode, size_t size);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_REFCOMPILER_H
