//===- Diagnostics.h - Located errors for DSL sources -----------*- C++ -*-===//
//
// Collects errors at source positions and prints them the way compilers do:
//
//   model.nn:3:13: error: unknown name 'w3'
//     let h = x @ w3
//                 ^
//
// The source line and the caret line are indented by two spaces; columns
// count bytes from 1.
//
// MLIR-free, so that diagnostics raised later in the pipeline (verifiers,
// lowering) can be routed through the same printer from tools/.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_FRONTEND_DIAGNOSTICS_H
#define NNC_FRONTEND_DIAGNOSTICS_H

#include "frontend/Program.h"

#include <ostream>
#include <string>
#include <vector>

namespace nnc::frontend {

struct Diagnostic {
  enum class Severity { Error, Note };
  Severity severity = Severity::Error;
  SourceLoc loc; ///< line 0 means "no position" (e.g. an unreadable file).
  std::string message;
};

/// The notes after an error inside layer instances, `callers` innermost
/// first: one per instance, or, for a deep chain, the innermost few and
/// the outermost, which says how many levels lie between.
std::vector<Diagnostic> callerNotes(const std::vector<SourceLoc> &callers);

/// Holds one source file's text and the diagnostics raised against it.
class DiagnosticEngine {
public:
  DiagnosticEngine(std::string fileName, std::string source);

  /// Records an error. The error that reaches the limit is followed by a
  /// "too many errors; stopping after N" note (without a position); every
  /// error and note after it is dropped.
  void error(SourceLoc loc, std::string message);
  /// Records a note that explains the previous error; dropped, like errors,
  /// past the limit.
  void note(SourceLoc loc, std::string message);

  /// Caps the number of recorded errors; 0 (the default) means no cap.
  void setErrorLimit(unsigned limit) { errorLimit = limit; }
  /// True once `errorLimit` errors were recorded; the frontend stops then.
  bool limitReached() const {
    return errorLimit != 0 && numErrors >= errorLimit;
  }

  unsigned errorCount() const { return numErrors; }
  bool hasErrors() const { return numErrors != 0; }
  const std::vector<Diagnostic> &diagnostics() const { return diags; }
  const std::string &fileName() const { return file; }
  const std::string &source() const { return text; }

  /// Prints every diagnostic as "file:line:col: error: message", followed by
  /// the source line and a caret under the column. Non-printable bytes in
  /// the echoed line are shown as '?', so terminals never get raw control
  /// bytes. Long lines are cut around the column.
  void print(std::ostream &os) const;

  /// Prints one diagnostic in the same format; used for errors raised after
  /// the frontend, at a location that came from this file.
  void printOne(std::ostream &os, const Diagnostic &diag) const;

private:
  std::string file;
  std::string text;
  std::vector<Diagnostic> diags;
  unsigned numErrors = 0;
  unsigned errorLimit = 0;
};

} // namespace nnc::frontend

#endif // NNC_FRONTEND_DIAGNOSTICS_H
