//===- ExitCode.cpp - The nnc CLI's exit codes ----------------------------===//

#include "train/ExitCode.h"

#include "support/ShortText.h"

#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

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
  // Commands write through LLVM's stream, the training reporter through
  // std::cout (and its stdio buffer): a failure in any of them counts.
  llvm::outs().flush();
  std::string failure;
  if (std::error_code error = llvm::outs().error()) {
    failure = ": " + error.message();
    llvm::outs().clear_error();
  }
  std::cout.flush();
  errno = 0;
  bool stdioFailed = std::fflush(stdout) != 0;
  // A write that failed mid-run has left only the stream's error flag.
  if (failure.empty() &&
      (stdioFailed || std::ferror(stdout) || std::cout.fail()))
    failure = stdioFailed && errno ? ": " + std::string(std::strerror(errno))
                                   : std::string(" failed");
  if (failure.empty())
    return code;
  reportUserError("writing standard output" + failure);
  return code == Success ? UserError : code;
}

} // namespace nnc::train
