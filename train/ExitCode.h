//===- ExitCode.h - The nnc CLI's exit codes --------------------*- C++ -*-===//

#ifndef NNC_TRAIN_EXITCODE_H
#define NNC_TRAIN_EXITCODE_H

#include "runtime/Status.h"

#include <string>

namespace nnc::train {

/// The only exit codes nnc uses (a documented contract, see docs/cli.md).
enum ExitCode : int {
  Success = 0,
  /// Bad input: a malformed model, a missing file, a failed check.
  UserError = 1,
  /// The command line itself is wrong.
  UsageError = 2,
};

/// Prints "error: MESSAGE" on stderr, the one line a user error gets, and
/// returns UserError.
ExitCode reportUserError(const std::string &message);

/// Prints `error` on stderr as a user error: "error: MESSAGE", or rendered
/// diagnostics as they are; returns UserError.
ExitCode reportError(const rt::Error &error);

} // namespace nnc::train

#endif // NNC_TRAIN_EXITCODE_H
