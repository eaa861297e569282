//===- ProfileReport.cpp - --profile and --trace of the CLI ---------------===//

#include "tools/nnc/ProfileReport.h"

namespace nnc::cli {

ExitCode reportProfile(const ProfileRequest &request,
                       const rt::KernelProfiler &profiler,
                       const rt::ExecutionPlan &plan, unsigned threads,
                       const std::string &what, const std::string &modelName,
                       llvm::raw_ostream &os) {
  if (request.table)
    os << "profile of " << what << " (kernels by thread time):\n"
       << rt::formatProfile(
              rt::summarizeProfile(profiler, plan, static_cast<int>(threads)));
  if (!request.tracePath.empty()) {
    if (rt::Error error =
            rt::writeChromeTrace(request.tracePath, profiler, plan, modelName);
        !error.ok()) {
      llvm::errs() << "error: " << error.message() << "\n";
      return UserError;
    }
    os << "wrote the trace " << request.tracePath << "\n";
  }
  return Success;
}

} // namespace nnc::cli
