//===- FileIO.h - Durable, atomic writes and gzip-aware reads ---*- C++ -*-===//
//
// Small POSIX helpers shared by the data loaders, checkpoints and plots.
// Every error message starts with the path it is about.
//
// Reading: InputFile opens a file and, when its first two bytes are the
// gzip magic (1f 8b), decompresses it through zlib on the fly; anything
// else is read as is. The choice is made from the bytes, never from the
// file name. Truncated or corrupt gzip streams (bad CRC, cut-off trailer)
// are errors.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_FILEIO_H
#define NNC_RUNTIME_FILEIO_H

#include "runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace nnc::rt {

/// The strerror text of `error`, lower-cased to fit our message style.
std::string errnoMessage(int error);

/// read(2) into `buffer` until `size` bytes or the end of the file,
/// retrying interrupted reads; returns how many bytes were read.
Expected<size_t> readFully(int fd, void *buffer, size_t size);

/// A file read sequentially, transparently gunzipped when it starts with
/// the gzip magic. Move-only; closes the file when destroyed.
class InputFile {
public:
  InputFile(InputFile &&other) noexcept;
  InputFile &operator=(InputFile &&other) noexcept;
  ~InputFile();

  /// Opens `path`. Fails when it cannot be opened or is a directory.
  static Expected<InputFile> open(const std::string &path);

  /// True when the file is gzip-compressed.
  bool isGzip() const;

  /// The size of the file on disk (compressed size for gzip); 0 for pipes.
  uint64_t fileSize() const;

  /// Reads up to `size` bytes into `buffer`; returns how many were read,
  /// fewer than `size` only at the end of the (decompressed) data. Fails
  /// on an I/O error or a corrupt or truncated gzip stream.
  Expected<size_t> read(void *buffer, size_t size);

  /// Reads exactly `size` bytes, or fails with "PATH: truncated file
  /// (WHAT)" when the data ends first.
  Error readExactly(void *buffer, size_t size, const std::string &what);

  /// Fails with "PATH: trailing bytes after WHAT" unless the data ends
  /// here; also surfaces a gzip stream error found only at its end (a bad
  /// CRC or a missing trailer).
  Error expectEnd(const std::string &what);

  /// Reads everything left. `maxBytes` bounds what is accepted, so that a
  /// small gzip bomb cannot exhaust memory.
  Expected<std::string> readAll(uint64_t maxBytes = UINT64_MAX);

  const std::string &path() const { return name; }

private:
  struct Impl;
  InputFile(std::unique_ptr<Impl> impl, std::string path);
  std::unique_ptr<Impl> impl;
  std::string name;
};

/// Where a write to `path` lands: `path` itself, or the file its chain of
/// symbolic links ends at, which need not exist yet (a dangling link is
/// written through and creates its target, as shell redirection does).
Expected<std::string> followSymlinks(const std::string &path);

/// Creates (or truncates) `path`, writes `data`, fsyncs and closes it. Not
/// atomic on its own: used inside a temporary folder that is renamed
/// later.
Error writeFileDurably(const std::string &path, const std::string &data);

/// Writes `data` to `path` atomically: into "PATH.tmp.XXXXXX" next to it,
/// fsynced, renamed over `path`, then the folder fsynced; a crash leaves
/// the old file or the new one, never a mix. The temporary file is removed
/// on failure. A symbolic link is followed: its final target is replaced
/// (created, for a dangling link) and the link kept. An existing character
/// device or FIFO is written straight through, without rename or fsync; a
/// folder, block device or socket is refused.
Error writeFileAtomically(const std::string &path, const std::string &data);

/// A file written and synced under a temporary name beside the one it
/// replaces, waiting for commitStagedFiles: the first half of
/// writeFileAtomically, so that a set of files (a folder of parameters) is
/// all written before any replaces its old one. `path` is the name the
/// caller gave; a stream written straight through has no `tempPath`.
struct StagedFile {
  std::string path;
  std::string tempPath;
  std::string finalPath;
};

/// Writes `data` as writeFileAtomically does, up to the rename: into
/// "PATH.tmp.XXXXXX" beside PATH's final target, fsynced. On failure
/// nothing is left behind.
Expected<StagedFile> stageFile(const std::string &path,
                               const std::string &data);

/// Renames each staged file over its target, in order, then fsyncs their
/// folders. A failure while staging left every target as it was; here no
/// data is written, but a crash within the renames, or a rename refused
/// partway (a target another user owns in a sticky folder, a busy bind
/// mount), leaves the files renamed so far new and the rest old. A failed
/// rename removes the staged files not yet renamed.
Error commitStagedFiles(const std::vector<StagedFile> &files);

/// Removes the temporary files of staged files that will not be committed.
void discardStagedFiles(const std::vector<StagedFile> &files);

/// Creates the folder `path` and any missing above it, as `mkdir -p` does,
/// with the permissions the umask gives; an existing folder is fine.
/// Fails with "cannot create 'PATH': REASON".
Error makeFolders(const std::string &path);

/// Creates the folder "PREFIXxxxxxx", a random six-letter suffix, with the
/// permissions the umask gives (as mkdir does: 0755 under umask 022, where
/// mkdtemp makes 0700 whatever it is), and returns its path.
Expected<std::string> makeUniqueFolder(const std::string &prefix);

/// fsyncs the folder `path`, persisting renames and creations in it. File
/// systems that cannot sync folders (EINVAL) count as success.
Error syncDirectory(const std::string &path);

/// `bytes` from a file, fit to quote in a one-line error message: printable
/// ASCII kept, a backslash and every other byte (NUL, control, non-ASCII)
/// written as \xNN, and the result cut to about `maxChars` characters with
/// "..." after it.
std::string printableExcerpt(std::string_view bytes, size_t maxChars = 40);

/// The folder holding `path` ("." for a bare name).
std::string parentDirectory(const std::string &path);

} // namespace nnc::rt

#endif // NNC_RUNTIME_FILEIO_H
