//===- ExitCode.cpp - The nnc CLI's exit codes ----------------------------===//

#include "train/ExitCode.h"

#include "llvm/Support/raw_ostream.h"

namespace nnc::train {

ExitCode reportUserError(const std::string &message) {
  llvm::errs() << "error: " << message << "\n";
  return UserError;
}

ExitCode reportError(const rt::Error &error) {
  if (error.isRendered()) {
    llvm::errs() << error.message();
    return UserError;
  }
  return reportUserError(error.message());
}

} // namespace nnc::train
