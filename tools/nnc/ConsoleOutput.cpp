//===- ConsoleOutput.cpp - Result files and profiles on the console -------===//
//
// What `nnc run`, `nnc grad` and `nnc bench` show of their results: the
// line of each result file written (train/OutputWriter.h) and the profile
// table (train/ProfileReport.h) on stdout, warnings and errors on stderr.
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/Commands.h"

#include "llvm/Support/raw_ostream.h"

namespace nnc::cli {

bool showOutputs(const std::string &dir,
                 const std::vector<train::OutputTensor> &outputs,
                 const std::vector<std::string> &files,
                 const std::vector<std::string> &namedFiles) {
  rt::Expected<std::vector<std::string>> lines =
      train::writeOutputs(dir, outputs, files, namedFiles);
  if (!lines.ok())
    return reportError(lines.takeError()), false;
  for (const std::string &line : *lines)
    llvm::outs() << line << "\n";
  return true;
}

ExitCode reportProfile(const ProfileRequest &request,
                       const rt::KernelProfiler &profiler,
                       const rt::ExecutionPlan &plan,
                       const rt::PluginExecutable &executable, unsigned threads,
                       const std::string &what, const std::string &modelName,
                       llvm::raw_ostream &os) {
  std::vector<std::string> warnings;
  rt::Expected<std::string> text = train::renderProfile(
      request, profiler, plan, executable, threads, what, modelName, warnings);
  for (const std::string &warning : warnings)
    llvm::errs() << "warning: " << warning << "\n";
  if (!text.ok())
    return reportError(text.takeError());
  os << *text;
  return Success;
}

} // namespace nnc::cli
