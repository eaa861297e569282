//===- ErrorDiagnostics.h - A context's errors as one line ------*- C++ -*-===//
//
// The backends' compiler halves report a failed compile as one message
// string through the plugin ABI; this gathers what MLIR emitted into it.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_IR_ERRORDIAGNOSTICS_H
#define NNC_IR_ERRORDIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"

#include <string>

namespace nnc {

/// Collects the error diagnostics of a context while it lives, as one line
/// ("first; second"), optionally each after its file:line:col.
class ErrorDiagnostics {
public:
  explicit ErrorDiagnostics(mlir::MLIRContext &context,
                            bool withLocations = false);
  // The handler refers to this object.
  ErrorDiagnostics(const ErrorDiagnostics &) = delete;
  ErrorDiagnostics &operator=(const ErrorDiagnostics &) = delete;

  /// Everything collected so far; empty when there was no error.
  const std::string &text() const { return collected; }

  /// `what`, followed by ": " and the collected errors if there are any.
  std::string describe(const std::string &what) const;

private:
  std::string collected;
  mlir::ScopedDiagnosticHandler handler;
};

} // namespace nnc

#endif // NNC_IR_ERRORDIAGNOSTICS_H
