//===- CheckpointLock.cpp - One run per checkpoint folder -----------------===//

#include "runtime/CheckpointLock.h"

#include "runtime/Checkpoint.h"

#include "runtime/FileIO.h"

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace nnc::rt {
namespace {

std::string lockPathFor(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/')
    dir.pop_back();
  size_t slash = dir.rfind('/');
  std::string base = slash == std::string::npos ? dir : dir.substr(slash + 1);
  return parentDirectory(dir) + "/." + base + ".nnc-lock";
}

/// The pid the holder wrote into the lock file, if it reads as one.
std::string holderOf(int fd) {
  char text[24] = {};
  ssize_t got = ::pread(fd, text, sizeof(text) - 1, 0);
  if (got <= 0)
    return std::string();
  std::string pid(text, static_cast<size_t>(got));
  while (!pid.empty() && pid.back() == '\n')
    pid.pop_back();
  for (char c : pid)
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return std::string();
  return pid;
}

} // namespace

Expected<CheckpointLock> CheckpointLock::acquire(const std::string &dir) {
  // Named after the folder written, whatever link the run was given.
  std::string path = lockPathFor(checkpointFolder(dir));
  if (Error error = makeFolders(parentDirectory(path)); !error.ok())
    return error;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  // Another user's lock file: flock needs no write access, only the pid
  // goes unwritten.
  bool writable = fd >= 0;
  if (fd < 0 && errno == EACCES)
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Error::failure("cannot open the lock file '" + path +
                          "': " + errnoMessage(errno));
  // A reader's probe (otherWriterOf) holds a shared lock for a moment: a
  // few tries apart tell it from a run that holds the lock.
  int locked = ::flock(fd, LOCK_EX | LOCK_NB);
  for (int attempt = 0; locked != 0 && errno == EWOULDBLOCK && attempt < 5;
       ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    locked = ::flock(fd, LOCK_EX | LOCK_NB);
  }
  if (locked != 0) {
    int error = errno;
    std::string holder = error == EWOULDBLOCK ? holderOf(fd) : std::string();
    ::close(fd);
    if (error != EWOULDBLOCK)
      return Error::failure("cannot lock '" + path +
                            "': " + errnoMessage(error));
    return Error::failure(
        dir + ": another run is writing its checkpoints there" +
        (holder.empty() ? std::string() : " (process " + holder + ")") +
        "; give this run another checkpoint folder");
  }
  // Best effort: the pid only names the holder in the message above.
  std::string pid = std::to_string(::getpid()) + "\n";
  if (writable && ::ftruncate(fd, 0) == 0)
    (void)::pwrite(fd, pid.data(), pid.size(), 0);
  return CheckpointLock(fd, std::move(path));
}

std::optional<std::string>
CheckpointLock::otherWriterOf(const std::string &dir) {
  std::string path = lockPathFor(checkpointFolder(dir));
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return std::nullopt;
  std::optional<std::string> writer;
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
    // A lock held through another descriptor of this process (a run that
    // resumes from its own --checkpoint folder) is no other writer.
    std::string holder = holderOf(fd);
    if (holder != std::to_string(::getpid()))
      writer = holder;
  }
  ::close(fd);
  return writer;
}

CheckpointLock::CheckpointLock(CheckpointLock &&other) noexcept
    : fd(std::exchange(other.fd, -1)), lockPath(std::move(other.lockPath)) {}

CheckpointLock &CheckpointLock::operator=(CheckpointLock &&other) noexcept {
  if (this != &other) {
    if (fd >= 0)
      ::close(fd);
    fd = std::exchange(other.fd, -1);
    lockPath = std::move(other.lockPath);
  }
  return *this;
}

CheckpointLock::~CheckpointLock() {
  // Closing the last descriptor of the open file releases the lock.
  if (fd >= 0)
    ::close(fd);
}

} // namespace nnc::rt
