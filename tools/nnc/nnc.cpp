//===- nnc.cpp - The nnc command-line driver ------------------------------===//
//
// Parses the command line with LLVM's CommandLine library (subcommands, as
// `nnc check`, `nnc train`; their flags in CommandLine.h) and dispatches to
// the command functions of Commands.h and Trainer.h.
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/CommandLine.h"
#include "tools/nnc/Commands.h"

#include "passes/Passes.h"
#include "passes/Pipelines.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

using namespace llvm;
using namespace nnc::cli;

/// The largest --batch any command takes.
static constexpr int64_t kMaxBatch = int64_t(1) << 40;

static void printVersion(raw_ostream &os) {
  os << "nnc " NNC_VERSION " (LLVM and MLIR " LLVM_VERSION_STRING ")\n";
}

/// The name in `names` nearest to `typed` when it is close enough to be a
/// likely typo (at most one edit in two letters: "trian" is 2 from
/// "train"); empty otherwise.
static std::string nearestName(StringRef typed, ArrayRef<StringRef> names) {
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

/// One of LLVM's parse error lines without the program name: "nnc: for
/// the --batch option: 'abc' value invalid ..." is "for the --batch
/// option: ...".
static StringRef dropProgram(StringRef line) {
  if (!line.starts_with("nnc") || !line.contains(": "))
    return line.trim();
  return line.split(": ").second.trim();
}

/// LLVM's parse errors as one line: its first message without the program
/// name and its "Try: ..." hint, and its "Did you mean" suggestion if any.
/// A flag's own error, "for the --batch option: 'abc' value invalid for
/// long argument!", reads "--batch: 'abc' value invalid for long argument",
/// and "for the --prompt option: must be specified at least once!" reads
/// "--prompt must be specified at least once". It starts lower-case.
static std::string oneLineParseError(StringRef errors) {
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

/// cl::ParseCommandLineOptions with what it prints in `errors`. A flag's
/// own errors (a malformed value, a required flag missing) go to
/// llvm::errs() whatever stream the parser is given, so stderr itself goes
/// to a temporary file meanwhile; when that cannot be set up, they are
/// printed as they come.
static bool parseCommandLine(int argc, char **argv, std::string &errors) {
  const char *overview = "nnc: a neural-network compiler for CPUs\n";
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
  return parsed;
}

/// The first NAME given twice in a list of NAME=FILE flags, which would
/// otherwise be one file silently replacing the other; empty if none.
static std::string repeatedName(ArrayRef<std::string> values) {
  StringSet<> seen;
  for (StringRef value : values) {
    StringRef name = value.split('=').first;
    if (!name.empty() && !seen.insert(name).second)
      return name.str();
  }
  return "";
}

int main(int argc, char **argv) {
  InitLLVM initLLVM(argc, argv);
  // InitLLVM's new-handler aborts with a stack dump on any failed
  // allocation, nothrow ones included; without one, rt::Tensor::create's
  // nothrow new returns null and a model too big for memory is an error.
  std::set_new_handler(nullptr);
  // Subcommands build their pipelines from pass names.
  nnc::registerPasses();
  nnc::registerPipelines();
  cl::OptionCategory category("nnc options");
  CheckFlags check(category);
  ImportFlags import(category);
  IrFlags ir(category);
  RunFlags run(category);
  GenerateFlags generate(category);
  GradFlags grad(category);
  GradcheckFlags gradcheck(category);
  TrainFlags train(category);
  EvalFlags eval(category);
  BackendsFlags backends(category);
  BenchFlags bench(category);
  CompileFlags compile(category);
  InspectFlags inspect(category);

  // libLLVM registers many options of its own; show only ours.
  cl::HideUnrelatedOptions(category, cl::SubCommand::getTopLevel());
  for (cl::SubCommand *sub :
       {&check.sub, &import.sub, &ir.sub, &run.sub, &generate.sub, &grad.sub,
        &gradcheck.sub, &train.sub, &eval.sub, &backends.sub, &bench.sub,
        &compile.sub, &inspect.sub})
    cl::HideUnrelatedOptions(category, *sub);
  cl::SetVersionPrinter(printVersion);

  // A mistyped command would reach LLVM as a stray positional argument;
  // name it, and the command it is likely a typo of.
  if (argc > 1 && argv[1][0] != '-') {
    SmallVector<StringRef> names;
    for (cl::SubCommand *sub : cl::getRegisteredSubcommands())
      if (!sub->getName().empty())
        names.push_back(sub->getName());
    if (!llvm::is_contained(names, StringRef(argv[1]))) {
      std::string nearest = nearestName(argv[1], names);
      errs() << "error: unknown command '" << argv[1] << "'"
             << (nearest.empty() ? "" : "; did you mean '" + nearest + "'?")
             << " (see 'nnc --help')\n";
      return UsageError;
    }
  }

  std::string parseErrors;
  if (!parseCommandLine(argc, argv, parseErrors)) {
    // The command's own help lists its flags.
    std::string help = "nnc --help";
    if (argc > 1 && argv[1][0] != '-')
      help = "nnc " + std::string(argv[1]) + " --help";
    errs() << "error: " << oneLineParseError(parseErrors) << " (see '" << help
           << "')\n";
    return UsageError;
  }
  // Whatever the parser said without failing (a warning) is not lost.
  errs() << parseErrors;
  // No tensor may hold more than 2^40 elements (the frontend's and the
  // IR's limit), and every batched tensor has at least `batch`: a larger
  // one can only fail, in a diagnostic about some op.
  for (const cl::opt<int64_t> *batch :
       {&ir.batch, &gradcheck.batch, &train.batch, &eval.batch, &bench.batch,
        &compile.batch}) {
    if (batch->getNumOccurrences() && batch->getValue() > kMaxBatch) {
      errs() << "error: --batch must be at most 2^40 (" << kMaxBatch
             << "), the most elements a tensor may hold; got "
             << batch->getValue() << "\n";
      return UsageError;
    }
  }
  // cl::list's operator& gives its std::vector.
  for (auto [flag, values] : std::initializer_list<
           std::pair<const char *, const std::vector<std::string> *>>{
           {"--input", &run.inputs},
           {"--input", &grad.inputs},
           {"--input", &gradcheck.inputs},
           {"--data", &train.data},
           {"--eval-data", &train.evalData},
           {"--data", &eval.data}}) {
    if (std::string name = repeatedName(*values); !name.empty()) {
      errs() << "error: " << flag << " " << name << " given twice (see 'nnc "
             << argv[1] << " --help')\n";
      return UsageError;
    }
  }

  if (check.sub)
    return runCheck(check.get());
  if (import.sub)
    return runImport(import.get());
  if (ir.sub)
    return runIr(ir.get());
  if (run.sub)
    return isArtifactPath(run.model) ? runArtifact(run.get())
                                     : runRun(run.get());
  if (generate.sub)
    return runGenerate(generate.get());
  if (grad.sub)
    return runGrad(grad.get());
  if (gradcheck.sub)
    return runGradcheck(gradcheck.get());
  if (train.sub)
    return runTrain(train.get());
  if (eval.sub && isArtifactPath(eval.model)) {
    // An artifact's graphs are compiled for one batch size (docs/
    // artifact.md); a --batch it cannot honour must not pass unnoticed.
    if (eval.batch.getNumOccurrences()) {
      errs() << "error: --batch does not apply to an artifact, which runs "
                "at the batch size it was compiled for (see 'nnc inspect')\n";
      return UsageError;
    }
    return evalArtifact(eval.get());
  }
  if (eval.sub)
    return runEval(eval.get());
  if (backends.sub)
    return runBackends(backends.get());
  if (bench.sub)
    return runBench(bench.get());
  if (compile.sub)
    return runCompile(compile.get());
  if (inspect.sub)
    return runInspect(inspect.get());

  errs() << "error: no command given (see 'nnc --help')\n";
  return UsageError;
}
