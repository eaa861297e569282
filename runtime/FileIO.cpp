//===- FileIO.cpp - Durable and atomic file writes, maybe-gzipped reads ---===//

#include "runtime/FileIO.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

namespace nnc::rt {

std::string errnoMessage(int error) {
  std::string text = std::generic_category().message(error);
  if (!text.empty())
    text[0] =
        static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

Expected<size_t> readFully(int fd, void *buffer, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, static_cast<char *>(buffer) + done, size - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return Error::failure(errnoMessage(errno));
    if (n == 0)
      break;
    done += static_cast<size_t>(n);
  }
  return done;
}

namespace {

Error fail(const std::string &path, const std::string &message) {
  return Error::failure(path + ": " + message);
}

Error writeRaw(int fd, const void *buffer, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n =
        ::write(fd, static_cast<const char *>(buffer) + done, size - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return Error::failure(errnoMessage(errno));
    done += static_cast<size_t>(n);
  }
  return Error::success();
}

/// A suffix no concurrent writer picks with any real probability; O_EXCL
/// makes a collision safe anyway.
std::string randomSuffix(unsigned attempt) {
  static std::atomic<uint64_t> counter{0};
  uint64_t seed =
      static_cast<uint64_t>(::getpid()) * 0x9E3779B97F4A7C15ull ^
      static_cast<uint64_t>(
          std::chrono::steady_clock::now().time_since_epoch().count()) ^
      (counter.fetch_add(1) << 32) ^ attempt;
  seed = (seed ^ (seed >> 30)) * 0xBF58476D1CE4E5B9ull;
  seed = (seed ^ (seed >> 27)) * 0x94D049BB133111EBull;
  seed ^= seed >> 31;
  static const char kChars[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string suffix;
  for (int i = 0; i < 6; ++i, seed /= 62)
    suffix += kChars[seed % 62];
  return suffix;
}

constexpr size_t kInputBufferSize = 1 << 16;

} // namespace

struct InputFile::Impl {
  int fd = -1;
  uint64_t size = 0;
  bool gzip = false;
  bool rawEnd = false;
  bool streamEnd = false;
  bool zlibReady = false;
  z_stream zs{};
  unsigned char buffer[kInputBufferSize];
  /// Plain files: bytes peeked while sniffing the magic, not yet returned.
  size_t pendingBegin = 0, pendingEnd = 0;

  ~Impl() {
    if (zlibReady)
      inflateEnd(&zs);
    if (fd >= 0)
      ::close(fd);
  }

  Error refill() {
    Expected<size_t> n = readFully(fd, buffer, sizeof(buffer));
    if (!n)
      return n.takeError();
    if (*n < sizeof(buffer))
      rawEnd = true;
    zs.next_in = buffer;
    zs.avail_in = static_cast<uInt>(*n);
    return Error::success();
  }

  Expected<size_t> readPlain(void *out, size_t size) {
    size_t fromPending = std::min(size, pendingEnd - pendingBegin);
    std::memcpy(out, buffer + pendingBegin, fromPending);
    pendingBegin += fromPending;
    if (fromPending == size)
      return size;
    Expected<size_t> n =
        readFully(fd, static_cast<char *>(out) + fromPending, size - fromPending);
    if (!n)
      return n.takeError();
    return fromPending + *n;
  }

