//===- MpiCommunicator.cpp - The ranks of a job, over Open MPI ------------===//
//
// Collectives are the nonblocking MPI ones, completed by polling MPI_Test
// until a deadline: MPI's blocking calls cannot time out, and a job whose
// peer died must end rather than hang. Errors return codes
// (MPI_ERRORS_RETURN) so that they become messages naming the rank.
//
// MPI is initialised for MPI_THREAD_SERIALIZED: the trainer's
// communication thread and its main thread call MPI, never at once.
//
//===----------------------------------------------------------------------===//

#include "distributed/Communicator.h"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace nnc::dist {
namespace {

/// The message a rank prints when mpirun ends it because another rank
/// failed; built before any signal can arrive, written by the handler.
char terminationMessage[160];

extern "C" void onTermination(int) {
  ssize_t ignored =
      ::write(2, terminationMessage, std::strlen(terminationMessage));
  (void)ignored;
  ::_exit(1);
}

/// The variable through which Open MPI's nonblocking collectives
/// (coll/libnbc) take their all-reduce algorithm; `mpirun --mca
/// coll_libnbc_iallreduce_algorithm A` sets it in every rank.
constexpr const char *kAllReduceAlgorithm =
    "OMPI_MCA_coll_libnbc_iallreduce_algorithm";

/// The most ranks the ring is chosen for.
constexpr int kRingUpToRanks = 8;

/// Asks Open MPI for the ring all-reduce in a job of up to kRingUpToRanks
/// ranks, unless the user chose an algorithm. For nnc's in-place call
/// libnbc otherwise takes a binomial tree at every size, which crosses the
/// links 2 log2(N) times with the whole buffer: up to 8 ranks the ring is
/// as fast for a few bytes and faster for a gradient of megabytes (docs/
/// distributed.md, the cost model). Beyond that the best choice depends on
/// the gradient's size and the network, so Open MPI's stays.
void preferRingAllReduce() {
  const char *ranks = std::getenv("OMPI_COMM_WORLD_SIZE");
  if (ranks && std::atoi(ranks) <= kRingUpToRanks)
    ::setenv(kAllReduceAlgorithm, "1", /*overwrite=*/0);
}

/// The all-reduce algorithm this job runs, as libnbc names its values.
std::string allReduceAlgorithmName() {
  const char *value = std::getenv(kAllReduceAlgorithm);
  static const char *const kNames[] = {"Open MPI's choice of", "ring",
                                       "binomial-tree", "Rabenseifner",
                                       "recursive-doubling"};
  int algorithm = value ? std::atoi(value) : 0;
  if (algorithm < 0 || algorithm >= static_cast<int>(std::size(kNames)))
    algorithm = 0;
  return kNames[algorithm];
}

std::string mpiErrorText(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return std::string(text, static_cast<size_t>(length));
}

class MpiCommunicator final : public Communicator {
public:
  MpiCommunicator(int rank, int size, CommunicatorOptions options)
      : rankIndex(rank), rankCount(size), options(options) {}

  std::string allReduceAlgorithm() const override {
    return allReduceAlgorithmName();
  }

  int rank() const override { return rankIndex; }
  int size() const override { return rankCount; }

  rt::Error allReduceSum(void *data, size_t count, bool isDouble) override {
    if (rankCount == 1 || count == 0)
      return rt::Error::success();
    MPI_Request request;
    int code = MPI_Iallreduce(MPI_IN_PLACE, data, static_cast<int>(count),
                              isDouble ? MPI_DOUBLE : MPI_FLOAT, MPI_SUM,
                              MPI_COMM_WORLD, &request);
    return complete(code, request, "an all-reduce");
  }

  rt::Error broadcast(void *data, size_t bytes, int root) override {
    if (rankCount == 1 || bytes == 0)
      return rt::Error::success();
    MPI_Request request;
    int code = MPI_Ibcast(data, static_cast<int>(bytes), MPI_BYTE, root,
                          MPI_COMM_WORLD, &request);
    return complete(code, request, "a broadcast");
  }

  rt::Expected<std::vector<std::string>>
  allGather(const std::string &mine) override {
    std::string all(mine.size() * static_cast<size_t>(rankCount), '\0');
    MPI_Request request;
    int code = MPI_Iallgather(
        mine.data(), static_cast<int>(mine.size()), MPI_BYTE, all.data(),
        static_cast<int>(mine.size()), MPI_BYTE, MPI_COMM_WORLD, &request);
    if (rt::Error error = complete(code, request, "an all-gather"); !error.ok())
      return error;
    std::vector<std::string> pieces;
    for (int r = 0; r < rankCount; ++r)
      pieces.push_back(
          all.substr(static_cast<size_t>(r) * mine.size(), mine.size()));
    return pieces;
  }

