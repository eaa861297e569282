//===- BenchCommand.cpp - nnc bench ---------------------------------------===//
//
// Prints what driver::runBenchmark measured (driver/Benchmark.h): the
// compile time and the median, min and max step time and the samples per
// second at the median, as text or as one JSON line.
//
//===----------------------------------------------------------------------===//

#include "driver/Benchmark.h"
#include "driver/OpenModel.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/LibraryNames.h"
#include "train/ProfileReport.h"

#include "runtime/FlatJson.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <sys/resource.h>

namespace nnc::cli {

ExitCode runBench(const BenchOptions &options) {
  driver::BenchmarkOptions benchmark = options.benchmark;
  if ((benchmark.batch && *benchmark.batch < 1) || benchmark.warmup < 0 ||
      benchmark.repeat < 1 || benchmark.maxSeconds < 0) {
    llvm::errs() << "error: --batch and --repeat must be positive, --warmup "
                    "and --max-seconds not negative\n";
    return UsageError;
  }
  auto loadStart = std::chrono::steady_clock::now();
  std::unique_ptr<ModelSession> session =
      openModel(options.session, options.modelPath);
  if (!session)
    return UserError;
  double loadSeconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - loadStart)
                           .count();
  const frontend::Program &program = session->program();

  std::optional<rt::KernelProfiler> profiler;
  if (options.profile.any()) {
    profiler.emplace();
    benchmark.profiler = &*profiler;
  }
  rt::Expected<driver::BenchmarkResult> measured =
      driver::runBenchmark(*session, benchmark);
  if (!measured.ok())
    return reportError(measured.takeError());
  const driver::BenchmarkResult &result = *measured;
  double medianMs = result.medianSeconds * 1e3;
  unsigned threads = session->threads();
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  double peakRssMiB = usage.ru_maxrss / 1024.0;

  llvm::raw_ostream &os = llvm::outs();
  if (options.json) {
    os << "{\"model\": " << rt::jsonQuoted(program.modelName)
       << ", \"file\": " << rt::jsonQuoted(options.modelPath)
       << ", \"backend\": " << rt::jsonQuoted(session->backendName())
       << ", \"threads\": " << threads << ", \"batch\": " << result.batch
       << ", \"train\": " << (benchmark.train ? "true" : "false")
       << llvm::format(", \"load_s\": %.4f, \"compile_s\": %.4f", loadSeconds,
                       result.compileSeconds)
       << ", \"warmup\": " << benchmark.warmup << ", \"runs\": "
       << result.stepSeconds.size()
       // Microsecond steps need nanosecond digits for samples_per_s to be
       // checkable against them.
       << llvm::format(", \"step_ms_median\": %.6f, \"step_ms_min\": %.6f, "
                       "\"step_ms_max\": %.6f, \"samples_per_s\": %.1f",
                       medianMs, result.stepSeconds.front() * 1e3,
                       result.stepSeconds.back() * 1e3, result.samplesPerSecond)
       << ", \"arena_bytes\": " << result.graph->arenaBytes()
       << llvm::format(", \"peak_rss_mib\": %.1f", peakRssMiB)
       << ", \"loss\": ";
    if (result.loss && std::isfinite(*result.loss))
      os << llvm::format("%.6g", *result.loss);
    else
      os << "null";
    os << "}\n";
    // stdout stays one JSON line; the profile goes to stderr.
    return profiler
               ? reportProfile(options.profile, *profiler, result.graph->plan(),
                               result.graph->executable(), threads,
                               "the timed runs", program.modelName,
                               llvm::errs())
               : Success;
  }
  os << program.modelName << ": "
     << (benchmark.train ? "training step" : "forward") << ", batch "
     << result.batch << ", backend " << session->backendName() << ", "
     << threads << (threads == 1 ? " thread\n" : " threads\n");
  os << llvm::format("  compile  %.3f s (load %.3f s)\n", result.compileSeconds,
                     loadSeconds);
  os << llvm::format("  step     %.3f ms median, min %.3f, max %.3f (%zu runs "
                     "after %lld warm-up)\n",
                     medianMs, result.stepSeconds.front() * 1e3,
                     result.stepSeconds.back() * 1e3, result.stepSeconds.size(),
                     static_cast<long long>(benchmark.warmup));
  os << llvm::format("  speed    %.1f samples/s\n", result.samplesPerSecond);
  if (result.loss)
    os << llvm::format("  loss     %.6g (after %lld steps)\n", *result.loss,
                       static_cast<long long>(result.runs));
  return profiler
             ? reportProfile(options.profile, *profiler, result.graph->plan(),
                             result.graph->executable(), threads,
                             "the timed runs", program.modelName, os)
             : Success;
}

} // namespace nnc::cli
