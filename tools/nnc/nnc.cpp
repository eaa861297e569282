//===- nnc.cpp - The nnc command-line driver ------------------------------===//
//
// Parses the command line with LLVM's CommandLine library (subcommands, as
// `nnc check`, `nnc ir`) and dispatches to the functions in Commands.h. The
// options are locals of main, copied into plain structs: nothing is global.
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/Commands.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

using namespace llvm;
using namespace nnc::cli;

static void printVersion(raw_ostream &os) {
  os << "nnc " NNC_VERSION " (LLVM and MLIR " LLVM_VERSION_STRING ")\n";
}

int main(int argc, char **argv) {
  InitLLVM initLLVM(argc, argv);
  cl::OptionCategory category("nnc options");

  cl::SubCommand check("check", "Parse and verify a model; report errors as "
                                "file:line:col");
  cl::opt<std::string> checkModel(cl::Positional, cl::Required,
                                  cl::desc("MODEL.nn"), cl::sub(check),
                                  cl::cat(category));

  cl::SubCommand ir("ir", "Print a model's IR after a pipeline stage");
  cl::opt<std::string> irModel(cl::Positional, cl::Required,
                               cl::desc("MODEL.nn"), cl::sub(ir),
                               cl::cat(category));
  cl::opt<std::string> irStage("stage", cl::desc("Stage to print: frontend"),
                               cl::init("frontend"), cl::sub(ir),
                               cl::cat(category));
  cl::opt<bool> irDot("dot", cl::desc("Print a Graphviz graph instead of IR"),
                      cl::sub(ir), cl::cat(category));
  cl::opt<bool> irLocations(
      "locations", cl::desc("Print each op's DSL source location"),
      cl::sub(ir), cl::cat(category));

  cl::SubCommand backends("backends", "List the backend plugins found");

  cl::SubCommand run("run", "Run a model once on inputs; write its outputs");
  cl::opt<std::string> runModel(cl::Positional, cl::Required,
                                cl::desc("MODEL.nn"), cl::sub(run),
                                cl::cat(category));
  cl::list<std::string> runInputs("input", cl::desc("NAME=FILE.npy"),
                                  cl::sub(run), cl::cat(category));
  cl::opt<std::string> runParams(
      "params", cl::desc("Folder of NAME.npy parameter values"), cl::sub(run),
      cl::cat(category));
  cl::opt<std::string> runParamsOut(
      "params-out", cl::desc("Write the parameters used to this folder"),
      cl::sub(run), cl::cat(category));
  cl::opt<uint64_t> runSeed(
      "seed", cl::desc("Mixed into every initializer's seed"), cl::init(0),
      cl::sub(run), cl::cat(category));
  cl::opt<std::string> runOutputDir("output-dir", cl::Required,
                                    cl::desc("Folder for OUTPUT.npy files"),
                                    cl::sub(run), cl::cat(category));

  // Global options, accepted by every subcommand. They are attached to each
  // subcommand rather than to SubCommand::getAll(), because libLLVM already
  // registers a top-level `-threads` of its own.
  cl::opt<std::string> backend("backend", cl::desc("Backend to run on"),
                               cl::init("ref"), cl::sub(check), cl::sub(ir),
                               cl::sub(backends), cl::sub(run),
                               cl::cat(category));
  cl::opt<unsigned> threads("threads",
                            cl::desc("Most threads to use (0: all cores)"),
                            cl::init(0), cl::sub(check), cl::sub(ir),
                            cl::sub(backends), cl::sub(run),
                            cl::cat(category));
  cl::list<std::string> plugins("plugin", cl::desc("Load a backend plugin"),
                                cl::sub(check), cl::sub(ir),
                                cl::sub(backends), cl::sub(run),
                                cl::cat(category));

  cl::HideUnrelatedOptions(category, cl::SubCommand::getTopLevel());
  cl::HideUnrelatedOptions(category, check);
  cl::HideUnrelatedOptions(category, ir);
  cl::HideUnrelatedOptions(category, backends);
  cl::HideUnrelatedOptions(category, run);
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

  if (check)
    return runCheck({checkModel});
  if (ir)
    return runIr({irModel, irStage, irDot, irLocations});
  if (run) {
    SessionOptions session{backend, threads, plugins};
    return runRun({session, runModel, runInputs, runParams, runParamsOut,
                   runSeed, runOutputDir});
  }
  if (backends)
    return runBackends({plugins});

  errs() << "error: no command given (see 'nnc --help')\n";
  return UsageError;
}
