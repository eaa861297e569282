//===- Frontend.h - From DSL text to a checked Program ----------*- C++ -*-===//
//
// The frontend's one entry point: lex, parse (recovering, so that one run
// reports many errors) and check a `.nn` source. MLIR-free.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_FRONTEND_FRONTEND_H
#define NNC_FRONTEND_FRONTEND_H

#include "frontend/Diagnostics.h"
#include "frontend/Program.h"

#include <optional>

namespace nnc::frontend {

/// Limits that keep hostile inputs from exhausting the stack or memory.
struct FrontendLimits {
  unsigned maxNestingDepth = 256;         ///< Parentheses, calls, blocks.
  /// Expressions being evaluated at once, across layer calls: each layer
  /// body's expressions nest within maxNestingDepth, but a call deep in
  /// one expression runs a body whose expressions nest again, and the
  /// elaboration recurses through all of them (about 1.3 KiB of stack a
  /// level; 8 MiB overflowed near 6,000).
  unsigned maxEvaluationDepth = 2048;
  unsigned maxErrors = 20;                ///< Stop reporting after this many.
  uint64_t maxElaboratedNodes = 1u << 20; ///< After expanding layers/repeat.
  /// Larger sources are rejected up front; token offsets are 32-bit.
  uint64_t maxSourceBytes = 256u << 20;
};

/// Parses and checks the source held by `diags`. Returns the elaborated
/// program, or std::nullopt when any error was reported into `diags`.
/// Sets the engine's error limit to `limits.maxErrors`. Sema runs only on a
/// file that parsed cleanly, so syntax errors do not cascade.
std::optional<Program> compileSource(DiagnosticEngine &diags,
                                     const FrontendLimits &limits = {});

} // namespace nnc::frontend

#endif // NNC_FRONTEND_FRONTEND_H
