//===- FrontendCheckMain.cpp - Run the frontend over one file -------------===//
//
// nnc-frontend-check FILE: lexes, parses and checks FILE with
// nnc::frontend::compileSource and prints the diagnostics to stderr. It
// links no MLIR, so it can be built with sanitizers from the frontend's
// sources alone; the malformed-corpus tests run it over hostile inputs.
//
//===----------------------------------------------------------------------===//

#include "frontend/Frontend.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace {

/// The driver's outcomes. Sanitizer reports are configured (by the test
/// scripts) to exit with 99, so anything other than these values is a bug.
enum class ExitCode : int {
  Success = 0,      ///< The model is valid.
  SourceError = 1,  ///< Diagnostics were reported against the source.
  UsageError = 2,   ///< Bad command line or unreadable file.
  InternalError = 3 ///< compileSource broke its contract.
};

int exitWith(ExitCode code) { return static_cast<int>(code); }

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::cerr << "usage: nnc-frontend-check FILE.nn\n";
    return exitWith(ExitCode::UsageError);
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::cerr << argv[1] << ": error: cannot open file\n";
    return exitWith(ExitCode::UsageError);
  }
  std::string source((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
  if (in.bad()) {
    std::cerr << argv[1] << ": error: cannot read file\n";
    return exitWith(ExitCode::UsageError);
  }

  nnc::frontend::DiagnosticEngine diags(argv[1], std::move(source));
  std::optional<nnc::frontend::Program> program =
      nnc::frontend::compileSource(diags);
  diags.print(std::cerr);

  // A program and errors together, or neither, means the frontend lost
  // track of its own state: make that loud rather than a plain failure.
  if (program.has_value() == diags.hasErrors()) {
    std::cerr << argv[1] << ": internal error: compileSource returned "
              << (program ? "a program despite errors"
                          : "no program and no error")
              << "\n";
    return exitWith(ExitCode::InternalError);
  }
  return exitWith(program ? ExitCode::Success : ExitCode::SourceError);
}
