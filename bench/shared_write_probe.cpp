// shared_write_probe.cpp - what one core pays to update memory that another
// core has just read.
//
//   g++ -O3 -mclflushopt -pthread -o shared_write_probe \
//       bench/shared_write_probe.cpp
//   ./shared_write_probe [MIB]       (default 1; x86-64 only)
//
// Two threads, pinned to the first two CPUs this process may use, play the
// parameter traffic of a training step on two threads: both read all of a
// weight (a forward product split by rows reads all of its weight on every
// thread), then the first updates it as a momentum step does (v = 0.9 v +
// g, w -= v; v is read and written by that thread alone). Each way of
// updating runs 2000 such steps; the line it prints gives the medians of
// the update and of the first thread's next read, in microseconds:
//
//   shared      both read w; the update stores w plainly
//   shared-nt   both read w; the update stores w with non-temporal stores
//   shared-cl   both read w, then the second thread flushes w (clflush)
//               before the update, which stores plainly
//   self-cl     both read w; the updating thread flushes w itself
//               (clflushopt) and then stores plainly
//   alone       only the first thread reads w; plain stores
//   alone-nt    only the first thread reads w; non-temporal stores
//
// Not a test: it checks nothing. docs/performance.md ("Updating weights
// another core has read") has what it measured and what follows from it.

#include <emmintrin.h>
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <xmmintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

constexpr int kSteps = 2000;
constexpr size_t kFloatsPerLine = 64 / sizeof(float);

enum class Way {
  Shared,
  SharedNonTemporal,
  SharedFlushed,
  SelfFlushed,
  Alone,
  AloneNonTemporal
};

const char *name(Way way) {
  switch (way) {
  case Way::Shared:
    return "shared";
  case Way::SharedNonTemporal:
    return "shared-nt";
  case Way::SharedFlushed:
    return "shared-cl";
  case Way::SelfFlushed:
    return "self-cl";
  case Way::Alone:
    return "alone";
  case Way::AloneNonTemporal:
    return "alone-nt";
  }
  return "";
}

bool pinTo(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double medianMicroseconds(std::vector<double> seconds) {
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2] * 1e6;
}

float readAll(const float *w, size_t floats) {
  float sum = 0.0f;
  for (size_t i = 0; i < floats; i += kFloatsPerLine)
    sum += w[i];
  return sum;
}

void update(float *w, float *v, size_t floats, bool nonTemporal) {
  const __m128 momentum = _mm_set1_ps(0.9f), gradient = _mm_set1_ps(1e-6f);
  for (size_t i = 0; i < floats; i += 4) {
    __m128 velocity = _mm_add_ps(_mm_mul_ps(momentum, _mm_load_ps(v + i)),
                                 gradient);
    _mm_store_ps(v + i, velocity);
    __m128 weight = _mm_sub_ps(_mm_load_ps(w + i), velocity);
    if (nonTemporal)
      _mm_stream_ps(w + i, weight);
    else
      _mm_store_ps(w + i, weight);
  }
  _mm_sfence();
}

/// Spins until `phase` reaches `wanted`.
void waitFor(const std::atomic<int> &phase, int wanted) {
  while (phase.load(std::memory_order_acquire) < wanted)
    _mm_pause();
}

void run(Way way, int cpuA, int cpuB, size_t floats) {
  float *w = static_cast<float *>(std::aligned_alloc(64, floats * 4));
  float *v = static_cast<float *>(std::aligned_alloc(64, floats * 4));
  std::fill(w, w + floats, 1.0f);
  std::fill(v, v + floats, 0.0f);
  const bool shared = way == Way::Shared || way == Way::SharedNonTemporal ||
                      way == Way::SharedFlushed || way == Way::SelfFlushed;
  const bool nonTemporal =
      way == Way::SharedNonTemporal || way == Way::AloneNonTemporal;
  // Step s: both read (phase 2s -> 2s+1 when the second thread is done),
  // then the first updates (-> 2s+2).
  std::atomic<int> phase{0};
  std::atomic<float> sink{0.0f};
  std::vector<double> flushes;
  std::thread second([&] {
    pinTo(cpuB);
    for (int step = 0; step < kSteps; ++step) {
      waitFor(phase, 2 * step);
      if (shared)
        sink = sink + readAll(w, floats);
      if (way == Way::SharedFlushed) {
        double start = now();
        for (size_t i = 0; i < floats; i += kFloatsPerLine)
          _mm_clflush(w + i);
        flushes.push_back(now() - start);
      }
      phase.fetch_add(1, std::memory_order_acq_rel);
      waitFor(phase, 2 * step + 2);
    }
  });
  pinTo(cpuA);
  std::vector<double> reads, updates;
  for (int step = 0; step < kSteps; ++step) {
    double start = now();
    sink = sink + readAll(w, floats);
    reads.push_back(now() - start);
    waitFor(phase, 2 * step + 1);
    start = now();
    if (way == Way::SelfFlushed) {
      for (size_t i = 0; i < floats; i += kFloatsPerLine)
        _mm_clflushopt(w + i);
      _mm_sfence();
    }
    update(w, v, floats, nonTemporal);
    updates.push_back(now() - start);
    phase.fetch_add(1, std::memory_order_acq_rel);
  }
  second.join();
  std::printf("%-10s update %7.1f us   next read %6.1f us", name(way),
              medianMicroseconds(updates), medianMicroseconds(reads));
  if (!flushes.empty())
    std::printf("   flush %6.1f us", medianMicroseconds(flushes));
  std::printf("\n");
  std::free(w);
  std::free(v);
}

} // namespace

int main(int argc, char **argv) {
  double mib = argc > 1 ? std::atof(argv[1]) : 1.0;
  if (argc > 2 || !(mib > 0.0 && mib <= 1024.0)) {
    std::fprintf(stderr, "usage: shared_write_probe [MIB]\n");
    return 2;
  }
  size_t floats = static_cast<size_t>(mib * (1 << 20) / sizeof(float)) /
                  kFloatsPerLine * kFloatsPerLine;
  int cpus[2] = {-1, -1};
  cpu_set_t usable;
  if (sched_getaffinity(0, sizeof(usable), &usable) == 0)
    for (int cpu = 0, found = 0; cpu < CPU_SETSIZE && found < 2; ++cpu)
      if (CPU_ISSET(cpu, &usable))
        cpus[found++] = cpu;
  if (cpus[1] < 0) {
    std::fprintf(stderr, "shared_write_probe: needs two usable CPUs\n");
    return 1;
  }
  std::printf("%.2f MiB of w, CPUs %d and %d\n", mib, cpus[0], cpus[1]);
  for (Way way : {Way::Shared, Way::SharedNonTemporal, Way::SharedFlushed,
                  Way::SelfFlushed, Way::Alone, Way::AloneNonTemporal})
    run(way, cpus[0], cpus[1], floats);
  return 0;
}
