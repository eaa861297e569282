//===- nnc.cpp - The nnc command-line driver ------------------------------===//
//
// Parses the command line with LLVM's CommandLine library (subcommands, as
// `nnc check`, `nnc train`; their flags in CommandLine.h) and dispatches to
// the command functions of Commands.h and Trainer.h.
//
//===----------------------------------------------------------------------===//

#include "tools/CommandLineParse.h"
#include "tools/LimitsAsErrors.h"
#include "tools/nnc/CommandLine.h"
#include "tools/nnc/Commands.h"

#include "passes/Passes.h"
#include "passes/Pipelines.h"
#include "runtime/Artifact.h"

#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

using namespace llvm;
using namespace nnc::cli;

/// The largest --batch any command takes.
static constexpr int64_t kMaxBatch = int64_t(1) << 40;

static void printVersion(raw_ostream &os) {
  os << "nnc " NNC_VERSION " (LLVM and MLIR " LLVM_VERSION_STRING ")\n";
}

static ExitCode runCommandLine(int argc, char **argv) {
  // A closed pipe (`nnc ir ... | head`) ends nnc by SIGPIPE, as it ends any
  // filter, not with LLVM's exit code 74, outside nnc's 0, 1 and 2.
  InitLLVM initLLVM(argc, argv, /*InstallPipeSignalExitHandler=*/false);
  nnc::tools::reportLimitsAsErrors();
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
  // A command's own help lists its flags.
  std::string help = "nnc --help";
  for (cl::SubCommand *sub :
       {&check.sub, &import.sub, &ir.sub, &run.sub, &generate.sub, &grad.sub,
        &gradcheck.sub, &train.sub, &eval.sub, &backends.sub, &bench.sub,
        &compile.sub, &inspect.sub}) {
    cl::HideUnrelatedOptions(category, *sub);
    if (argc > 1 && sub->getName() == argv[1])
      help = "nnc " + std::string(argv[1]) + " --help";
  }
  cl::SetVersionPrinter(printVersion);

  if (std::string problem = nnc::tools::argumentProblem(argc, argv);
      !problem.empty()) {
    errs() << "error: " << problem << " (see '" << help << "')\n";
    return UsageError;
  }

  std::string parseErrors;
  if (!nnc::tools::parseCommandLineQuietly(
          argc, argv, "nnc: a neural-network compiler for CPUs\n",
          parseErrors)) {
    errs() << "error: " << nnc::tools::oneLineParseError(parseErrors)
           << " (see '" << help << "')\n";
    return UsageError;
  }
  // Whatever the parser said without failing (a warning) is not lost.
  errs() << parseErrors;
  // No tensor may hold more than 2^40 elements (the frontend's and the
  // IR's limit), and every batched tensor has at least `batch`: a larger
  // one can only fail, in a diagnostic about some op.
  for (const cl::opt<int64_t> *batch :
       {&ir.batch, &gradcheck.batch, &train.batch, &eval.batch, &bench.batch,
        &compile.batch})
    if (batch->getNumOccurrences() && batch->getValue() > kMaxBatch) {
      errs() << "error: --batch must be at most 2^40 (" << kMaxBatch
             << "), the most elements a tensor may hold; got "
             << batch->getValue() << "\n";
      return UsageError;
    }
  // cl::list's operator& gives its std::vector.
  for (auto [flag, values] : std::initializer_list<
           std::pair<const char *, const std::vector<std::string> *>>{
           {"--input", &run.inputs},
           {"--input", &grad.inputs},
           {"--wrt", &grad.wrt},
           {"--input", &gradcheck.inputs},
           {"--data", &train.data},
           {"--eval-data", &train.evalData},
           {"--data", &eval.data}})
    if (std::string name = nnc::tools::firstRepeatedName(*values);
        !name.empty()) {
      errs() << "error: " << flag << " " << name << " given twice (see 'nnc "
             << argv[1] << " --help')\n";
      return UsageError;
    }

  if (check.sub)
    return runCheck(check.get());
  if (import.sub)
    return runImport(import.get());
  if (ir.sub)
    return runIr(ir.get());
  if (run.sub)
    return nnc::rt::isArtifactFile(run.model) ? runArtifact(run.get())
                                              : runRun(run.get());
  if (generate.sub)
    return runGenerate(generate.get());
  if (grad.sub)
    return runGrad(grad.get());
  if (gradcheck.sub)
    return runGradcheck(gradcheck.get());
  if (train.sub)
    return runTrain(train.get());
  if (eval.sub && nnc::rt::isArtifactFile(eval.model)) {
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

int main(int argc, char **argv) {
  return nnc::train::withStandardOutputWritten(runCommandLine(argc, argv));
}
