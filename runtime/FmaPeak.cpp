//===- FmaPeak.cpp - The machine's measured FMA peak ----------------------===//

#include "runtime/FmaPeak.h"

#include <immintrin.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace nnc::rt {

namespace {

// Read through volatile so the compiler cannot evaluate the chains: with
// literal constants it proved some starting values fixed points of the FMA
// and folded their chains away.
volatile float chainStart = 1.0f, chainScale = 0.9999999f, chainShift = 1e-7f;
// Keeps the accumulators' results alive.
volatile float sink;

constexpr int kChains = 12;
// Iterations between clock reads.
constexpr int kChunk = 4096;

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

// a = a * m + c converges to a fixed point, so the values stay normal and
// finite however long it runs. The chains start apart so that no two are
// the same expression the compiler could merge. A macro rather than a
// template: the intrinsics need the target attribute of the function they
// are expanded in, which lambdas and templates would not carry.
#define NNC_FMA_CHAINS(VEC, SET1, FMA, ADD)                                    \
  VEC m = SET1(chainScale), c = SET1(chainShift), step = SET1(0.1f);           \
  VEC a[kChains];                                                              \
  a[0] = SET1(chainStart);                                                     \
  for (int i = 1; i < kChains; ++i)                                            \
    a[i] = ADD(a[i - 1], step);                                                \
  long iterations = 0;                                                         \
  auto start = std::chrono::steady_clock::now();                               \
  do {                                                                         \
    for (int i = 0; i < kChunk; ++i)                                           \
      for (int chain = 0; chain < kChains; ++chain)                            \
        a[chain] = FMA(a[chain], m, c);                                        \
    iterations += kChunk;                                                      \
  } while (secondsSince(start) < seconds);                                     \
  elapsed = secondsSince(start);                                               \
  VEC sum = a[0];                                                              \
  for (int i = 1; i < kChains; ++i)                                            \
    sum = ADD(sum, a[i]);                                                      \
  double fmas = static_cast<double>(iterations) * kChains;

/// Each runs for about `seconds`, sets `elapsed` to the time it took and
/// returns the flops done (2 per lane per FMA).
__attribute__((target("avx512f"))) double flopsZmm(double seconds,
                                                   double &elapsed) {
  NNC_FMA_CHAINS(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps)
  sink = _mm512_reduce_add_ps(sum);
  return fmas * 16 * 2;
}

__attribute__((target("avx2,fma"))) double flopsYmm(double seconds,
                                                    double &elapsed) {
  NNC_FMA_CHAINS(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps)
  float lanes[8];
  _mm256_storeu_ps(lanes, sum);
  sink = lanes[0] + lanes[7];
  return fmas * 8 * 2;
}

#undef NNC_FMA_CHAINS

/// The index-th CPU this process may run on, or -1 if there are fewer.
int allowedCpu(unsigned index) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0)
    return -1;
  for (unsigned cpu = 0, seen = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set) && seen++ == index)
      return static_cast<int>(cpu);
  return -1;
}

} // namespace

bool supportsFmaIsa(FmaIsa isa) {
  __builtin_cpu_init();
  return isa == FmaIsa::Avx512
             ? __builtin_cpu_supports("avx512f")
             : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

std::optional<FmaIsa> widestFmaIsa() {
  for (FmaIsa isa : {FmaIsa::Avx512, FmaIsa::Avx2})
    if (supportsFmaIsa(isa))
      return isa;
  return std::nullopt;
}

std::string fmaIsaName(FmaIsa isa) {
  return isa == FmaIsa::Avx512 ? "avx512" : "avx2";
}

int fmaLanes(FmaIsa isa) { return isa == FmaIsa::Avx512 ? 16 : 8; }

double measureFmaGflops(FmaIsa isa, unsigned threads, double seconds,
                        int repeats) {
  threads = std::max(threads, 1u);
  auto kernel = isa == FmaIsa::Avx512 ? flopsZmm : flopsYmm;
  double best = 0;
  for (int r = 0; r < repeats; ++r) {
    std::vector<double> flopsPerSecond(threads, 0);
    // Start together, so that N threads really share the machine's time.
    std::atomic<unsigned> ready{0};
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        if (int cpu = allowedCpu(t); cpu >= 0 && threads > 1) {
          cpu_set_t set;
          CPU_ZERO(&set);
          CPU_SET(cpu, &set);
          pthread_setaffinity_np(pthread_self(), sizeof set, &set);
        }
        ready.fetch_add(1);
        while (ready.load() < threads)
          std::this_thread::yield();
        double elapsed = 0;
        double flops = kernel(seconds, elapsed);
        flopsPerSecond[t] = elapsed > 0 ? flops / elapsed : 0;
      });
    for (std::thread &worker : workers)
      worker.join();
    double total = 0;
    for (double value : flopsPerSecond)
      total += value;
    best = std::max(best, total);
  }
  return best / 1e9;
}

} // namespace nnc::rt
