//===- KernelProfiler.cpp - Where a graph's time goes ---------------------===//

#include "runtime/KernelProfiler.h"

#include "runtime/Counted.h"
#include "runtime/FileIO.h"
#include "runtime/FlatJson.h"

#include <oneapi/tbb/enumerable_thread_specific.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

namespace nnc::rt {

namespace {

int64_t steadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// "path/to/model.nn:12:9" as "model.nn:12", and "...:15:9 (block_3)" as
/// "model.nn:15 (block_3)": what a reader looks up.
std::string shortLocation(const std::string &location) {
  std::string instance;
  std::string path = location;
  if (size_t open = path.find(" ("); open != std::string::npos) {
    instance = path.substr(open);
    path.erase(open);
  }
  std::string text = path.substr(path.find_last_of('/') + 1);
  size_t lastColon = text.rfind(':');
  size_t firstColon = text.find(':');
  if (lastColon != std::string::npos && lastColon != firstColon)
    text.erase(lastColon);
  return text + instance;
}

/// The bytes a kernel reads and writes once: its buffers' sizes.
uint64_t kernelBytes(const ExecutionPlan &plan, const PlanKernel &kernel) {
  uint64_t bytes = 0;
  for (int64_t id : kernel.buffers)
    bytes += plan.values[static_cast<size_t>(id)].bytes;
  return bytes;
}

} // namespace

struct KernelProfiler::PerThread {
  tbb::enumerable_thread_specific<std::vector<KernelSlice>> lists;
};

KernelProfiler::KernelProfiler(size_t traceSlices)
    : perThread(std::make_unique<PerThread>()), origin(steadyNs()),
      traceLimit(traceSlices) {}

KernelProfiler::~KernelProfiler() = default;

int64_t KernelProfiler::now() const { return steadyNs() - origin; }

void KernelProfiler::record(const KernelSlice &slice) {
  perThread->lists.local().push_back(slice);
}

void KernelProfiler::recordStep(const ProfiledStep &step) {
  stepList.push_back(step);
  if (!attachedPlan)
    return;
  std::vector<KernelSlice> slices = pendingSlices();
  addSteps(slices, stepList, *attachedPlan, summed);
  if (traceLimit > 0 && tracedSlices.size() + slices.size() <= traceLimit) {
    tracedSlices.insert(tracedSlices.end(), slices.begin(), slices.end());
    tracedSteps.push_back(step);
  } else if (traceLimit > 0) {
    ++untracedSteps;
  }
  for (std::vector<KernelSlice> &list : perThread->lists)
    list.clear();
  stepList.clear();
}

void KernelProfiler::attach(const ExecutionPlan &plan) { attachedPlan = &plan; }

std::vector<KernelSlice> KernelProfiler::pendingSlices() const {
  std::vector<KernelSlice> all;
  for (const std::vector<KernelSlice> &list : perThread->lists)
    all.insert(all.end(), list.begin(), list.end());
  std::sort(all.begin(), all.end(),
            [](const KernelSlice &a, const KernelSlice &b) {
              return a.startNs < b.startNs;
            });
  return all;
}

std::vector<KernelSlice> KernelProfiler::slices() const {
  std::vector<KernelSlice> all = tracedSlices;
  std::vector<KernelSlice> pending = pendingSlices();
  all.insert(all.end(), pending.begin(), pending.end());
  return all;
}

std::vector<ProfiledStep> KernelProfiler::steps() const {
  std::vector<ProfiledStep> all = tracedSteps;
  all.insert(all.end(), stepList.begin(), stepList.end());
  return all;
}

void KernelProfiler::clear() {
  for (std::vector<KernelSlice> &list : perThread->lists)
    list.clear();
  stepList.clear();
  summed = ProfileTotals();
  tracedSlices.clear();
  tracedSteps.clear();
  untracedSteps = 0;
}

namespace {

/// Each thread's slices by start time (a thread runs one at a time).
using SlicesByThread = std::vector<std::vector<const KernelSlice *>>;

/// The time thread `thread` spent in its own slices within [from, to).
int64_t busyWithin(const SlicesByThread &byThread, int thread, int64_t from,
                   int64_t to) {
  if (thread < 0 || static_cast<size_t>(thread) >= byThread.size())
    return 0;
  const std::vector<const KernelSlice *> &own =
      byThread[static_cast<size_t>(thread)];
  // The first slice that ends after `from`: ends grow with starts.
  auto it = std::partition_point(
      own.begin(), own.end(),
      [&](const KernelSlice *slice) { return slice->endNs <= from; });
  int64_t busy = 0;
  for (; it != own.end() && (*it)->startNs < to; ++it)
    busy += std::min(to, (*it)->endNs) - std::max(from, (*it)->startNs);
  return busy;
}

/// The thread time of `slice`: its duration on its own thread and, for a
/// call that spreads over the arena's threads (threads > 1), on each other
/// thread the part of it that thread spent in no slice of its own. A
/// thread busy with another kernel meanwhile was not helping this one (in
/// a transformer's step, the other thread often runs an independent kernel
/// for all of a column-split product's call).
int64_t threadTimeOf(const KernelSlice &slice, const SlicesByThread &byThread) {
  int64_t duration = slice.endNs - slice.startNs;
  if (slice.threads <= 1)
    return duration;
  int64_t time = duration;
  for (int other = 0; other < slice.threads; ++other)
    if (other != slice.thread)
      time +=
          duration - busyWithin(byThread, other, slice.startNs, slice.endNs);
  return time;
}

} // namespace

void addSteps(const std::vector<KernelSlice> &slices,
              const std::vector<ProfiledStep> &steps, const ExecutionPlan &plan,
              ProfileTotals &totals) {
  size_t numKernels = plan.kernels.size();
  if (totals.calls.size() < numKernels) {
    totals.calls.resize(numKernels, 0);
    totals.chunks.resize(numKernels, 0);
    totals.spanUs.resize(numKernels, 0);
    totals.threadUs.resize(numKernels, 0);
  }
  SlicesByThread byThread;
  for (const KernelSlice &slice : slices)
    if (slice.thread >= 0) {
      if (static_cast<size_t>(slice.thread) >= byThread.size())
        byThread.resize(static_cast<size_t>(slice.thread) + 1);
      byThread[static_cast<size_t>(slice.thread)].push_back(&slice);
    }

  // Per step and kernel: thread time and span.
  struct Run {
    int64_t busyNs = 0, first = -1, last = -1;
  };
  std::vector<std::vector<Run>> runs(steps.size(),
                                     std::vector<Run>(numKernels));
  // Per step: wall time some kernel ran on some thread (the slices come in
  // start order, so their union grows from the left).
  std::vector<int64_t> coveredNs(steps.size(), 0), coveredEnd(steps.size(), 0);
  size_t step = 0;
  for (const KernelSlice &slice : slices) {
    while (step < steps.size() && slice.startNs >= steps[step].endNs)
      ++step;
    if (step == steps.size() || slice.startNs < steps[step].startNs ||
        slice.kernel < 0 || static_cast<size_t>(slice.kernel) >= numKernels)
      continue;
    int64_t from = std::max(slice.startNs, coveredEnd[step]);
    if (slice.endNs > from) {
      coveredNs[step] += slice.endNs - from;
      coveredEnd[step] = slice.endNs;
    }
    Run &run = runs[step][static_cast<size_t>(slice.kernel)];
    run.busyNs += threadTimeOf(slice, byThread);
    run.first =
        run.first < 0 ? slice.startNs : std::min(run.first, slice.startNs);
    run.last = std::max(run.last, slice.endNs);
    ++totals.chunks[static_cast<size_t>(slice.kernel)];
  }

  for (size_t s = 0; s < steps.size(); ++s) {
    ++totals.steps;
    totals.stepUs += (steps[s].endNs - steps[s].startNs) * 1e-3;
    totals.overheadUs +=
        (steps[s].endNs - steps[s].startNs - coveredNs[s]) * 1e-3;
    // The longest chain of spans through the dependencies (kernels are in
    // dependency order).
    std::vector<double> finish(numKernels, 0);
    double longest = 0;
    for (size_t k = 0; k < numKernels; ++k) {
      const Run &run = runs[s][k];
      double span = run.first < 0 ? 0 : (run.last - run.first) * 1e-3;
      double start = 0;
      for (int64_t dep : plan.kernels[k].dependencies)
        start = std::max(start, finish[static_cast<size_t>(dep)]);
      finish[k] = start + span;
      longest = std::max(longest, finish[k]);
      if (run.first >= 0) {
        ++totals.calls[k];
        totals.spanUs[k] += span;
        totals.threadUs[k] += run.busyNs * 1e-3;
        totals.busyUs += run.busyNs * 1e-3;
      }
    }
    totals.criticalPathUs += longest;
  }
}

GraphProfile
summarizeProfile(const KernelProfiler &profiler, const ExecutionPlan &plan,
                 int threads,
                 const std::vector<std::string> &backendSummaries) {
  ProfileTotals totals = profiler.totals();
  addSteps(profiler.pendingSlices(), profiler.pendingSteps(), plan, totals);
  GraphProfile profile;
  profile.threads = threads;
  profile.steps = totals.steps;
  double steps = std::max<double>(1, static_cast<double>(totals.steps));
  profile.stepUs = totals.stepUs / steps;
  profile.busyUs = totals.busyUs / steps;
  profile.criticalPathUs = totals.criticalPathUs / steps;
  profile.overheadUs = totals.overheadUs / steps;
  if (profile.stepUs > 0 && threads > 0)
    profile.idlePercent = std::max(
        0.0, 100.0 * (1.0 - profile.busyUs / (profile.stepUs * threads)));

  double allBusyMs = totals.busyUs * 1e-3;
  size_t numKernels = std::min(plan.kernels.size(), totals.calls.size());
  for (size_t k = 0; k < numKernels; ++k) {
    int64_t calls = totals.calls[k];
    if (calls == 0)
      continue;
    const PlanKernel &kernel = plan.kernels[k];
    KernelProfileRow row;
    row.kernel = static_cast<int64_t>(k);
    row.ops = kernel.opName;
    row.location = shortLocation(kernel.location);
    if (k < backendSummaries.size())
      row.backendSummary = backendSummaries[k];
    row.calls = calls;
    row.chunks = totals.chunks[k];
    row.totalMs = totals.threadUs[k] * 1e-3;
    row.meanUs = totals.threadUs[k] / static_cast<double>(calls);
    row.meanSpanUs = totals.spanUs[k] / static_cast<double>(calls);
    row.sharePercent = allBusyMs > 0 ? 100.0 * row.totalMs / allBusyMs : 0;
    row.flops = kernel.flops;
    row.bytes = kernelBytes(plan, kernel);
    row.gflops = row.meanSpanUs > 0 ? row.flops / (row.meanSpanUs * 1e3) : 0;
    profile.rows.push_back(std::move(row));
  }
  std::sort(profile.rows.begin(), profile.rows.end(),
            [](const KernelProfileRow &a, const KernelProfileRow &b) {
              return a.totalMs > b.totalMs;
            });
  return profile;
}

std::string formatProfile(const GraphProfile &profile) {
  double peakGflops = profile.peakGflops;
  // The backend's column follows the ops, which are padded to the longest
  // so that it lines up; without it, the ops end the line unpadded.
  bool anySummary = false;
  int opsWidth = 3;
  // The source column fits the longest ("model.nn:15 (block_16)"), within
  // reason.
  int sourceWidth = 22;
  for (const KernelProfileRow &row : profile.rows) {
    anySummary |= !row.backendSummary.empty();
    opsWidth = std::max(opsWidth, static_cast<int>(row.ops.size()));
    sourceWidth = std::clamp(static_cast<int>(row.location.size()),
                             sourceWidth, 200);
  }
  if (!anySummary)
    opsWidth = 0;
  std::string out;
  char line[1024];
  std::snprintf(line, sizeof line,
                "%-6s %6s %10s %10s %6s %9s %6s %10s  %-*s %-*s%s\n", "kernel",
                "calls", "total ms", "mean us", "%", "GFLOP/s",
                peakGflops > 0 ? "%peak" : "", "bytes", sourceWidth, "source",
                opsWidth, "ops", anySummary ? "  backend" : "");
  out += line;
  for (const KernelProfileRow &row : profile.rows) {
    std::string peak;
    if (peakGflops > 0 && row.flops > 0) {
      char text[16];
      std::snprintf(text, sizeof text, "%.0f", 100.0 * row.gflops / peakGflops);
      peak = text;
    }
    std::snprintf(line, sizeof line,
                  "%-6lld %6lld %10.3f %10.2f %6.1f %9.2f %6s %10llu  %-*s ",
                  static_cast<long long>(row.kernel),
                  static_cast<long long>(row.calls), row.totalMs, row.meanUs,
                  row.sharePercent, row.gflops, peak.c_str(),
                  static_cast<unsigned long long>(row.bytes), sourceWidth,
                  row.location.empty() ? "-" : row.location.c_str());
    out += line;
    // The ops and the backend's words may be any length.
    out += row.ops;
    if (anySummary) {
      out.append(static_cast<size_t>(opsWidth) - row.ops.size() + 2, ' ');
      out += row.backendSummary;
    }
    out += "\n";
  }
  std::snprintf(
      line, sizeof line,
      "%s on %s, means per step: step %.1f us, "
      "kernels %.1f thread-us, critical path %.1f us, executor overhead "
      "%.1f us, idle threads %.0f%%\n",
      counted(profile.steps, "step").c_str(),
      counted(profile.threads, "thread").c_str(), profile.stepUs,
      profile.busyUs, profile.criticalPathUs, profile.overheadUs,
      profile.idlePercent);
  out += line;
  if (peakGflops > 0) {
    std::snprintf(line, sizeof line,
                  "%%peak: of the fp32 FMA peak measured now, %.1f GFLOP/s "
                  "on %s\n",
                  peakGflops, counted(profile.threads, "thread").c_str());
    out += line;
  }
  return out;
}

Error writeChromeTrace(const std::string &path, const KernelProfiler &profiler,
                       const ExecutionPlan &plan,
                       const std::string &processName,
                       const std::vector<std::string> &backendSummaries) {
  // Trace-event timestamps are microseconds.
  auto us = [](int64_t ns) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", ns * 1e-3);
    return std::string(text);
  };
  std::string json = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  json += "{\"ph\":\"M\",\"pid\":1,\"name\":\"process_name\",\"args\":{"
          "\"name\":" +
          jsonQuoted(processName) + "}}";
  std::map<int, bool> threads;
  std::vector<KernelSlice> slices = profiler.slices();
  for (const KernelSlice &slice : slices)
    threads[slice.thread] = true;
  for (const auto &[thread, unused] : threads)
    json += ",\n{\"ph\":\"M\",\"pid\":1,\"tid\":" + std::to_string(thread + 1) +
            ",\"name\":\"thread_name\",\"args\":{\"name\":\"worker " +
            std::to_string(thread) + "\"}}";
  json += ",\n{\"ph\":\"M\",\"pid\":1,\"tid\":0,\"name\":\"thread_name\","
          "\"args\":{\"name\":\"steps\"}}";
  std::vector<ProfiledStep> steps = profiler.steps();
  for (size_t s = 0; s < steps.size(); ++s) {
    const ProfiledStep &step = steps[s];
    json += ",\n{\"ph\":\"X\",\"pid\":1,\"tid\":0,\"name\":\"step " +
            std::to_string(s) + "\",\"ts\":" + us(step.startNs) +
            ",\"dur\":" + us(step.endNs - step.startNs) + "}";
  }
  for (const KernelSlice &slice : slices) {
    if (slice.kernel < 0 ||
        static_cast<size_t>(slice.kernel) >= plan.kernels.size())
      continue;
    const PlanKernel &kernel = plan.kernels[static_cast<size_t>(slice.kernel)];
    json += ",\n{\"ph\":\"X\",\"pid\":1,\"tid\":" +
            std::to_string(slice.thread + 1) +
            ",\"name\":" + jsonQuoted(kernel.opName) +
            ",\"cat\":\"kernel\",\"ts\":" + us(slice.startNs) +
            ",\"dur\":" + us(slice.endNs - slice.startNs) +
            ",\"args\":{\"kernel\":" + std::to_string(slice.kernel) +
            ",\"source\":" + jsonQuoted(kernel.location) +
            (static_cast<size_t>(slice.kernel) < backendSummaries.size()
                 ? ",\"backend\":" +
                       jsonQuoted(
                           backendSummaries[static_cast<size_t>(slice.kernel)])
                 : std::string()) +
            ",\"iterations\":\"" + std::to_string(slice.begin) + "-" +
            std::to_string(slice.end) + "\"" +
            (slice.threads > 1 ? ",\"threads\":" + std::to_string(slice.threads)
                               : std::string()) +
            "}}";
  }
  json += "\n]}\n";
  return writeFileAtomically(path, json);
}

} // namespace nnc::rt
