//===- MemoryLibrary.h - Shared objects loaded from memory ------*- C++ -*-===//
//
// Loads a shared object held in memory (an artifact's machine code) with
// the system's dynamic loader: the bytes go to an anonymous memfd_create
// file, which dlopen opens through /proc/self/fd. Nothing touches the
// file system, and the loader does the relocation, symbol binding and
// unloading it does for any library.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_SERIAL_MEMORYLIBRARY_H
#define NNC_BACKENDS_CPU_SERIAL_MEMORYLIBRARY_H

#include "runtime/Status.h"

#include <memory>
#include <string>

namespace nnc::cpu {

/// A loaded shared object; unloaded when the last reference goes.
class MemoryLibrary {
public:
  /// Loads `bytes` (an ELF shared object) under the name `name`, which
  /// only appears in messages. Fails with the loader's message.
  static rt::Expected<std::shared_ptr<MemoryLibrary>>
  load(const std::string &bytes, const std::string &name);

  ~MemoryLibrary();
  MemoryLibrary(const MemoryLibrary &) = delete;
  MemoryLibrary &operator=(const MemoryLibrary &) = delete;

  /// The address of `symbol`, or null.
  void *symbol(const std::string &symbol) const;

private:
  MemoryLibrary(void *handle, int fd) : handle(handle), fd(fd) {}
  void *handle;
  int fd;
};

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_SERIAL_MEMORYLIBRARY_H
