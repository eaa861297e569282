//===- Communicator.h - The ranks of a data-parallel job --------*- C++ -*-===//
//
// What data-parallel training needs from the processes of a job: who it is,
// how many there are, and three collectives. The implementation is Open
// MPI's (MpiCommunicator.cpp); nnc built without MPI has a stub whose
// joinJob() says so. The header names no MPI type, so the trainer builds
// either way.
//
// Every collective has a deadline: a rank that died or hangs must not leave
// the others waiting forever. A collective that misses it fails with a
// message naming this rank; the caller then ends the job (abortJob).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DISTRIBUTED_COMMUNICATOR_H
#define NNC_DISTRIBUTED_COMMUNICATOR_H

#include "runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nnc::dist {

struct CommunicatorOptions {
  /// How long one collective may take before the job is considered broken
  /// (a rank died or hangs); `--comm-timeout`.
  double timeoutSeconds = 300;
};

class Communicator {
public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// How all-reduces run, for reports: "ring", ...
  virtual std::string allReduceAlgorithm() const = 0;

  /// Sums `count` floats (f32) or doubles (`isDouble`) over every rank, in
  /// place. For a fixed number of ranks and sizes the result is the same
  /// bits on every run: the reduction order is the library's fixed one.
  virtual rt::Error allReduceSum(void *data, size_t count, bool isDouble) = 0;
  /// Copies `bytes` bytes of `data` on rank `root` to every other rank.
  virtual rt::Error broadcast(void *data, size_t bytes, int root) = 0;
  /// Every rank's `mine` (the same size on all), in rank order.
  virtual rt::Expected<std::vector<std::string>>
  allGather(const std::string &mine) = 0;

  /// Ends every process of the job with `code`, after this rank printed
  /// why. Never returns.
  [[noreturn]] virtual void abortJob(int code) = 0;
};

/// True when nnc was built with Open MPI.
bool builtWithMpi();

/// The rank the MPI launcher gave this process, known before MPI starts
/// (mpirun sets it in the environment); -1 outside a launched job.
int launcherRank();

/// Joins the job `mpirun` started (a single process without mpirun is a
/// job of one). Fails when nnc was built without MPI, or MPI cannot start.
rt::Expected<std::unique_ptr<Communicator>>
joinJob(const CommunicatorOptions &options);

} // namespace nnc::dist

#endif // NNC_DISTRIBUTED_COMMUNICATOR_H
