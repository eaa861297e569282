/* Measures the fp32 FMA peak of the machine it runs on, for bench/run_bench.py.
 *
 *   fma_peak avx512|avx2 NTHREADS
 *
 * Prints one JSON line: {"isa", "lanes", "threads", "gflops_1t", "gflops_nt"}.
 * Each thread runs 12 independent chains of vector FMAs (enough to cover a
 * 4-cycle latency on two FMA pipes, and few enough that AVX2's 16 ymm
 * registers hold them with the constants) for a fixed wall time, pinned to
 * its own allowed CPU. Best of four runs at 1 thread, then at NTHREADS, about
 * 0.8 s in all. The vector code is selected by target attributes, so a plain
 * `cc -O2 -pthread fma_peak.c` builds it with gcc or clang.
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { kChains = 12, kChunk = 4096 /* iterations between clock reads */ };
static const double kRunSeconds = 0.1;
static const int kRepeats = 4;

static volatile float sink; /* keeps the accumulators' results alive */
/* Read through volatile so the compiler cannot evaluate the chains: with
 * literal constants clang proved some starting values were fixed points of
 * the FMA and folded their chains away. */
static volatile float chainStart = 1.0f, chainScale = 0.9999999f,
                      chainShift = 1e-7f;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* a = a * m + c converges to a fixed point, so the values stay normal and
 * finite however long it runs. The chains start apart so that no two are the
 * same expression the compiler could merge. */
#define FMA_LOOP(VEC, SET1, FMA, ADD)                                          \
  VEC m = SET1(chainScale), c = SET1(chainShift), step = SET1(0.1f);           \
  VEC a0 = SET1(chainStart), a1 = ADD(a0, step), a2 = ADD(a1, step);           \
  VEC a3 = ADD(a2, step), a4 = ADD(a3, step), a5 = ADD(a4, step);              \
  VEC a6 = ADD(a5, step), a7 = ADD(a6, step), a8 = ADD(a7, step);              \
  VEC a9 = ADD(a8, step), a10 = ADD(a9, step), a11 = ADD(a10, step);           \
  long iterations = 0;                                                         \
  double start = now();                                                        \
  do {                                                                         \
    for (int i = 0; i < kChunk; ++i) {                                         \
      a0 = FMA(a0, m, c);                                                      \
      a1 = FMA(a1, m, c);                                                      \
      a2 = FMA(a2, m, c);                                                      \
      a3 = FMA(a3, m, c);                                                      \
      a4 = FMA(a4, m, c);                                                      \
      a5 = FMA(a5, m, c);                                                      \
      a6 = FMA(a6, m, c);                                                      \
      a7 = FMA(a7, m, c);                                                      \
      a8 = FMA(a8, m, c);                                                      \
      a9 = FMA(a9, m, c);                                                      \
      a10 = FMA(a10, m, c);                                                    \
      a11 = FMA(a11, m, c);                                                    \
    }                                                                          \
    iterations += kChunk;                                                      \
  } while (now() - start < seconds);                                           \
  *elapsed = now() - start;                                                    \
  VEC sum = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7))); \
  sum = ADD(sum, ADD(ADD(a8, a9), ADD(a10, a11)));

/* Each runs for about `seconds`, stores the time it took in *elapsed and
 * returns the flops done (2 per lane per FMA). */
__attribute__((target("avx512f"))) static double fmaZmm(double seconds,
                                                        double *elapsed) {
  FMA_LOOP(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps)
  sink = _mm512_reduce_add_ps(sum);
  return iterations * kChains * 16 * 2.0;
}

__attribute__((target("avx2,fma"))) static double fmaYmm(double seconds,
                                                         double *elapsed) {
  FMA_LOOP(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps)
  float lanes[8];
  _mm256_storeu_ps(lanes, sum);
  sink = lanes[0] + lanes[7];
  return iterations * kChains * 8 * 2.0;
}

typedef double (*KernelFn)(double, double *);

typedef struct {
  KernelFn kernel;
  int cpu; /* -1: leave unpinned */
  pthread_barrier_t *start;
  double flopsPerSecond;
} Worker;

static void *runWorker(void *arg) {
  Worker *w = arg;
  if (w->cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(w->cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  }
  /* Start together, so N threads really share the machine's time. */
  pthread_barrier_wait(w->start);
  double elapsed = 0;
  double flops = w->kernel(kRunSeconds, &elapsed);
  w->flopsPerSecond = flops / elapsed;
  return NULL;
}

/* The i-th CPU this process may run on, or -1 if there are fewer. */
static int allowedCpu(int index) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0)
    return -1;
  for (int cpu = 0, seen = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set) && seen++ == index)
      return cpu;
  return -1;
}

/* Best of kRepeats: GFLOP/s summed over `threads` concurrent threads. */
static double peakGflops(KernelFn kernel, int threads) {
  Worker *workers = calloc(threads, sizeof *workers);
  pthread_t *ids = calloc(threads, sizeof *ids);
  double best = 0;
  for (int r = 0; r < kRepeats; ++r) {
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, threads);
    for (int t = 0; t < threads; ++t) {
      workers[t] = (Worker){kernel, allowedCpu(t), &start, 0};
      pthread_create(&ids[t], NULL, runWorker, &workers[t]);
    }
    double total = 0;
    for (int t = 0; t < threads; ++t) {
      pthread_join(ids[t], NULL);
      total += workers[t].flopsPerSecond;
    }
    pthread_barrier_destroy(&start);
    if (total > best)
      best = total;
  }
  free(workers);
  free(ids);
  return best / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 3 || atoi(argv[2]) < 1) {
    fprintf(stderr, "usage: fma_peak avx512|avx2 NTHREADS\n");
    return 2;
  }
  int threads = atoi(argv[2]);
  int avx512 = strcmp(argv[1], "avx512") == 0;
  __builtin_cpu_init();
  if (avx512 ? !__builtin_cpu_supports("avx512f")
             : !(__builtin_cpu_supports("avx2") &&
                 __builtin_cpu_supports("fma"))) {
    fprintf(stderr, "fma_peak: this CPU does not run %s FMAs\n", argv[1]);
    return 1;
  }
  KernelFn kernel = avx512 ? fmaZmm : fmaYmm;
  double one = peakGflops(kernel, 1);
  double all = threads == 1 ? one : peakGflops(kernel, threads);
  printf(
      "{\"isa\": \"%s\", \"lanes\": %d, \"threads\": %d, \"gflops_1t\": %.1f, "
      "\"gflops_nt\": %.1f}\n",
      avx512 ? "avx512" : "avx2", avx512 ? 16 : 8, threads, one, all);
  return 0;
}
