//===- ExitCode.cpp - The nnc CLI's exit codes ----------------------------===//

#include "train/ExitCode.h"

#include "support/ShortText.h"

#include "llvm/Support/raw_ostream.h"

namespace nnc::train {

ExitCode reportUserError(const std::string &message) {
  // One write: the ranks of a data-parallel job share the terminal, and a
  // line written piecewise interleaves with another rank's.
  llvm::errs() << ("error: " + shortened(oneLine(message)) + "\n");
  return UserError;
}

ExitCode reportError(const rt::Error &error) {
  if (error.isRendered()) {
    llvm::errs() << error.message();
    return UserError;
  }
  return reportUserError(error.message());
}

ExitCode reportError(const CodedError &error) {
  if (error.ok())
    return Success;
  if (!error.shownElsewhere)
    reportError(error.error);
  return error.code;
}

ExitCode withStandardOutputWritten(ExitCode code) {
  llvm::outs().flush();
  std::error_code error = llvm::outs().error();
  if (!error)
    return code;
  llvm::outs().clear_error();
  reportUserError("writing standard output: " + error.message());
  return code == Success ? UserError : code;
}

} // namespace nnc::train
