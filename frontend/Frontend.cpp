//===- Frontend.cpp - From DSL text to a checked Program ------------------===//

#include "frontend/Frontend.h"

#include "frontend/Parser.h"
#include "frontend/Sema.h"

namespace nnc::frontend {

std::optional<Program> compileSource(DiagnosticEngine &diags,
                                     const FrontendLimits &limits) {
  if (diags.source().size() > limits.maxSourceBytes) {
    diags.error(SourceLoc{}, "the source is too large (" +
                                 std::to_string(diags.source().size()) +
                                 " bytes; the limit is " +
                                 std::to_string(limits.maxSourceBytes) + ")");
    return std::nullopt;
  }
  if (limits.maxErrors != 0)
    diags.setErrorLimit(limits.maxErrors);
  ast::Module module = Parser(diags, limits).parseModule();
  // Checking a module that failed to parse would mostly report follow-on
  // errors about the statements the parser dropped.
  if (diags.hasErrors())
    return std::nullopt;
  return elaborate(module, diags, limits);
}

} // namespace nnc::frontend
