//===- CheckpointLock.h - One run per checkpoint folder ---------*- C++ -*-===//
//
// Two runs given the same --checkpoint folder would replace each other's
// checkpoints, and each write removes the leftovers of interrupted writes
// beside the folder, which another run's write in progress looks like. A
// run therefore holds an advisory lock (flock) on PARENT/.BASE.nnc-lock
// from its start to its end. The folder itself cannot carry the lock: each
// write renames a new folder over it. The kernel drops the lock when the
// process ends however it ends, so a killed run leaves none behind; the
// empty file stays, holding the pid of the last run that locked it.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_CHECKPOINTLOCK_H
#define NNC_RUNTIME_CHECKPOINTLOCK_H

#include "runtime/Status.h"

#include <optional>
#include <string>

namespace nnc::rt {

class CheckpointLock {
public:
  /// Locks the checkpoint folder `dir` (which need not exist yet; its
  /// parent is made). Fails, naming the holder's pid where the lock file
  /// gives it, when another process holds the lock.
  static Expected<CheckpointLock> acquire(const std::string &dir);

  CheckpointLock(CheckpointLock &&other) noexcept;
  CheckpointLock &operator=(CheckpointLock &&other) noexcept;
  CheckpointLock(const CheckpointLock &) = delete;
  CheckpointLock &operator=(const CheckpointLock &) = delete;
  ~CheckpointLock();

  /// Whether another process holds the lock of `dir` now, that is, a run
  /// may be replacing the folder while this one reads it; its pid when
  /// the lock file gives it, else an empty string.
  static std::optional<std::string> otherWriterOf(const std::string &dir);

  /// The lock file: PARENT/.BASE.nnc-lock.
  const std::string &path() const { return lockPath; }

private:
  CheckpointLock(int fd, std::string lockPath)
      : fd(fd), lockPath(std::move(lockPath)) {}

  int fd = -1;
  std::string lockPath;
};

} // namespace nnc::rt

#endif // NNC_RUNTIME_CHECKPOINTLOCK_H
