//===- ExitCode.cpp - The nnc CLI's exit codes ----------------------------===//

#include "tools/nnc/ExitCode.h"

#include "llvm/Support/raw_ostream.h"

namespace nnc::cli {

ExitCode reportUserError(const std::string &message) {
  llvm::errs() << "error: " << message << "\n";
  return UserError;
}

} // namespace nnc::cli
