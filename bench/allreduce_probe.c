/* allreduce_probe.c - the time of one f32 SUM all-reduce, by size.
 *
 * Run under mpirun (bench/distributed_scaling.py builds it with mpicc and
 * runs it on 2 and 3 ranks). For each size, after a barrier, every rank
 * all-reduces a buffer of that many bytes the way nnc's communication
 * thread does (distributed/MpiCommunicator.cpp): MPI_Iallreduce, then
 * MPI_Test spinning 256 times, then every 20 us; with "spin", MPI_Test
 * without pause. Rank 0 prints one line per size: "bytes median_us
 * min_us", the median and minimum over the calls, each call's time being
 * the slowest rank's.
 *
 * Usage: mpirun -np N allreduce_probe [SECONDS_PER_SIZE [spin]]
 */
#include <mpi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int spin = 0; // poll without pause

static void allreduce(float *data, int count) {
  MPI_Request request;
  MPI_Iallreduce(MPI_IN_PLACE, data, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD,
                 &request);
  for (int polls = 0;; ++polls) {
    int done = 0;
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done)
      return;
    if (!spin && polls > 256) {
      struct timespec pause = {0, 20000};
      nanosleep(&pause, NULL);
    }
  }
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  double budget = argc > 1 ? atof(argv[1]) : 0.3;
  spin = argc > 2 && strcmp(argv[2], "spin") == 0;
  static const long sizes[] = {32,      4096,    65536,   262144,
                               1048576, 2097152, 4194304, 16777216};
  enum { kMaxCalls = 400 };
  double times[kMaxCalls];
  float *data = malloc(16777216);
  for (int s = 0; s < (int)(sizeof(sizes) / sizeof(sizes[0])); ++s) {
    int count = (int)(sizes[s] / 4);
    for (int i = 0; i < count; ++i)
      data[i] = 1.0f / (float)(i + 1);
    for (int i = 0; i < 5; ++i)
      allreduce(data, count);
    int calls = 0;
    double start = now();
    int more = 1;
    while (more) {
      MPI_Barrier(MPI_COMM_WORLD);
      double t0 = now();
      allreduce(data, count);
      double mine = now() - t0, slowest = 0;
      MPI_Allreduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
      times[calls++] = slowest;
      // Rank 0 decides when to stop, so every rank makes the same calls.
      more = calls < kMaxCalls && (calls < 10 || now() - start < budget);
      MPI_Bcast(&more, 1, MPI_INT, 0, MPI_COMM_WORLD);
    }
    qsort(times, (size_t)calls, sizeof(double), compare);
    if (rank == 0)
      printf("%ld %.2f %.2f\n", sizes[s], times[calls / 2] * 1e6,
             times[0] * 1e6);
    fflush(stdout);
  }
  free(data);
  MPI_Finalize();
  return 0;
}