  Expected<size_t> readGzip(void *out, size_t size) {
    size_t done = 0;
    while (done < size) {
      if (streamEnd) {
        // Another gzip member may follow (`cat a.gz b.gz` is valid gzip).
        if (zs.avail_in == 0 && !rawEnd)
          if (Error error = refill(); !error.ok())
            return std::move(error);
        if (zs.avail_in == 0)
          break;
        if (inflateReset(&zs) != Z_OK)
          return Error::failure("corrupt gzip data");
        streamEnd = false;
      }
      if (zs.avail_in == 0 && !rawEnd)
        if (Error error = refill(); !error.ok())
          return std::move(error);
      size_t chunk = std::min<size_t>(size - done, 1u << 30);
      zs.next_out = static_cast<Bytef *>(out) + done;
      zs.avail_out = static_cast<uInt>(chunk);
      int status = inflate(&zs, Z_NO_FLUSH);
      size_t produced = chunk - zs.avail_out;
      done += produced;
      if (status == Z_STREAM_END) {
        streamEnd = true;
        continue;
      }
      if (status == Z_DATA_ERROR || status == Z_NEED_DICT)
        return Error::failure(std::string("corrupt gzip data") +
                              (zs.msg ? std::string(": ") + zs.msg : ""));
      if (status == Z_MEM_ERROR)
        return Error::failure("out of memory while decompressing");
      if (status != Z_OK && status != Z_BUF_ERROR)
        return Error::failure("corrupt gzip data");
      if (produced == 0 && zs.avail_in == 0 && rawEnd)
        return Error::failure("truncated gzip data");
    }
    return done;
  }
};

InputFile::InputFile(std::unique_ptr<Impl> impl, std::string path)
    : impl(std::move(impl)), name(std::move(path)) {}
InputFile::InputFile(InputFile &&other) noexcept = default;
InputFile &InputFile::operator=(InputFile &&other) noexcept = default;
InputFile::~InputFile() = default;

Expected<InputFile> InputFile::open(const std::string &path) {
  auto impl = std::make_unique<Impl>();
  impl->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (impl->fd < 0)
    return fail(path, errnoMessage(errno));
  struct stat info;
  if (::fstat(impl->fd, &info) != 0)
    return fail(path, errnoMessage(errno));
  if (S_ISDIR(info.st_mode))
    return fail(path, "is a directory");
  if (S_ISREG(info.st_mode))
    impl->size = static_cast<uint64_t>(info.st_size);

  // Sniff the gzip magic from the bytes themselves.
  Expected<size_t> peeked = readFully(impl->fd, impl->buffer, 2);
  if (!peeked)
    return peeked.takeError().withContext(path);
  if (*peeked < 2)
    impl->rawEnd = true;
  if (*peeked == 2 && impl->buffer[0] == 0x1f && impl->buffer[1] == 0x8b) {
    impl->gzip = true;
    // 16 + MAX_WBITS: a gzip wrapper, with its CRC and length checked.
    if (inflateInit2(&impl->zs, 16 + MAX_WBITS) != Z_OK)
      return fail(path, "cannot initialise zlib");
    impl->zlibReady = true;
    impl->zs.next_in = impl->buffer;
    impl->zs.avail_in = 2;
  } else {
    impl->pendingEnd = *peeked;
  }
  return InputFile(std::move(impl), path);
}

bool InputFile::isGzip() const { return impl->gzip; }
uint64_t InputFile::fileSize() const { return impl->size; }

Expected<size_t> InputFile::read(void *buffer, size_t size) {
  Expected<size_t> n =
      impl->gzip ? impl->readGzip(buffer, size) : impl->readPlain(buffer, size);
  if (!n)
    return n.takeError().withContext(name);
  return n;
}

Error InputFile::readExactly(void *buffer, size_t size,
                             const std::string &what) {
  Expected<size_t> n = read(buffer, size);
  if (!n)
    return n.takeError();
  if (*n != size)
    return fail(name, "truncated file (" + what + ")");
  return Error::success();
}

Error InputFile::expectEnd(const std::string &what) {
  unsigned char extra;
  Expected<size_t> n = read(&extra, 1);
  if (!n)
    return n.takeError();
  if (*n != 0)
    return fail(name, "trailing bytes after " + what);
  return Error::success();
}

Expected<std::string> InputFile::readAll(uint64_t maxBytes) {
  std::string contents;
  char chunk[kInputBufferSize];
  while (true) {
    Expected<size_t> n = read(chunk, sizeof(chunk));
    if (!n)
      return n.takeError();
    if (contents.size() + *n > maxBytes)
      return fail(name, "larger than " + std::to_string(maxBytes) + " bytes");
    contents.append(chunk, *n);
    if (*n < sizeof(chunk))
      return contents;
  }
}

Error writeFileDurably(const std::string &path, const std::string &data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0)
    return fail(path, "cannot create: " + errnoMessage(errno));
  Error written = writeRaw(fd, data.data(), data.size());
  if (!written.ok()) {
    ::close(fd);
    return fail(path, "write failed: " + written.message());
  }
  if (::fsync(fd) != 0) {
    int error = errno;
    ::close(fd);
    return fail(path, "fsync failed: " + errnoMessage(error));
  }
  if (::close(fd) != 0)
    return fail(path, "close failed: " + errnoMessage(errno));
  return Error::success();
}

Error syncDirectory(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return fail(path, "cannot open folder: " + errnoMessage(errno));
  int status = ::fsync(fd);
  int error = errno;
  ::close(fd);
  // Some file systems cannot sync a folder; nothing more can be done there.
  if (status != 0 && error != EINVAL)
    return fail(path, "fsync failed: " + errnoMessage(error));
  return Error::success();
}

std::string printableExcerpt(std::string_view bytes, size_t maxChars) {
  static const char kDigits[] = "0123456789abcdef";
  std::string text;
  for (unsigned char c : bytes) {
    if (text.size() >= maxChars)
      return text + "...";
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      text += static_cast<char>(c);
      continue;
    }
    text += "\\x";
    text += kDigits[c >> 4];
    text += kDigits[c & 0xf];
  }
  return text;
}

