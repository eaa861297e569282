//===- BenchmarkReport.cpp - What nnc bench reports of a benchmark --------===//
//
// The JSON line has the keys model, file, backend, threads, batch, train,
// load_s, compile_s, warmup, runs, step_ms_median, step_ms_min,
// step_ms_max, samples_per_s, arena_bytes, peak_rss_mib and loss (null
// when the graph computes none); bench/run_bench.py reads it.
//
//===----------------------------------------------------------------------===//

#include "driver/Benchmark.h"

#include "runtime/FlatJson.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

namespace nnc::driver {

std::string formatBenchmark(const BenchmarkResult &result,
                            const BenchmarkOptions &options,
                            const BenchmarkContext &context, bool json) {
  std::string text;
  llvm::raw_string_ostream os(text);
  double medianMs = result.medianSeconds * 1e3;
  // The warm-up runs made: fewer than asked when --max-seconds ended it.
  long long warmup = static_cast<long long>(
      result.runs - static_cast<int64_t>(result.stepSeconds.size()));
  if (json) {
    os << "{\"model\": " << rt::jsonQuoted(context.modelName)
       << ", \"file\": " << rt::jsonQuoted(context.modelPath)
       << ", \"backend\": " << rt::jsonQuoted(context.backend)
       << ", \"threads\": " << context.threads
       << ", \"batch\": " << result.batch
       << ", \"train\": " << (options.train ? "true" : "false")
       << llvm::format(", \"load_s\": %.4f, \"compile_s\": %.4f",
                       context.loadSeconds, result.compileSeconds)
       << ", \"warmup\": " << warmup << ", \"runs\": "
       << result.stepSeconds.size()
       // Microsecond steps need nanosecond digits for samples_per_s to be
       // checkable against them.
       << llvm::format(", \"step_ms_median\": %.6f, \"step_ms_min\": %.6f, "
                       "\"step_ms_max\": %.6f, \"samples_per_s\": %.1f",
                       medianMs, result.stepSeconds.front() * 1e3,
                       result.stepSeconds.back() * 1e3, result.samplesPerSecond)
       << ", \"arena_bytes\": " << result.graph->arenaBytes()
       << llvm::format(", \"peak_rss_mib\": %.1f", context.peakRssMiB)
       << ", \"loss\": ";
    if (result.loss && std::isfinite(*result.loss))
      os << llvm::format("%.6g", *result.loss);
    else
      os << "null";
    os << "}\n";
    return os.str();
  }
  os << context.modelName << ": "
     << (options.train ? "training step" : "forward") << ", batch "
     << result.batch << ", backend " << context.backend << ", "
     << context.threads << (context.threads == 1 ? " thread\n" : " threads\n");
  os << llvm::format("  compile  %.3f s (load %.3f s)\n", result.compileSeconds,
                     context.loadSeconds);
  os << llvm::format("  step     %.3f ms median, min %.3f, max %.3f (%zu runs "
                     "after %lld warm-up)\n",
                     medianMs, result.stepSeconds.front() * 1e3,
                     result.stepSeconds.back() * 1e3, result.stepSeconds.size(),
                     warmup);
  os << llvm::format("  speed    %.1f samples/s\n", result.samplesPerSecond);
  if (result.loss)
    os << llvm::format("  loss     %.6g (after %lld steps)\n", *result.loss,
                       static_cast<long long>(result.runs));
  return os.str();
}

} // namespace nnc::driver
