//===- nnc-core-link.cpp - Cache-line transfer between two cores ----------===//
//
//   nnc-core-link [CPU_A CPU_B]
//
// Prints {"cpus", "bytes", "read_gbps", "write_gbps"}: with one thread
// pinned to each CPU (the first two this process may use unless named),
// the rate at which B reads 1 MiB that A has just written, and at which A
// then writes lines B has just read. A training step at two threads does
// both all the time: one core's update kernel writes weights the other's
// forward kernel reads next. On a virtual machine the rates depend on where
// the host placed the two virtual CPUs (one L3 or two) and can change
// within minutes, taking the 2-thread figures with them
// (docs/performance.md); the benchmark prints them so that a result says
// which case it ran in. Medians of 300 round trips. Exits 1 with a
// one-line message when fewer than two CPUs are usable, 2 on a usage
// error.
//
//===----------------------------------------------------------------------===//

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

constexpr size_t kBytes = 1 << 20;
constexpr size_t kFloatsPerLine = 64 / sizeof(float);
constexpr int kTrips = 300;

bool pinTo(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

} // namespace

int main(int argc, char **argv) {
  int cpuA = -1, cpuB = -1;
  if (argc == 3) {
    cpuA = std::atoi(argv[1]);
    cpuB = std::atoi(argv[2]);
  } else if (argc != 1) {
    std::fprintf(stderr, "usage: nnc-core-link [CPU_A CPU_B]\n");
    return 2;
  } else {
    cpu_set_t usable;
    if (sched_getaffinity(0, sizeof(usable), &usable) == 0)
      for (int cpu = 0; cpu < CPU_SETSIZE && cpuB < 0; ++cpu)
        if (CPU_ISSET(cpu, &usable))
          (cpuA < 0 ? cpuA : cpuB) = cpu;
  }
  if (cpuA < 0 || cpuB < 0 || cpuA == cpuB) {
    std::fprintf(stderr, "nnc-core-link: needs two distinct usable CPUs\n");
    return 1;
  }

  // One float per cache line is touched: the lines move, not the floats.
  std::vector<float> buffer(kBytes / sizeof(float), 1.0f);
  std::atomic<int> turn{0}; // 0: A writes, 1: B reads
  std::atomic<bool> pinned{true};
  std::vector<double> readSeconds, writeSeconds;
  readSeconds.reserve(kTrips);
  writeSeconds.reserve(kTrips);
  volatile float sink = 0.0f; // keeps the reads

  std::thread reader([&] {
    if (!pinTo(cpuB))
      pinned = false;
    for (int trip = 0; trip < kTrips; ++trip) {
      while (turn.load(std::memory_order_acquire) != 1)
        ;
      auto start = std::chrono::steady_clock::now();
      float sum = 0.0f;
      for (size_t i = 0; i < buffer.size(); i += kFloatsPerLine)
        sum += buffer[i];
      readSeconds.push_back(secondsSince(start));
      sink = sink + sum;
      turn.store(0, std::memory_order_release);
    }
  });
  if (!pinTo(cpuA))
    pinned = false;
  for (int trip = 0; trip < kTrips; ++trip) {
    while (turn.load(std::memory_order_acquire) != 0)
      ;
    auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < buffer.size(); i += kFloatsPerLine)
      buffer[i] += 1.0f;
    writeSeconds.push_back(secondsSince(start));
    turn.store(1, std::memory_order_release);
  }
  reader.join();
  if (!pinned.load()) {
    std::fprintf(stderr,
                 "nnc-core-link: cannot pin threads to CPUs %d and %d\n", cpuA,
                 cpuB);
    return 1;
  }
  // The first write finds lines no other core holds: it is left out.
  writeSeconds.erase(writeSeconds.begin());
  std::printf("{\"cpus\": [%d, %d], \"bytes\": %zu, \"read_gbps\": %.1f, "
              "\"write_gbps\": %.1f}\n",
              cpuA, cpuB, kBytes, kBytes / median(readSeconds) / 1e9,
              kBytes / median(writeSeconds) / 1e9);
  return 0;
}