std::string parentDirectory(const std::string &path) {
  size_t slash = path.find_last_not_of('/');
  if (slash == std::string::npos)
    return "/";
  slash = path.rfind('/', slash);
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

Expected<std::string> followSymlinks(const std::string &path) {
  std::string current = path;
  // Linux's own bound on links followed while resolving one path.
  for (int hop = 0; hop < 40; ++hop) {
    struct stat info;
    if (::lstat(current.c_str(), &info) != 0 || !S_ISLNK(info.st_mode))
      return current;
    std::string target(static_cast<size_t>(info.st_size) + 256, '\0');
    ssize_t length = ::readlink(current.c_str(), target.data(), target.size());
    if (length < 0)
      return fail(path, "cannot read symbolic link '" + current +
                            "': " + errnoMessage(errno));
    target.resize(static_cast<size_t>(length));
    current = !target.empty() && target[0] == '/'
                  ? target
                  : parentDirectory(current) + "/" + target;
  }
  return fail(path, errnoMessage(ELOOP));
}

namespace {

/// Writes `data` into the existing stream `path` (a character device such
/// as /dev/null, or a FIFO) as cp does; such files cannot be replaced by
/// rename, nor synced.
Error writeThrough(const std::string &path, const std::string &data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(path, "cannot open: " + errnoMessage(errno));
  Error written = writeRaw(fd, data.data(), data.size());
  if (!written.ok()) {
    ::close(fd);
    return fail(path, "write failed: " + written.message());
  }
  if (::close(fd) != 0)
    return fail(path, "close failed: " + errnoMessage(errno));
  return Error::success();
}

} // namespace

Error makeFolders(const std::string &path) {
  // A link to a folder not made yet makes that folder, as the up-front
  // checks of the outputs take it (followSymlinks).
  Expected<std::string> target = followSymlinks(path);
  std::error_code ec;
  std::filesystem::create_directories(target.ok() ? *target : path, ec);
  if (ec)
    return Error::failure("cannot create '" + path + "': " + ec.message());
  return Error::success();
}

Expected<std::string> makeUniqueFolder(const std::string &prefix) {
  for (unsigned attempt = 0; attempt < 100; ++attempt) {
    std::string path = prefix + randomSuffix(attempt);
    if (::mkdir(path.c_str(), 0777) == 0)
      return path;
    int error = errno;
    if (error != EEXIST)
      return fail(prefix + "XXXXXX",
                  "cannot create folder: " + errnoMessage(error));
  }
  return fail(prefix + "XXXXXX", "cannot pick a folder name");
}

Expected<StagedFile> stageFile(const std::string &path,
                               const std::string &data) {
  // Atomic replacement only makes sense for regular files. Renaming over a
  // device or a FIFO would swap the node itself for a file (as root, even
  // /dev/null), so streams are written straight through instead: the user
  // named them to receive the bytes, and there is no old content to keep.
  // A block device or a socket is refused: nnc's outputs are never disk
  // images, and a stray -o onto a disk would destroy it.
  struct stat info;
  if (::stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode)) {
    if (S_ISCHR(info.st_mode) || S_ISFIFO(info.st_mode)) {
      if (Error error = writeThrough(path, data); !error.ok())
        return error;
      return StagedFile{path, "", ""};
    }
    if (S_ISDIR(info.st_mode))
      return fail(path, "is a directory");
    if (S_ISBLK(info.st_mode))
      return fail(path, "is a block device; refusing to overwrite it");
    return fail(path, "not a regular file, character device or FIFO");
  }
  // Through a symbolic link, the link's target is what the user means to
  // update: the new file is written and renamed beside it, and the link
  // stays.
  Expected<std::string> target = followSymlinks(path);
  if (!target)
    return target.takeError();
  const std::string &finalPath = *target;

  std::string tempPath;
  int fd = -1;
  for (unsigned attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    tempPath = finalPath + ".tmp." + randomSuffix(attempt);
    fd =
        ::open(tempPath.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    // The temporary name is an implementation detail: the user named
    // `path`, and the reason (a missing folder, no permission) is its.
    if (fd < 0 && errno != EEXIST)
      return fail(path, "cannot create: " + errnoMessage(errno));
  }
  if (fd < 0)
    return fail(path, "cannot pick a temporary file name");
  auto abandon = [&](const std::string &message) {
    ::unlink(tempPath.c_str());
    return fail(path, message);
  };
  // A file replaced keeps its permission bits (a script made executable, a
  // file kept private), as an edit in place would.
  struct stat old;
  if (::stat(finalPath.c_str(), &old) == 0 && S_ISREG(old.st_mode))
    (void)::fchmod(fd, old.st_mode & 07777);
  Error written = writeRaw(fd, data.data(), data.size());
  if (!written.ok()) {
    ::close(fd);
    return abandon("write failed: " + written.message());
  }
  if (::fsync(fd) != 0) {
    int error = errno;
    ::close(fd);
    return abandon("fsync failed: " + errnoMessage(error));
  }
  if (::close(fd) != 0)
    return abandon("close failed: " + errnoMessage(errno));
  return StagedFile{path, tempPath, finalPath};
}

void discardStagedFiles(const std::vector<StagedFile> &files) {
  for (const StagedFile &file : files)
    if (!file.tempPath.empty())
      ::unlink(file.tempPath.c_str());
}

Error commitStagedFiles(const std::vector<StagedFile> &files) {
  std::vector<std::string> folders;
  for (size_t i = 0; i < files.size(); ++i) {
    const StagedFile &file = files[i];
    if (file.tempPath.empty())
      continue;
    if (::rename(file.tempPath.c_str(), file.finalPath.c_str()) != 0) {
      int error = errno;
      discardStagedFiles(
          {files.begin() + static_cast<ptrdiff_t>(i), files.end()});
      return fail(file.path, "rename failed: " + errnoMessage(error));
    }
    std::string folder = parentDirectory(file.finalPath);
    if (std::find(folders.begin(), folders.end(), folder) == folders.end())
      folders.push_back(folder);
  }
  for (const std::string &folder : folders)
    if (Error error = syncDirectory(folder); !error.ok())
      return error;
  return Error::success();
}

Error writeFileAtomically(const std::string &path, const std::string &data) {
  Expected<StagedFile> staged = stageFile(path, data);
  if (!staged)
    return staged.takeError();
  return commitStagedFiles({*staged});
}

} // namespace nnc::rt
