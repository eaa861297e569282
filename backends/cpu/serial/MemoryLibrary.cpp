//===- MemoryLibrary.cpp - Shared objects loaded from memory --------------===//

#include "backends/cpu/serial/MemoryLibrary.h"

#include <cerrno>
#include <cstring>
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

namespace nnc::cpu {

namespace {

/// Writes all of `bytes` to `fd`.
bool writeAll(int fd, const std::string &bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t written = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (written < 0 && errno == EINTR)
      continue;
    if (written <= 0)
      return false;
    done += static_cast<size_t>(written);
  }
  return true;
}

} // namespace

rt::Expected<std::shared_ptr<MemoryLibrary>>
MemoryLibrary::load(const std::string &bytes, const std::string &name) {
  int fd = ::memfd_create(name.c_str(), MFD_CLOEXEC);
  if (fd < 0)
    return rt::Error::failure("cannot load " + name +
                              ": memfd_create failed: " + std::strerror(errno));
  if (!writeAll(fd, bytes)) {
    std::string reason = std::strerror(errno);
    ::close(fd);
    return rt::Error::failure("cannot load " + name + ": " + reason);
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  // RTLD_LOCAL: every module defines the same entry-point names, so none
  // may bind another's symbols.
  void *handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *reason = ::dlerror();
    ::close(fd);
    return rt::Error::failure("cannot load " + name + ": " +
                              (reason ? reason : "dlopen failed"));
  }
  // The descriptor stays open while the library is loaded: dlopen knows
  // libraries by path, and a closed descriptor's number (and so its
  // /proc/self/fd path) would be reused by the next one, which dlopen
  // would then take for this library.
  return std::shared_ptr<MemoryLibrary>(new MemoryLibrary(handle, fd));
}

MemoryLibrary::~MemoryLibrary() {
  ::dlclose(handle);
  ::close(fd);
}

void *MemoryLibrary::symbol(const std::string &symbol) const {
  return ::dlsym(handle, symbol.c_str());
}

} // namespace nnc::cpu
