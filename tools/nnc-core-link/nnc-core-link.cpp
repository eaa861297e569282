//===- nnc-core-link.cpp - Cache-line transfer between two cores ----------===//
//
//   nnc-core-link [CPU_A CPU_B]
//
// Prints {"cpus", "bytes", "read_gbps", "write_gbps"}: with one thread
// pinned to each CPU (unless named, the first this process may use and
// the next on another core, where sysfs tells the cores apart),
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
#include <fstream>
#include <string>
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

/// The CPU number `text` names, or -1.
int parseCpu(const char *text) {
  char *end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < 0 || value >= CPU_SETSIZE)
    return -1;
  return static_cast<int>(value);
}

/// Whether `a` and `b` are hardware threads of one core, as sysfs tells
/// (false where it does not): two such CPUs share their L1 and L2, and
/// nothing would cross between cores.
bool sameCore(int a, int b) {
  auto read = [](int cpu, const char *field) {
    std::string path = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) +
                       "/topology/" + field;
    std::ifstream in(path);
    std::string value;
    std::getline(in, value);
    return value;
  };
  std::string coreA = read(a, "core_id"), coreB = read(b, "core_id");
  return !coreA.empty() && coreA == coreB &&
         read(a, "physical_package_id") == read(b, "physical_package_id");
}

} // namespace

int main(int argc, char **argv) {
  int cpuA = -1, cpuB = -1;
  if (argc == 3) {
    cpuA = parseCpu(argv[1]);
    cpuB = parseCpu(argv[2]);
    if (cpuA < 0 || cpuB < 0) {
      std::fprintf(stderr, "usage: nnc-core-link [CPU_A CPU_B]\n");
      return 2;
    }
  } else if (argc != 1) {
    std::fprintf(stderr, "usage: nnc-core-link [CPU_A CPU_B]\n");
    return 2;
  } else {
    // The first usable CPU, and the next one on another core (else any).
    cpu_set_t usable;
    if (sched_getaffinity(0, sizeof(usable), &usable) == 0)
      for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        if (!CPU_ISSET(cpu, &usable))
          continue;
        if (cpuA < 0)
          cpuA = cpu;
        else if (cpuB < 0 || (sameCore(cpuA, cpuB) && !sameCore(cpuA, cpu)))
          cpuB = cpu;
      }
  }
  if (cpuA < 0 || cpuB < 0 || cpuA == cpuB) {
    std::fprintf(stderr, "nnc-core-link: needs two distinct usable CPUs\n");
    return 1;
  }
  // Both threads pinned before the first trip: unpinned, they could share
  // a CPU and every hand-over would wait for the scheduler.
  if (!pinTo(cpuA)) {
    std::fprintf(stderr, "nnc-core-link: cannot run on CPU %d\n", cpuA);
    return 1;
  }

  // One float per cache line is touched: the lines move, not the floats.
  std::vector<float> buffer(kBytes / sizeof(float), 1.0f);
  std::atomic<int> turn{0};         // 0: A writes, 1: B reads
  std::atomic<int> readerPinned{0}; // 1 pinned, -1 could not be
  std::vector<double> readSeconds, writeSeconds;
  readSeconds.reserve(kTrips);
  writeSeconds.reserve(kTrips);
  volatile float sink = 0.0f; // keeps the reads

  std::thread reader([&] {
    readerPinned = pinTo(cpuB) ? 1 : -1;
    if (readerPinned < 0)
      return;
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
  while (readerPinned.load() == 0)
    ;
  if (readerPinned < 0) {
    reader.join();
    std::fprintf(stderr, "nnc-core-link: cannot run on CPU %d\n", cpuB);
    return 1;
  }
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
  // The first write finds lines no other core holds: it is left out.
  writeSeconds.erase(writeSeconds.begin());
  std::printf("{\"cpus\": [%d, %d], \"bytes\": %zu, \"read_gbps\": %.1f, "
              "\"write_gbps\": %.1f}\n",
              cpuA, cpuB, kBytes, kBytes / median(readSeconds) / 1e9,
              kBytes / median(writeSeconds) / 1e9);
  return 0;
}
