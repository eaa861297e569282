//===- SourceDiagnosticHandler.h - MLIR diagnostics in DSL form -*- C++ -*-===//
//
// Routes diagnostics that MLIR raises (verifiers, passes, lowering) through
// the frontend's printer, so an error found anywhere in the pipeline reads
// like a DSL error: `model.nn:12:9: error: ...`, the line, a caret, and one
// note per layer call the op was expanded through.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_SOURCEDIAGNOSTICHANDLER_H
#define NNC_TOOLS_SOURCEDIAGNOSTICHANDLER_H

#include "frontend/Diagnostics.h"

#include "mlir/IR/Diagnostics.h"

namespace nnc::cli {

/// Installs itself on construction and removes itself on destruction.
class SourceDiagnosticHandler {
public:
  SourceDiagnosticHandler(mlir::MLIRContext &context,
                          const frontend::DiagnosticEngine &source);
  ~SourceDiagnosticHandler();

  SourceDiagnosticHandler(const SourceDiagnosticHandler &) = delete;
  SourceDiagnosticHandler &operator=(const SourceDiagnosticHandler &) = delete;

private:
  mlir::LogicalResult handle(mlir::Diagnostic &diag);

  mlir::MLIRContext &context;
  const frontend::DiagnosticEngine &source;
  mlir::DiagnosticEngine::HandlerID id;
};

} // namespace nnc::cli

#endif // NNC_TOOLS_SOURCEDIAGNOSTICHANDLER_H
