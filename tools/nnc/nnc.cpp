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

#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdlib>
#include <string>

using namespace llvm;
using namespace nnc::cli;

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

/// LLVM's parse errors as one line: its first message without the program
/// name and its "Try: ..." hint, and its "Did you mean" suggestion if any.
static std::string oneLineParseError(StringRef errors) {
  SmallVector<StringRef> lines;
  errors.split(lines, '\n', -1, /*KeepEmpty=*/false);
  auto dropProgram = [](StringRef line) {
    line = line.drop_until([](char c) { return c == ':'; });
    return line.drop_front(line.empty() ? 0 : 1).trim();
  };
  std::string message =
      lines.empty() ? "bad command line" : dropProgram(lines[0]).str();
  if (size_t tryAt = message.find("  Try:"); tryAt != std::string::npos)
    message.erase(tryAt);
  if (!message.empty() && message.back() == '.')
    message.pop_back();
  for (StringRef line : lines)
    if (StringRef rest = dropProgram(line); rest.starts_with("Did you mean"))
      message += "; d" + rest.drop_front(1).str();
  return message;
}

int main(int argc, char **argv) {
  InitLLVM initLLVM(argc, argv);
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
  raw_string_ostream parseErrorStream(parseErrors);
  if (!cl::ParseCommandLineOptions(
          argc, argv, "nnc: a neural-network compiler for CPUs\n",
          &parseErrorStream)) {
    parseErrorStream.flush();
    errs() << "error: " << oneLineParseError(parseErrors)
           << " (see 'nnc --help')\n";
    return UsageError;
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
  if (eval.sub)
    return isArtifactPath(eval.model) ? evalArtifact(eval.get())
                                      : runEval(eval.get());
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
