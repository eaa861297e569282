//===- nnc.cpp - The nnc command-line driver ------------------------------===//
//
// Parses the command line with LLVM's CommandLine library (subcommands, as
// `nnc check`, `nnc train`; their flags in CommandLine.h) and dispatches to
// the command functions of Commands.h and Trainer.h.
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/CommandLine.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/Trainer.h"

#include "passes/Passes.h"
#include "passes/Pipelines.h"

#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <string>

using namespace llvm;
using namespace nnc::cli;

static void printVersion(raw_ostream &os) {
  os << "nnc " NNC_VERSION " (LLVM and MLIR " LLVM_VERSION_STRING ")\n";
}

int main(int argc, char **argv) {
  InitLLVM initLLVM(argc, argv);
  // Subcommands build their pipelines from pass names.
  nnc::registerPasses();
  nnc::registerPipelines();
  cl::OptionCategory category("nnc options");
  CheckFlags check(category);
  IrFlags ir(category);
  RunFlags run(category);
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
       {&check.sub, &ir.sub, &run.sub, &grad.sub, &gradcheck.sub, &train.sub,
        &eval.sub, &backends.sub, &bench.sub, &compile.sub, &inspect.sub})
    cl::HideUnrelatedOptions(category, *sub);
  cl::SetVersionPrinter(printVersion);

  std::string parseErrors;
  raw_string_ostream parseErrorStream(parseErrors);
  if (!cl::ParseCommandLineOptions(
          argc, argv, "nnc: a neural-network compiler for CPUs\n",
          &parseErrorStream)) {
    parseErrorStream.flush();
    StringRef firstLine = StringRef(parseErrors).split('\n').first.trim();
    // LLVM prefixes its messages with the program name; keep one line.
    firstLine = firstLine.drop_until([](char c) { return c == ':'; });
    firstLine = firstLine.drop_front(firstLine.empty() ? 0 : 1).trim();
    errs() << "error: " << firstLine << " (see 'nnc --help')\n";
    return UsageError;
  }

  for (const SessionFlags *session :
       {&check.session, &ir.session, &run.session, &grad.session,
        &gradcheck.session, &train.session, &eval.session, &backends.session,
        &bench.session, &compile.session})
    if (session->noCache)
      ::setenv("NNC_NO_CACHE", "1", /*overwrite=*/1);

  if (check.sub)
    return runCheck(check.get());
  if (ir.sub)
    return runIr(ir.get());
  if (run.sub)
    return isArtifactPath(run.model) ? runArtifact(run.get())
                                     : runRun(run.get());
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
