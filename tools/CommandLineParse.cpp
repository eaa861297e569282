//===- CommandLineParse.cpp - LLVM's command line, errors in one line ----===//

#include "tools/CommandLineParse.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdio>

#include <unistd.h>

using namespace llvm;

namespace nnc::tools {
namespace {

/// The name of a flag that takes one value and was given more than once
/// for the command being run ("--output-dir a --output-dir b"): LLVM keeps
/// the last, and the first is lost without a word. Lists (cl::list) take
/// repeats on purpose. Empty when there is none.
std::string repeatedSingleValueFlag() {
  for (cl::SubCommand *sub : cl::getRegisteredSubcommands()) {
    if (!*sub && sub != &cl::SubCommand::getTopLevel())
      continue;
    for (const auto &[name, option] : sub->OptionsMap)
      if ((option->getNumOccurrencesFlag() == cl::Optional ||
           option->getNumOccurrencesFlag() == cl::Required) &&
          option->getNumOccurrences() > 1)
        return name.str();
  }
  return "";
}

/// The first flag given that the tool hid as not its own (cl::ReallyHidden,
/// as cl::HideUnrelatedOptions leaves libLLVM's own `--threads` or
/// `--x86-asm-syntax`): LLVM's parser still takes them in every command,
/// where they would do nothing the command documents. Empty when none.
std::string givenHiddenFlag() {
  for (cl::SubCommand *sub : cl::getRegisteredSubcommands()) {
    if (!*sub && sub != &cl::SubCommand::getTopLevel())
      continue;
    for (const auto &[name, option] : sub->OptionsMap)
      if (option->getOptionHiddenFlag() == cl::ReallyHidden &&
          option->getNumOccurrences() > 0)
        return name.str();
  }
  return "";
}

/// One of LLVM's parse error lines without the program name: "nnc: for
/// the --batch option: 'abc' value invalid ..." is "for the --batch
/// option: ...".
StringRef dropProgram(StringRef line) {
  auto [program, rest] = line.split(": ");
  if (rest.empty() || program.contains(' '))
    return line.trim();
  return rest.trim();
}

/// The name in `names` nearest to `typed`, when close enough to be a typo.
std::string nearestName(StringRef typed, ArrayRef<StringRef> names) {
  std::string best;
  unsigned bestDistance = std::max<size_t>(1, typed.size() / 2) + 1;
  for (StringRef name : names) {
    unsigned distance = typed.edit_distance(name);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = name.str();
    }
  }
  return best;
}

} // namespace

std::string oneLineParseError(StringRef errors) {
  SmallVector<StringRef> lines;
  errors.split(lines, '\n', -1, /*KeepEmpty=*/false);
  std::string message =
      lines.empty() ? "bad command line" : dropProgram(lines[0]).str();
  if (size_t tryAt = message.find("  Try:"); tryAt != std::string::npos)
    message.erase(tryAt);
  StringRef text(message);
  if (text.consume_front("for the ") && text.contains(" option: ")) {
    auto [flag, problem] = text.split(" option: ");
    bool sentence = !problem.empty() && isAlpha(problem.front());
    message = flag.str() + (sentence ? " " : ": ") + problem.str();
  }
  while (!message.empty() && (message.back() == '.' || message.back() == '!'))
    message.pop_back();
  // nnc's messages start lower-case; LLVM's own ("Unknown command line
  // argument") do not.
  if (!message.empty())
    message[0] = toLower(message[0]);
  for (StringRef line : lines)
    if (StringRef rest = dropProgram(line); rest.starts_with("Did you mean"))
      message += "; d" + rest.drop_front(1).str();
  return message;
}

bool parseCommandLineQuietly(int argc, char **argv, const char *overview,
                             std::string &errors) {
  std::FILE *capture = std::tmpfile();
  int savedStderr = capture ? dup(STDERR_FILENO) : -1;
  if (savedStderr < 0 || dup2(fileno(capture), STDERR_FILENO) < 0) {
    if (savedStderr >= 0)
      close(savedStderr);
    if (capture)
      std::fclose(capture);
    raw_string_ostream stream(errors);
    return cl::ParseCommandLineOptions(argc, argv, overview, &stream);
  }
  // Given a stream, the parser returns false on an error instead of
  // exiting.
  bool parsed = cl::ParseCommandLineOptions(argc, argv, overview, &errs());
  errs().flush();
  dup2(savedStderr, STDERR_FILENO);
  close(savedStderr);
  std::rewind(capture);
  char buffer[4096];
  while (size_t read = std::fread(buffer, 1, sizeof(buffer), capture))
    errors.append(buffer, read);
  std::fclose(capture);
  if (parsed)
    if (std::string hidden = givenHiddenFlag(); !hidden.empty()) {
      errors = "Unknown command line argument '-" +
               std::string(hidden.size() > 1 ? "-" : "") + hidden + "'\n";
      return false;
    }
  if (parsed)
    if (std::string repeated = repeatedSingleValueFlag(); !repeated.empty()) {
      errors = "for the -" + std::string(repeated.size() > 1 ? "-" : "") +
               repeated + " option: given twice; give it once!\n";
      return false;
    }
  return parsed;
}

std::string argumentProblem(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    StringRef arg(argv[i]);
    StringRef flag = arg.starts_with("-") ? arg.split('=').first : "";
    if (!flag.empty() && arg.ends_with("=") && arg.count('=') == 1)
      return flag.str() + " needs a value, not an empty one";
    if (arg.empty())
      return i > 1 && argv[i - 1][0] == '-'
                 ? StringRef(argv[i - 1]).split('=').first.str() +
                       " needs a value, not an empty one"
                 : "an empty argument";
  }
  if (argc < 2 || argv[1][0] == '-')
    return "";
  SmallVector<StringRef> names;
  for (cl::SubCommand *sub : cl::getRegisteredSubcommands())
    if (!sub->getName().empty())
      names.push_back(sub->getName());
  if (is_contained(names, StringRef(argv[1])))
    return "";
  std::string nearest = nearestName(argv[1], names);
  return "unknown command '" + std::string(argv[1]) + "'" +
         (nearest.empty() ? "" : "; did you mean '" + nearest + "'?");
}

std::string firstRepeatedName(ArrayRef<std::string> values) {
  StringSet<> seen;
  for (StringRef value : values) {
    StringRef name = value.split('=').first;
    if (!name.empty() && !seen.insert(name).second)
      return name.str();
  }
  return "";
}

} // namespace nnc::tools
