//===- ProfileReport.cpp - --profile and --trace of the CLI ---------------===//

#include "train/ProfileReport.h"

#include "runtime/Counted.h"
#include "runtime/FileIO.h"
#include "runtime/FmaPeak.h"

#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <optional>

namespace nnc::train {

double machinePeakGflops(unsigned threads) {
  // Measured once per thread count and process: a report rewritten at
  // every curve point asks again.
  static std::map<unsigned, double> measured;
  auto known = measured.find(threads);
  if (known != measured.end())
    return known->second;
  std::optional<rt::FmaIsa> isa = rt::widestFmaIsa();
  // Short runs: a fifth of a second in all, once, after the timed runs.
  double peak =
      isa ? rt::measureFmaGflops(*isa, threads, /*seconds=*/0.05, /*repeats=*/2)
          : 0;
  measured.emplace(threads, peak);
  return peak;
}

std::vector<std::string>
backendSummaries(const rt::PluginExecutable &executable,
                 std::vector<std::string> &warnings) {
  rt::Expected<std::vector<std::string>> summaries =
      executable.kernelSummaries();
  if (summaries.ok())
    return std::move(*summaries);
  warnings.push_back(summaries.message());
  return {};
}

rt::Expected<std::string>
renderProfile(const ProfileRequest &request, const rt::KernelProfiler &profiler,
              const rt::ExecutionPlan &plan,
              const rt::PluginExecutable &executable, unsigned threads,
              const std::string &what, const std::string &modelName,
              std::vector<std::string> &warnings) {
  std::vector<std::string> summaries = backendSummaries(executable, warnings);
  std::string text;
  llvm::raw_string_ostream os(text);
  if (request.table) {
    rt::GraphProfile profile = rt::summarizeProfile(
        profiler, plan, static_cast<int>(threads), summaries);
    profile.peakGflops = machinePeakGflops(threads);
    os << "profile of " << what << " (kernels by thread time):\n"
       << rt::formatProfile(profile);
  }
  if (!request.tracePath.empty()) {
    // Its folder is made, as --plot's and --report's are.
    llvm::StringRef folder = llvm::sys::path::parent_path(request.tracePath);
    if (!folder.empty())
      if (rt::Error error = rt::makeFolders(folder.str()); !error.ok())
        return error;
    if (rt::Error error = rt::writeChromeTrace(request.tracePath, profiler,
                                               plan, modelName, summaries);
        !error.ok())
      return error;
    os << "wrote the trace " << request.tracePath;
    if (int64_t left = profiler.stepsLeftOutOfTrace(); left > 0)
      os << " (its first " << profiler.steps().size()
         << " steps: the trace is full at "
         << rt::KernelProfiler::kTraceSliceLimit << " kernel calls; "
         << (request.table ? "the table also counts " : "it leaves out ")
         << rt::counted(left, "later step") << ")";
    os << "\n";
  }
  return text;
}

} // namespace nnc::train
