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

/// Flushes stdout and returns `code`, or UserError when writing it failed
/// (a full disk), which it reports as one line: LLVM's stream would
/// otherwise abort at exit with "LLVM ERROR: IO failure". (A closed pipe
/// never gets here: SIGPIPE ends the process first, as it ends any filter.)
ExitCode withStandardOutputWritten(ExitCode code);

/// An error with the exit code a command ends with for it. rt::Error has
/// no code, and a few of the library's failures are usage errors (a flag's
/// argument that is malformed, such as --data's NAME=FILE) rather than
/// user errors. A success when `error` is one.
struct [[nodiscard]] CodedError {
  rt::Error error;
  ExitCode code = Success;
  /// Set when another process shows the error: rank 0 of a data-parallel
  /// job, for a failure every rank meets alike (a diverged loss). The
  /// caller ends with `code` and shows nothing.
  bool shownElsewhere = false;

  /// `error` as a user error; a success stays a success.
  CodedError(rt::Error error = rt::Error::success())
      : error(std::move(error)), code(this->error.ok() ? Success : UserError) {}
  /// A usage error with `message`.
  static CodedError usage(std::string message) {
    CodedError coded(rt::Error::failure(std::move(message)));
    coded.code = UsageError;
    return coded;
  }
  bool ok() const { return error.ok(); }
};

/// Prints `error` as reportError does, unless it is shown elsewhere, and
/// returns its code.
ExitCode reportError(const CodedError &error);

} // namespace nnc::train

#endif // NNC_TRAIN_EXITCODE_H
