//===- SourceDiagnosticHandler.h - MLIR diagnostics in DSL form -*- C++ -*-===//
//
// Routes diagnostics that MLIR raises (verifiers, passes, lowering) through
// the frontend's printer, so an error found anywhere in the pipeline reads
// like a DSL error: `model.nn:12:9: error: ...`, the line, a caret, and one
// note per layer call the op was expanded through. Nothing is printed: errors
// are collected for the failure the caller returns, and warnings go to a
// handler the caller chooses.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DRIVER_SOURCEDIAGNOSTICHANDLER_H
#define NNC_DRIVER_SOURCEDIAGNOSTICHANDLER_H

#include "frontend/Diagnostics.h"

#include "runtime/Status.h"

#include "mlir/IR/Diagnostics.h"

#include <functional>
#include <string>

namespace nnc::driver {

/// Receives each warning, rendered (with its notes) and ending in a newline.
using WarningHandler = std::function<void(const std::string &rendered)>;

/// Installs itself on construction and removes itself on destruction.
class SourceDiagnosticHandler {
public:
  /// `onWarning` may be empty: warnings are then dropped.
  SourceDiagnosticHandler(mlir::MLIRContext &context,
                          const frontend::DiagnosticEngine &source,
                          WarningHandler onWarning = {});
  ~SourceDiagnosticHandler();

  SourceDiagnosticHandler(const SourceDiagnosticHandler &) = delete;
  SourceDiagnosticHandler &operator=(const SourceDiagnosticHandler &) = delete;

  /// The errors raised so far, rendered; empty when there were none.
  const std::string &errors() const { return renderedErrors; }

  /// A failure holding the errors raised so far, or `fallback` (a plain
  /// message) when the failure raised none.
  rt::Error failure(const std::string &fallback) const;

private:
  mlir::LogicalResult handle(mlir::Diagnostic &diag);

  mlir::MLIRContext &context;
  const frontend::DiagnosticEngine &source;
  WarningHandler onWarning;
  std::string renderedErrors;
  mlir::DiagnosticEngine::HandlerID id;
};

} // namespace nnc::driver

#endif // NNC_DRIVER_SOURCEDIAGNOSTICHANDLER_H
