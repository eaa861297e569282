//===- ReplayableFile.cpp - A data path that reads the same twice ---------===//

#include "runtime/ReplayableFile.h"

#include "runtime/FileIO.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

namespace nnc::rt {

namespace {

/// Appends `size` bytes to the file `fd`.
Error writeAll(int fd, const char *bytes, size_t size) {
  for (size_t done = 0; done < size;) {
    ssize_t wrote = ::write(fd, bytes + done, size - done);
    if (wrote < 0 && errno == EINTR)
      continue;
    if (wrote < 0)
      return Error::failure("cannot hold a copy of the stream: " +
                            errnoMessage(errno));
    done += static_cast<size_t>(wrote);
  }
  return Error::success();
}

} // namespace

Expected<ReplayableFile> ReplayableFile::open(const std::string &path,
                                              HeadCheck worthReading,
                                              uint64_t maxBytes) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0 || S_ISREG(info.st_mode) ||
      S_ISDIR(info.st_mode))
    return ReplayableFile(path, path, -1);
  int source = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (source < 0)
    return Error::failure(path + ": " + errnoMessage(errno));
  int copy = ::memfd_create("nnc-data", MFD_CLOEXEC);
  if (copy < 0) {
    int error = errno;
    ::close(source);
    return Error::failure(
        path + ": cannot hold a copy of the stream: " + errnoMessage(error));
  }
  ReplayableFile file(path, "/proc/self/fd/" + std::to_string(copy), copy);
  std::vector<char> buffer(1 << 20);
  // The head first, alone, so that a stream refused by it is read no
  // further; then the rest in large blocks.
  size_t want = kHeadBytes;
  uint64_t copied = 0;
  for (bool first = true; copied <= maxBytes; first = false) {
    Expected<size_t> got = readFully(source, buffer.data(), want);
    if (!got) {
      ::close(source);
      return got.takeError().withContext(path);
    }
    if (Error error = writeAll(copy, buffer.data(), *got); !error.ok()) {
      ::close(source);
      return std::move(error).withContext(path);
    }
    copied += *got;
    if (*got < want ||
        (first &&
         !worthReading(reinterpret_cast<const unsigned char *>(buffer.data()),
                       *got)))
      break;
    uint64_t room = maxBytes - copied;
    want =
        room >= buffer.size() ? buffer.size() : static_cast<size_t>(room) + 1;
  }
  ::close(source);
  if (copied == 0)
    return Error::failure(
        path + ": an empty stream (a pipe or FIFO gives its bytes once: "
               "given for two inputs, the second finds it empty)");
  return file;
}

ReplayableFile::ReplayableFile(ReplayableFile &&other) noexcept
    : given(std::move(other.given)), readable(std::move(other.readable)),
      copy(other.copy) {
  other.copy = -1;
}

ReplayableFile::~ReplayableFile() {
  if (copy >= 0)
    ::close(copy);
}

Error ReplayableFile::named(Error error) const {
  if (error.ok() || copy < 0)
    return error;
  std::string text = error.message();
  for (size_t at = text.find(readable); at != std::string::npos;
       at = text.find(readable, at + given.size()))
    text.replace(at, readable.size(), given);
  return Error::failure(std::move(text));
}

} // namespace nnc::rt