  [[noreturn]] void abortJob(int code) override {
    MPI_Abort(MPI_COMM_WORLD, code);
    ::_exit(code);
  }

private:
  /// Polls `request` until it completes or the deadline passes.
  rt::Error complete(int code, MPI_Request &request, const char *what) {
    if (code != MPI_SUCCESS)
      return failure(what, mpiErrorText(code));
    auto start = std::chrono::steady_clock::now();
    auto deadline =
        start + std::chrono::duration<double>(options.timeoutSeconds);
    // Open MPI moves a nonblocking collective's fragments forward only
    // inside MPI_Test, so polling must be brisk while data flows: a sleep
    // between polls throttled a 2 MB all-reduce to 1 ms. Yielding keeps
    // the core free for the rank's compute threads; after a while of no
    // completion (a slow peer), polls back off to a gentle sleep.
    auto patience = start + std::chrono::milliseconds(20);
    for (int polls = 0;; ++polls) {
      int done = 0;
      code = MPI_Test(&request, &done, MPI_STATUS_IGNORE);
      if (code != MPI_SUCCESS)
        return failure(what, mpiErrorText(code));
      if (done)
        return rt::Error::success();
      if ((polls & 63) != 63) {
        std::this_thread::yield();
        continue;
      }
      auto now = std::chrono::steady_clock::now();
      if (now > patience) {
        if (now > deadline) {
          char seconds[32];
          std::snprintf(seconds, sizeof(seconds), "%g", options.timeoutSeconds);
          return failure(what, std::string("no answer from the other ranks "
                                           "within ") +
                                   seconds +
                                   " s (--comm-timeout): a rank died or hangs");
        }
        std::this_thread::sleep_for(std::chrono::microseconds(20));
      }
    }
  }

  rt::Error failure(const char *what, const std::string &why) const {
    return rt::Error::failure("rank " + std::to_string(rankIndex) + ": " +
                              what + " failed: " + why);
  }

  int rankIndex, rankCount;
  CommunicatorOptions options;
};

/// Ends the process when MPI has not started within the collectives'
/// timeout. MPI_Init waits for every rank of the job, and no MPI call can
/// end it from inside, so a rank that never joins (stopped, or stuck
/// before it) would hold the others forever: this rank exits with a
/// message instead, and mpirun ends the rest.
class StartWatchdog {
public:
  explicit StartWatchdog(double seconds) {
    watcher = std::thread([this, seconds] {
      std::unique_lock<std::mutex> lock(mutex);
      // The wait converts to the clock's int64 nanoseconds, which overflow
      // past 9.2e9 s into a wait of no time; a billion seconds (31 years)
      // is as good as the "no timeout" a larger --comm-timeout means.
      double waitSeconds = std::min(seconds, 1e9);
      if (started.wait_for(lock, std::chrono::duration<double>(waitSeconds),
                           [this] { return joined; }))
        return;
      std::fprintf(stderr,
                   "error: rank %d: the job did not start within %g s "
                   "(--comm-timeout): another rank never joined it (it "
                   "failed or hangs before MPI starts)\n",
                   launcherRank(), seconds);
      std::fflush(stderr);
      std::_Exit(1);
    });
  }
  ~StartWatchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      joined = true;
    }
    started.notify_all();
    watcher.join();
  }

private:
  std::mutex mutex;
  std::condition_variable started;
  bool joined = false;
  std::thread watcher;
};

} // namespace

bool builtWithMpi() { return true; }

rt::Expected<std::unique_ptr<Communicator>>
joinJob(const CommunicatorOptions &options) {
  int initialised = 0, provided = 0;
  MPI_Initialized(&initialised);
  if (initialised) {
    MPI_Query_thread(&provided);
  } else {
    preferRingAllReduce();
    int status = MPI_SUCCESS;
    {
      StartWatchdog watchdog(options.timeoutSeconds);
      status =
          MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
    }
    if (status != MPI_SUCCESS)
      return rt::Error::failure("--distributed: MPI failed to start");
    // MPI is finalized when the process exits, not when the job's last
    // communicator goes: MPI cannot start twice in one process, and
    // MPI_Finalize waits for every rank, so a rank that fails alike with
    // the others (a model that differs) has printed its message before
    // any rank exits and mpirun ends the rest.
    std::atexit([] {
      int finalized = 0;
      MPI_Finalized(&finalized);
      if (!finalized)
        MPI_Finalize();
    });
  }
  if (provided < MPI_THREAD_SERIALIZED)
    return rt::Error::failure("--distributed: this MPI cannot be called from "
                              "more than one thread");
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::snprintf(terminationMessage, sizeof(terminationMessage),
                "error: rank %d: stopped: the job was ended (another rank "
                "failed, whose message is above, or mpirun or this rank was "
                "stopped)\n",
                rank);
  std::signal(SIGTERM, onTermination);
  return std::unique_ptr<Communicator>(
      new MpiCommunicator(rank, size, options));
}

} // namespace nnc::dist
