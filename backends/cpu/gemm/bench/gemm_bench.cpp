//===- gemm_bench.cpp - GFLOP/s of the JIT-compiled GEMM ------------------===//
//
// nnc-gemm-bench [--isa host|avx512|avx2|sse|portable] [--sizes 256,512,1024]
//                [--shape MxNxK]
//                [--trials N] [--trial-seconds S] [--threads N]
//                [--trans-a] [--trans-b]
//                [--mr N] [--unroll N] [--mc N] [--kc N] [--nc N]
//
// Square C = A * B, f32, row-major. Each trial runs the product enough
// times to take about S seconds (0.2); prints the median and best trial in
// GFLOP/s (`make bench` measures the machine's FMA peak to compare them
// with), by the wall clock and, on one thread, by the thread's CPU time (which
// leaves out time other processes held the core on a shared machine). Many
// short trials (--trials 200
// --trial-seconds 0) make the best wall-clock trial a fair uncontended
// figure. Not a test: it checks nothing.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/gemm/CacheModel.h"
#include "backends/cpu/gemm/Gemm.h"
#include "backends/cpu/gemm/MicroKernel.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace nnc::cpu;

namespace {

double seconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// CPU time of the calling thread: on a shared machine it leaves out the
/// time other processes held this core.
double threadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct Options {
  GemmIsa isa = GemmIsa::Host;
  /// Problems as {m, n, k}; --sizes gives squares, --shape MxNxK any.
  std::vector<std::array<int64_t, 3>> shapes = {
      {256, 256, 256}, {512, 512, 512}, {1024, 1024, 1024}};
  int trials = 7;
  int threads = 1;
  double trialSeconds = 0.2;
  bool transA = false, transB = false;
  detail::GemmTuning tuning;
};

bool parse(int argc, char **argv, Options &o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> const char * {
      return i + 1 < argc ? argv[++i] : "";
    };
    if (arg == "--isa") {
      std::string v = value();
      if (v == "host")
        o.isa = GemmIsa::Host;
      else if (v == "avx512")
        o.isa = GemmIsa::Avx512;
      else if (v == "avx2")
        o.isa = GemmIsa::Avx2;
      else if (v == "sse")
        o.isa = GemmIsa::Sse;
      else if (v == "portable")
        o.isa = GemmIsa::Portable;
      else
        return false;
    } else if (arg == "--sizes") {
      o.shapes.clear();
      std::string v = value();
      for (size_t pos = 0; pos < v.size();) {
        size_t end = v.find(',', pos);
        int64_t n = std::atoll(v.substr(pos, end - pos).c_str());
        o.shapes.push_back({n, n, n});
        pos = end == std::string::npos ? v.size() : end + 1;
      }
    } else if (arg == "--shape") {
      std::array<int64_t, 3> shape;
      if (std::sscanf(value(), "%ldx%ldx%ld", &shape[0], &shape[1],
                      &shape[2]) != 3)
        return false;
      o.shapes = {shape};
    } else if (arg == "--trials") {
      o.trials = std::max(1, std::atoi(value()));
    } else if (arg == "--trial-seconds") {
      o.trialSeconds = std::atof(value());
    } else if (arg == "--threads") {
      o.threads = std::max(1, std::atoi(value()));
    } else if (arg == "--trans-a") {
      o.transA = true;
    } else if (arg == "--trans-b") {
      o.transB = true;
    } else if (arg == "--mr") {
      o.tuning.rows = std::atoi(value());
    } else if (arg == "--unroll") {
      o.tuning.unroll = std::atoi(value());
    } else if (arg == "--mc") {
      o.tuning.mc = std::atoll(value());
    } else if (arg == "--kc") {
      o.tuning.kc = std::atoll(value());
    } else if (arg == "--nc") {
      o.tuning.nc = std::atoll(value());
    } else {
      return false;
    }
  }
  return true;
}

/// One product, rows split evenly over `threads` std::threads.
void run(const GemmKernels &kernels, const GemmProblem &p, int threads) {
  if (threads == 1) {
    gemmBlock(kernels, p, 0, p.m, 0, p.n);
    return;
  }
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      gemmBlock(kernels, p, p.m * t / threads, p.m * (t + 1) / threads, 0, p.n);
    });
  for (std::thread &thread : pool)
    thread.join();
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::fprintf(stderr, "usage: see the header of bench/gemm_bench.cpp\n");
    return 2;
  }
  std::string error;
  double start = seconds();
  auto kernels = detail::createTunedGemmKernels(o.isa, o.tuning, &error);
  if (!kernels) {
    std::fprintf(stderr, "nnc-gemm-bench: %s\n", error.c_str());
    return 1;
  }
  std::printf("kernels: %s (built in %.1f ms)\n",
              gemmKernelsDescription(*kernels).c_str(),
              (seconds() - start) * 1e3);
  std::printf("threads: %d, trans-a: %d, trans-b: %d, trials: %d\n", o.threads,
              o.transA, o.transB, o.trials);
  // Wall-clock rates, then (1 thread) rates over the thread's CPU time.
  std::printf("caches: %s\n", describeCaches(hostCaches()).c_str());
  std::printf("%6s %10s %10s %10s %10s\n", "n", "median", "best", "cpu-median",
              "cpu-best");

  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (auto [m, n, k] : o.shapes) {
    std::vector<float> a(m * k), b(k * n), c(m * n);
    for (float &x : a)
      x = dist(rng);
    for (float &x : b)
      x = dist(rng);
    GemmProblem p;
    p.transA = o.transA;
    p.transB = o.transB;
    p.m = m;
    p.n = n;
    p.k = k;
    p.a = a.data();
    p.b = b.data();
    p.c = c.data();
    p.lda = o.transA ? m : k;
    p.ldb = o.transB ? k : n;
    p.ldc = n;
    double flops = 2.0 * m * n * k;

    run(*kernels, p, o.threads); // Warm up caches and scratch.
    double t0 = seconds();
    run(*kernels, p, o.threads);
    double once = std::max(seconds() - t0, 1e-6);
    int reps = std::max(1, int(o.trialSeconds / once));
    std::vector<double> rates, cpuRates;
    for (int t = 0; t < o.trials; ++t) {
      double begin = seconds(), cpuBegin = threadSeconds();
      for (int r = 0; r < reps; ++r)
        run(*kernels, p, o.threads);
      rates.push_back(flops * reps / (seconds() - begin) / 1e9);
      cpuRates.push_back(flops * reps / (threadSeconds() - cpuBegin) / 1e9);
    }
    std::sort(rates.begin(), rates.end());
    std::sort(cpuRates.begin(), cpuRates.end());
    double median = rates[rates.size() / 2];
    std::string name = m == n && n == k
                           ? std::to_string(n)
                           : std::to_string(m) + "x" + std::to_string(n) + "x" +
                                 std::to_string(k);
    std::printf("%6s %10.1f %10.1f", name.c_str(), median, rates.back());
    if (o.threads == 1)
      std::printf(" %10.1f %10.1f", cpuRates[cpuRates.size() / 2],
                  cpuRates.back());
    std::printf("\n");
  }
  return 0;
}
