//===- FrontendFuzzer.cpp - libFuzzer entry point for the frontend --------===//
//
// Feeds arbitrary bytes through nnc::frontend::compileSource. Any crash,
// sanitizer report, hang or runaway allocation is a bug: the frontend must
// turn every input into either a program or diagnostics.
//
//===----------------------------------------------------------------------===//

#include "frontend/Frontend.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>

/// libFuzzer calls this once per input; returning 0 keeps the input eligible
/// for the corpus.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nnc::frontend::DiagnosticEngine diags(
      "fuzz.nn", std::string(reinterpret_cast<const char *>(data), size));
  // The size limit's code path is the same at any budget; a small one keeps
  // inputs like `repeat 1000000000 { ... }` fast under instrumentation, so
  // libFuzzer's per-input timeout only ever flags real hangs.
  nnc::frontend::FrontendLimits limits;
  limits.maxElaboratedNodes = 1u << 14;
  std::optional<nnc::frontend::Program> program =
      nnc::frontend::compileSource(diags, limits);
  // The printer runs on every diagnostic too: it echoes source lines, cuts
  // long ones and escapes bytes, all of which can go wrong.
  std::ostringstream sink;
  diags.print(sink);
  // Same contract as nnc-frontend-check: a program exactly when no error.
  if (program.has_value() == diags.hasErrors())
    std::abort();
  return 0;
}
