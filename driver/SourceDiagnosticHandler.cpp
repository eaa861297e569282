//===- SourceDiagnosticHandler.cpp - MLIR diagnostics in DSL form ---------===//

#include "driver/SourceDiagnosticHandler.h"

#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"

#include <sstream>

using namespace mlir;

namespace nnc::driver {
namespace {

/// Splits a location into the op's own position and its call sites,
/// innermost first. Unknown or foreign locations give an empty result.
void flatten(Location loc, SmallVectorImpl<frontend::SourceLoc> &chain) {
  if (auto fileLoc = dyn_cast<FileLineColLoc>(loc)) {
    chain.push_back({fileLoc.getLine(), fileLoc.getColumn()});
    return;
  }
  if (auto callSite = dyn_cast<CallSiteLoc>(loc)) {
    flatten(callSite.getCallee(), chain);
    flatten(callSite.getCaller(), chain);
    return;
  }
  if (auto named = dyn_cast<NameLoc>(loc)) {
    flatten(named.getChildLoc(), chain);
    return;
  }
  if (auto fused = dyn_cast<FusedLoc>(loc)) {
    // A fused op keeps its first constituent's position: the one users see.
    if (!fused.getLocations().empty())
      flatten(fused.getLocations().front(), chain);
  }
}

} // namespace

SourceDiagnosticHandler::SourceDiagnosticHandler(
    MLIRContext &context, const frontend::DiagnosticEngine &source,
    WarningHandler onWarning)
    : context(context), source(source), onWarning(std::move(onWarning)) {
  // MLIR attaches the failing op, printed whole, to each error; for an
  // error about the module (an unknown --optimizer) that is the entire
  // program as IR, which tells a model's author nothing.
  context.printOpOnDiagnostic(false);
  id = context.getDiagEngine().registerHandler(
      [this](Diagnostic &diag) { return handle(diag); });
}

SourceDiagnosticHandler::~SourceDiagnosticHandler() {
  context.getDiagEngine().eraseHandler(id);
}

LogicalResult SourceDiagnosticHandler::handle(Diagnostic &diag) {
  using Severity = frontend::Diagnostic::Severity;
  SmallVector<frontend::SourceLoc> chain;
  flatten(diag.getLocation(), chain);
  std::ostringstream os;
  bool isError = diag.getSeverity() == DiagnosticSeverity::Error;

  frontend::Diagnostic out;
  out.severity = isError ? Severity::Error : Severity::Note;
  out.loc = chain.empty() ? frontend::SourceLoc{} : chain.front();
  out.message = diag.str();
  source.printOne(os, out);
  if (chain.size() > 1)
    for (const frontend::Diagnostic &note : frontend::callerNotes(
             std::vector<frontend::SourceLoc>(chain.begin() + 1, chain.end())))
      source.printOne(os, note);
  for (Diagnostic &note : diag.getNotes()) {
    SmallVector<frontend::SourceLoc> noteChain;
    flatten(note.getLocation(), noteChain);
    source.printOne(os,
                    {Severity::Note,
                     noteChain.empty() ? frontend::SourceLoc{} : noteChain[0],
                     note.str()});
  }
  if (isError)
    renderedErrors += os.str();
  else if (onWarning)
    onWarning(os.str());
  return success();
}

rt::Error SourceDiagnosticHandler::failure(const std::string &fallback) const {
  if (renderedErrors.empty())
    return rt::Error::failure(fallback);
  return rt::Error::rendered(renderedErrors);
}

} // namespace nnc::driver
