//===- BenchCommand.cpp - nnc bench ---------------------------------------===//
//
// Prints what driver::runBenchmark measured (driver/Benchmark.h), as
// driver::formatBenchmark words it: the compile time and the median, min
// and max step time and the samples per second at the median, as text or
// as one JSON line.
//
//===----------------------------------------------------------------------===//

#include "driver/Benchmark.h"
#include "driver/OpenModel.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/LibraryNames.h"
#include "train/OutputPaths.h"
#include "train/ProfileReport.h"

#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <sys/resource.h>

namespace nnc::cli {

ExitCode runBench(const BenchOptions &options) {
  driver::BenchmarkOptions benchmark = options.benchmark;
  if (rt::Error error = driver::checkBenchmarkOptions(benchmark); !error.ok())
    return reportError(train::CodedError::usage(error.message()));
  // The trace is written after the timed runs: a path that cannot take it
  // fails now, and so does the model's own path.
  if (rt::Error error = train::checkOutputFile(options.profile.tracePath,
                                               {options.modelPath});
      !error.ok())
    return reportError(error);
  auto loadStart = std::chrono::steady_clock::now();
  std::unique_ptr<ModelSession> session =
      openModel(options.session, options.modelPath);
  if (!session)
    return UserError;
  double loadSeconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - loadStart)
                           .count();
  const frontend::Program &program = session->program();

  std::unique_ptr<rt::KernelProfiler> profiler = options.profile.makeProfiler();
  benchmark.profiler = profiler.get();
  rt::Expected<driver::BenchmarkResult> measured =
      driver::runBenchmark(*session, benchmark);
  if (!measured.ok())
    return reportError(measured.takeError());
  const driver::BenchmarkResult &result = *measured;
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  driver::BenchmarkContext context{
      program.modelName,  options.modelPath, session->backendName(),
      session->threads(), loadSeconds,       usage.ru_maxrss / 1024.0};
  llvm::outs() << driver::formatBenchmark(result, benchmark, context,
                                          options.json);
  if (!profiler)
    return Success;
  // With --json, stdout stays one JSON line; the profile goes to stderr.
  return reportProfile(options.profile, *profiler, result.graph->plan(),
                       result.graph->executable(), context.threads,
                       "the timed runs", program.modelName,
                       options.json ? llvm::errs() : llvm::outs());
}

} // namespace nnc::cli
