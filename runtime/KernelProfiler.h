//===- KernelProfiler.h - Where a graph's time goes -------------*- C++ -*-===//
//
// An Executor given a KernelProfiler (Executor::setProfiler) records, for
// every chunk of every kernel it calls, which worker thread ran it and
// when, and the start and end of every run (a step). That is the same for
// every backend, since the executor, not the plugin, calls the kernels;
// without a profiler the executor records nothing. From the records:
// a table of kernels by time (`--profile`), with FLOP/s, bytes moved, the
// fused ops and the model's source lines, a summary (executor overhead,
// critical path, idle threads), and a Chrome trace-event file (`--trace`)
// that Perfetto and chrome://tracing load.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_KERNELPROFILER_H
#define NNC_RUNTIME_KERNELPROFILER_H

#include "runtime/ExecutionPlan.h"
#include "runtime/Status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nnc::rt {

/// One chunk of one kernel, as one thread ran it.
struct KernelSlice {
  int64_t kernel = 0;
  /// The worker's index in its task arena (0 .. threads - 1).
  int thread = 0;
  /// The iterations [begin, end) of the kernel's range.
  int64_t begin = 0, end = 0;
  /// Nanoseconds since the profiler was made.
  int64_t startNs = 0, endNs = 0;
  /// The threads the call may keep busy: 1, or the arena's for a kernel
  /// that spreads its work over them itself
  /// (NNC_KERNEL_USES_THE_ARENAS_THREADS), whose helpers the executor does
  /// not see. Such a call counts on each other thread for the part of it
  /// that thread ran no slice of its own.
  int threads = 1;
};

/// One run of the whole graph.
struct ProfiledStep {
  int64_t startNs = 0, endNs = 0;
};

/// Sums over the steps summarised so far (summarizeProfile's figures
/// before they become means), per step and per kernel.
struct ProfileTotals {
  int64_t steps = 0;
  /// Over all steps, in microseconds: wall time, thread time in kernels,
  /// critical path, and wall time in which no kernel ran.
  double stepUs = 0, busyUs = 0, criticalPathUs = 0, overheadUs = 0;
  /// Per kernel: the steps that ran it, its chunks, and its spans and
  /// thread time summed over those steps, in microseconds.
  std::vector<int64_t> calls, chunks;
  std::vector<double> spanUs, threadUs;
};

/// Collects slices from any number of threads at once. Recording takes a
/// clock read and an append to the calling thread's own list.
///
/// Once attached to the plan an executor runs (Executor::setProfiler does
/// it), each step is summarised into running totals as it ends and its
/// slices are dropped, so a profile of a run of any length takes the same
/// memory; only a trace holds slices, and those of at most a set number.
class KernelProfiler {
public:
  /// The slices a trace holds unless told otherwise: about 25 MB here, and
  /// about 100 MB of JSON.
  static constexpr size_t kTraceSliceLimit = size_t(1) << 19;

  /// `traceSlices`: keep the slices of the first steps for a trace until
  /// that many are held; the steps after are summarised but left out of it.
  explicit KernelProfiler(size_t traceSlices = 0);
  ~KernelProfiler();
  KernelProfiler(const KernelProfiler &) = delete;
  KernelProfiler &operator=(const KernelProfiler &) = delete;

  /// Nanoseconds since the profiler was made (a steady clock).
  int64_t now() const;

  void record(const KernelSlice &slice);
  /// Ends a step; when attached, summarises it (the caller's thread, once
  /// every slice of the step was recorded).
  void recordStep(const ProfiledStep &step);

  /// Summarise each step as it ends, by `plan`'s kernels; `plan` must
  /// outlive the profiler's use.
  void attach(const ExecutionPlan &plan);

  /// What a trace shows, ordered by start time: the steps kept for it,
  /// then those not summarised yet.
  std::vector<KernelSlice> slices() const;
  std::vector<ProfiledStep> steps() const;
  /// Steps that ended after the trace was full.
  int64_t stepsLeftOutOfTrace() const { return untracedSteps; }

