//===- Benchmark.h - Timing a model's graph ---------------------*- C++ -*-===//
//
// Times a model's forward function, or its whole training step, on the
// session's backend: the compile, then `warmup` untimed runs and `repeat`
// timed ones on generated inputs (`nnc bench`). With `maxSeconds`, the
// warm-up and the timed runs each stop once they took that long (after at
// least one run), so that a slow backend finishes too.
//
// Generated inputs: floats uniform in [0, 1); integer labels of a softmax
// cross-entropy uniform in 0..classes-1 (the last extent of the logits);
// other integer inputs zero. Training steps swap their updated parameters
// and optimizer state back in, as `nnc train` does, so every timed run is a
// real step of a training run.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DRIVER_BENCHMARK_H
#define NNC_DRIVER_BENCHMARK_H

#include "driver/ModelSession.h"

#include "runtime/KernelProfiler.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nnc::driver {

struct BenchmarkOptions {
  /// Time the whole training step instead of the forward function.
  bool train = false;
  /// Unset: the model's train section's batch, else 32.
  std::optional<int64_t> batch;
  int64_t warmup = 5;
  int64_t repeat = 30;
  /// Stop warming up, and then repeating, once that took this long (0: no
  /// limit).
  double maxSeconds = 0;
  /// Set: profiles the timed runs (not the warm-up).
  rt::KernelProfiler *profiler = nullptr;
};

struct BenchmarkResult {
  /// Samples per run (1 for a model without a batch dimension).
  int64_t batch = 0;
  double compileSeconds = 0;
  /// One per timed run, sorted.
  std::vector<double> stepSeconds;
  /// The median of stepSeconds: the mean of the two middle ones for an
  /// even count.
  double medianSeconds = 0;
  double samplesPerSecond = 0;
  /// Runs made, the warm-up included.
  int64_t runs = 0;
  /// The loss of the last run, when the graph computes one.
  std::optional<double> loss;
  /// The graph timed: its plan and executable describe the profile.
  std::unique_ptr<train::CompiledGraph> graph;
};

/// Fails when `options` are out of range: a batch or repeat count below
/// 1, a negative warm-up, a --max-seconds that is negative or NaN. The
/// message names `nnc bench`'s flags.
rt::Error checkBenchmarkOptions(const BenchmarkOptions &options);

/// Compiles and times the graph `options` asks for in `session`.
rt::Expected<BenchmarkResult> runBenchmark(ModelSession &session,
                                           const BenchmarkOptions &options);

/// What a report of a benchmark names beside its result.
struct BenchmarkContext {
  std::string modelName, modelPath, backend;
  unsigned threads = 0;
  /// Reading and checking the model, before compiling.
  double loadSeconds = 0;
  double peakRssMiB = 0;
};

/// `nnc bench`'s report of `result`, measured with `options`: one JSON line
/// (BenchmarkReport.cpp lists its keys), or a few lines of text.
std::string formatBenchmark(const BenchmarkResult &result,
                            const BenchmarkOptions &options,
                            const BenchmarkContext &context, bool json);

} // namespace nnc::driver

#endif // NNC_DRIVER_BENCHMARK_H
