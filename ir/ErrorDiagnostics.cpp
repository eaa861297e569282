//===- ErrorDiagnostics.cpp - A context's errors as one line --------------===//

#include "ir/ErrorDiagnostics.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"

using namespace mlir;

namespace nnc {

ErrorDiagnostics::ErrorDiagnostics(MLIRContext &context, bool withLocations)
    : handler(&context, [this, withLocations](Diagnostic &diag) {
        if (diag.getSeverity() != DiagnosticSeverity::Error)
          return success();
        if (!collected.empty())
          collected += "; ";
        // Line 0 is the implicit module's made-up location: no help to
        // anyone.
        auto loc = dyn_cast<FileLineColLoc>(diag.getLocation());
        if (withLocations && loc && loc.getLine() != 0)
          collected += loc.getFilename().str() + ":" +
                       std::to_string(loc.getLine()) + ":" +
                       std::to_string(loc.getColumn()) + ": ";
        collected += diag.str();
        return success();
      }) {}

std::string ErrorDiagnostics::describe(const std::string &what) const {
  return collected.empty() ? what : what + ": " + collected;
}

} // namespace nnc
