/* allreduce_probe.c - the time of one f32 SUM all-reduce, by size.
 *
 * Run under mpirun (bench/distributed_scaling.py builds it with mpicc and
 * runs it on 2 and 3 ranks). For each size, after a barrier, every rank
 * all-reduces a buffer of that many bytes the way nnc's communication
 * thread does (distributed/MpiCommunicator.cpp): MPI_Iallreduce, then
 * MPI_Test with a yield between polls for the first 20 ms, then every
 * 20 us; with "spin", MPI_Test without pause. The algorithm is Open MPI's
 * choice unless mpirun sets coll_libnbc_iallreduce_algorithm (nnc asks
 * for the ring, 1, in a job of up to 8 ranks). Rank 0 prints one line per
 * size: "bytes median_us min_us", the median and minimum over the calls,
 * each call's time being the slowest rank's.
 *
 * With "direct", the ranks (of one machine) sum in memory they share
 * instead (MPI_Win_allocate_shared): each rank adds its slice of every
 * rank's buffer in rank order, then copies the other slices' sums from
 * their owners. No MPI call moves data; it measures what moving the bytes
 * between cores costs, the floor of any all-reduce there.
 *
 * Usage: mpirun -np N allreduce_probe [SECONDS_PER_SIZE [spin|direct]]
 */
#include <mpi.h>

#include <sched.h>
#include <stdatomic.h>
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
  double patience = now() + 0.020;
  for (int polls = 0;; ++polls) {
    int done = 0;
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done)
      return;
    if (spin)
      continue;
    if ((polls & 63) != 63) {
      sched_yield();
      continue;
    }
    if (now() > patience) {
      struct timespec pause = {0, 20000};
      nanosleep(&pause, NULL);
    }
  }
}

/* The direct all-reduce's shared memory: every rank's buffer, each after
 * its rank's arrival counter. */
static float *shared[64];
static atomic_long *arrived[64];
static long generation = 0;
static int ranks = 1, self = 0;

static void arrive_and_wait(void) {
  ++generation;
  atomic_store_explicit(arrived[self], generation, memory_order_release);
  for (int r = 0; r < ranks; ++r)
    while (atomic_load_explicit(arrived[r], memory_order_acquire) < generation)
      sched_yield();
}

/* `data` is this rank's shared buffer. */
static void allreduce_direct(float *data, int count) {
  (void)data;
  int per = (count + ranks - 1) / ranks;
  arrive_and_wait(); /* every buffer is written */
  int begin = self * per, end = begin + per < count ? begin + per : count;
  for (int i = begin; i < end; ++i) {
    float sum = shared[0][i];
    for (int r = 1; r < ranks; ++r)
      sum += shared[r][i];
    shared[self][i] = sum;
  }
  arrive_and_wait(); /* every slice is summed */
  for (int r = 0; r < ranks; ++r) {
    int from = r * per, to = from + per < count ? from + per : count;
    if (r != self && to > from)
      memcpy(shared[self] + from, shared[r] + from,
             (size_t)(to - from) * sizeof(float));
  }
  arrive_and_wait(); /* nobody still reads a slice being overwritten */
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
  int direct = argc > 2 && strcmp(argv[2], "direct") == 0;
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  self = rank;
  MPI_Win window = MPI_WIN_NULL;
  if (direct) {
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL,
                        &node);
    int nodeRanks = 0;
    MPI_Comm_size(node, &nodeRanks);
    if (nodeRanks != ranks || ranks > 64) {
      if (rank == 0)
        fprintf(stderr, "direct: every rank must be on this machine\n");
      MPI_Abort(MPI_COMM_WORLD, 2);
    }
    void *base = NULL;
    MPI_Win_allocate_shared(64 + 16777216, 64, MPI_INFO_NULL, node, &base,
                            &window);
    for (int r = 0; r < ranks; ++r) {
      MPI_Aint bytes = 0;
      int unit = 0;
      void *at = NULL;
      MPI_Win_shared_query(window, r, &bytes, &unit, &at);
      arrived[r] = (atomic_long *)at;
      shared[r] = (float *)((char *)at + 64);
    }
    atomic_store(arrived[rank], 0);
    MPI_Barrier(MPI_COMM_WORLD);
  }
  static const long sizes[] = {32,      4096,    65536,   262144,
                               1048576, 2097152, 4194304, 16777216};
  enum { kMaxCalls = 400 };
  double times[kMaxCalls];
  float *data = direct ? shared[rank] : malloc(16777216);
  for (int s = 0; s < (int)(sizeof(sizes) / sizeof(sizes[0])); ++s) {
    int count = (int)(sizes[s] / 4);
    for (int i = 0; i < count; ++i)
      data[i] = 1.0f / (float)(i + 1);
    void (*reduce)(float *, int) = direct ? allreduce_direct : allreduce;
    for (int i = 0; i < 5; ++i)
      reduce(data, count);
    int calls = 0;
    double start = now();
    int more = 1;
    while (more) {
      MPI_Barrier(MPI_COMM_WORLD);
      double t0 = now();
      reduce(data, count);
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
  if (direct)
    MPI_Win_free(&window);
  else
    free(data);
  MPI_Finalize();
  return 0;
}
