//===- ExitCode.cpp - The nnc CLI's exit codes ----------------------------===//

#include "train/ExitCode.h"

#include "llvm/Support/raw_ostream.h"

namespace nnc::train {

ExitCode reportUserError(const std::string &message) {
  llvm::errs() << "error: " << message << "\n";
  return UserError;
}

} // namespace nnc::train
