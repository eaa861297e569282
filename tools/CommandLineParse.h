//===- CommandLineParse.h - LLVM's parser, errors in one line -*- C++ -*-===//
//
// LLVM's CommandLine library reports a bad flag in several lines, some of
// them straight to stderr whatever stream it is given, with the program's
// name and a final "!". nnc's errors are one line: these helpers parse with
// those messages held back and turn them into one. They know nothing of
// nnc's commands, so any tool built on LLVM's parser can use them.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_COMMANDLINEPARSE_H
#define NNC_TOOLS_COMMANDLINEPARSE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace nnc::tools {

/// cl::ParseCommandLineOptions with what it prints kept in `errors`
/// instead: a flag's own errors (a malformed value, a required flag
/// missing) go to llvm::errs() whatever stream the parser is given, so
/// stderr itself goes to a temporary file meanwhile; when that cannot be
/// set up, they are printed as they come. False on a parse error.
bool parseCommandLineQuietly(int argc, char **argv, const char *overview,
                             std::string &errors);

/// LLVM's parse errors as one line: its first message without the program
/// name and its "Try: ..." hint, and its "Did you mean" suggestion if any.
/// "for the --batch option: 'abc' value invalid for long argument!" reads
/// "--batch: 'abc' value invalid for long argument", and "for the --prompt
/// option: must be specified at least once!" reads "--prompt must be
/// specified at least once". It starts lower-case.
std::string oneLineParseError(llvm::StringRef errors);

/// What is wrong with the arguments before LLVM's parser sees them; empty
/// when nothing is:
/// - argv[1] names no registered subcommand: a mistyped command would
///   reach LLVM as a stray positional argument. "unknown command 'trian';
///   did you mean 'train'?" (a near name is one edit in two letters away
///   at most).
/// - an empty value (`--save=`, `--save ""`, an unset shell variable): a
///   path left out would silently skip its output. "--save needs a value,
///   not an empty one".
std::string argumentProblem(int argc, char **argv);

/// The first NAME given twice in a list of NAME=VALUE flags, where one
/// would otherwise silently replace the other; empty if none.
std::string firstRepeatedName(llvm::ArrayRef<std::string> values);

} // namespace nnc::tools

#endif // NNC_TOOLS_COMMANDLINEPARSE_H