  /// The totals of the steps summarised so far, and what is recorded but
  /// not summarised yet (everything, when not attached).
  const ProfileTotals &totals() const { return summed; }
  std::vector<KernelSlice> pendingSlices() const;
  const std::vector<ProfiledStep> &pendingSteps() const { return stepList; }

  /// Forgets what was recorded (warm-up runs).
  void clear();

private:
  struct PerThread;
  std::unique_ptr<PerThread> perThread;
  std::vector<ProfiledStep> stepList;
  int64_t origin = 0;
  const ExecutionPlan *attachedPlan = nullptr;
  ProfileTotals summed;
  size_t traceLimit = 0;
  std::vector<KernelSlice> tracedSlices;
  std::vector<ProfiledStep> tracedSteps;
  int64_t untracedSteps = 0;
};

/// One kernel's line of the profile.
struct KernelProfileRow {
  int64_t kernel = 0;
  /// The op or the fused ops ("nn.fusion[nn.matmul,nn.add]").
  std::string ops;
  /// Where they came from in the model ("mlp.nn:12"); may be empty.
  std::string location;
  /// What the backend says of how it runs the kernel
  /// (NNC_EXTENSION_PROFILE); may be empty.
  std::string backendSummary;
  /// Runs of the kernel (once per step) and chunks over all runs.
  int64_t calls = 0, chunks = 0;
  /// Thread time over all runs: the chunks' durations summed.
  double totalMs = 0;
  /// Per run: the thread time, and the span from its first chunk's start
  /// to its last chunk's end.
  double meanUs = 0, meanSpanUs = 0;
  /// Share of the steps' summed thread time, in percent.
  double sharePercent = 0;
  /// From the plan: floating-point operations and bytes read and written
  /// per run; GFLOP/s over the span.
  uint64_t flops = 0, bytes = 0;
  double gflops = 0;
};

/// The whole profile.
struct GraphProfile {
  std::vector<KernelProfileRow> rows; ///< By total time, largest first.
  int64_t steps = 0;
  int threads = 0;
  /// Means per step (so the rows' totals add up to busyUs): the step's
  /// wall time, the longest chain of kernel spans through the plan's
  /// dependencies, and the kernels' thread time.
  double stepUs = 0, criticalPathUs = 0, busyUs = 0;
  /// Wall time in which no thread ran any kernel: scheduling and
  /// dependency hand-offs.
  double overheadUs = 0;
  /// Share of threads x wall time no kernel ran, in percent.
  double idlePercent = 0;
  /// The machine's fp32 FMA peak on `threads` threads in GFLOP/s, when the
  /// caller measured it (runtime/FmaPeak.h); 0 when not. The rows' FLOP/s
  /// are shown as a share of it.
  double peakGflops = 0;
};

/// Adds the steps `steps` (in time order), made of `slices` (ordered by
/// start time), of runs of `plan` to `totals`.
void addSteps(const std::vector<KernelSlice> &slices,
              const std::vector<ProfiledStep> &steps, const ExecutionPlan &plan,
              ProfileTotals &totals);

/// Summarises what `profiler` recorded of runs of `plan` on `threads`
/// threads. `backendSummaries`, one per kernel of the plan when given
/// (PluginExecutable::kernelSummaries), fill the rows' backendSummary.
GraphProfile
summarizeProfile(const KernelProfiler &profiler, const ExecutionPlan &plan,
                 int threads,
                 const std::vector<std::string> &backendSummaries = {});

/// The profile as a text table and a summary line; with a peak, each
/// kernel's share of it, and the peak on a line of its own.
std::string formatProfile(const GraphProfile &profile);

/// Writes a Chrome trace-event file (JSON object format): one track per
/// worker thread that ran a kernel, a complete event ("ph":"X") per kernel
/// chunk named after its ops, with its source line, iterations and kernel index
/// as args (and the backend's summary of it, when `backendSummaries` holds one
/// per kernel), and one per step on a track of its own. Written atomically.
Error writeChromeTrace(const std::string &path, const KernelProfiler &profiler,
                       const ExecutionPlan &plan,
                       const std::string &processName,
                       const std::vector<std::string> &backendSummaries = {});

} // namespace nnc::rt

#endif // NNC_RUNTIME_KERNELPROFILER_H
