//===- ReplayableFile.h - A data path that reads the same twice -*- C++ -*-===//
//
// Loading a --data file opens it twice: once to tell its format from its
// first bytes, once to read it. A regular file gives the same bytes both
// times; a pipe, a FIFO or `<(zcat ...)` gives them once, so the second
// open would start where the first stopped (CSV rows silently lost) or
// block for a writer that has gone. ReplayableFile copies such a stream,
// once, into an anonymous in-memory file that opens like a regular one.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_REPLAYABLEFILE_H
#define NNC_RUNTIME_REPLAYABLEFILE_H

#include "runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace nnc::rt {

class ReplayableFile {
public:
  /// Tells from a stream's first bytes (up to kHeadBytes) whether the rest
  /// is worth reading: false stops the copy there, so that /dev/zero is
  /// copied no further than the reader needs to refuse it.
  using HeadCheck = bool (*)(const unsigned char *head, size_t size);
  static constexpr size_t kHeadBytes = 4096;

  /// `path` itself when it is a regular file, a directory or missing (the
  /// readers report those); otherwise its stream, read once now, whole
  /// unless `worthReading` refuses its head, and to at most `maxBytes` and
  /// one more (so that a reader with that limit still refuses a longer
  /// stream rather than memory running out). The copy is in memory while
  /// the file lives. Fails when the stream cannot be read or copied.
  static Expected<ReplayableFile> open(const std::string &path,
                                       HeadCheck worthReading,
                                       uint64_t maxBytes = UINT64_MAX);

  ReplayableFile(ReplayableFile &&other) noexcept;
  ReplayableFile &operator=(ReplayableFile &&other) = delete;
  ~ReplayableFile();

  /// What to open, as often as needed: the path, or the copy's.
  const std::string &path() const { return readable; }
  /// `error` as the user's path would have given it: messages that name
  /// the copy name the path given instead.
  Error named(Error error) const;

private:
  ReplayableFile(std::string given, std::string readable, int copy)
      : given(std::move(given)), readable(std::move(readable)), copy(copy) {}
  std::string given, readable;
  /// The in-memory copy's descriptor, or -1 for a regular file.
  int copy = -1;
};

} // namespace nnc::rt

#endif // NNC_RUNTIME_REPLAYABLEFILE_H
