//===- ExternalData.cpp - Initializers kept in files beside the model -----===//

#include "onnx/ExternalData.h"

#include "runtime/FileIO.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <map>
#include <optional>

namespace nnc::onnx {
namespace {

using ::onnx::TensorProto;

/// An external-data path must stay inside the model's folder: a model
/// downloaded from elsewhere must not make nnc read `/etc/shadow`.
bool isContainedRelativePath(const std::string &location) {
  if (location.empty() || location.front() == '/')
    return false;
  size_t start = 0;
  while (start <= location.size()) {
    size_t end = location.find('/', start);
    if (end == std::string::npos)
      end = location.size();
    if (location.compare(start, end - start, "..") == 0 && end - start == 2)
      return false;
    start = end + 1;
  }
  return true;
}

/// An external data file, open for the whole import.
struct OpenDataFile {
  int fd = -1;
  uint64_t size = 0;
};

/// The external data files of one import, each opened at its first use and
/// closed when the import is done with them.
class DataFiles {
public:
  DataFiles() = default;
  DataFiles(const DataFiles &) = delete;
  DataFiles &operator=(const DataFiles &) = delete;
  ~DataFiles() {
    for (auto &[path, file] : opened)
      ::close(file.fd);
  }

  /// The open file at `path`, the model's `location`; an error starting
  /// with `where` when it cannot be opened or is not a regular file.
  rt::Expected<OpenDataFile> open(const std::string &path,
                                  const std::string &location,
                                  const std::string &where) {
    auto found = opened.find(path);
    if (found != opened.end())
      return found->second;
    // O_NONBLOCK: opening a FIFO must not wait for a writer forever; it is
    // then refused below, as is a device, which has no end: only regular
    // files hold weights.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
      return rt::Error::failure(where + ": missing external data: " + path +
                                ": " + rt::errnoMessage(errno));
    struct stat info;
    if (::fstat(fd, &info) != 0) {
      int error = errno;
      ::close(fd);
      return rt::Error::failure(where + ": missing external data: " + path +
                                ": " + rt::errnoMessage(error));
    }
    if (!S_ISREG(info.st_mode)) {
      ::close(fd);
      return rt::Error::failure(where + ": external data '" + location +
                                "' is not a regular file");
    }
    OpenDataFile file{fd, static_cast<uint64_t>(info.st_size)};
    opened.emplace(path, file);
    return file;
  }

private:
  std::map<std::string, OpenDataFile> opened;
};

/// Reads `length` bytes at `offset` of `file`, which holds them.
rt::Expected<std::string> readRange(const OpenDataFile &file, uint64_t offset,
                                    uint64_t length) {
  std::string bytes(length, '\0');
  uint64_t done = 0;
  while (done < length) {
    ssize_t got = ::pread(file.fd, bytes.data() + done, length - done,
                          static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return rt::Error::failure(rt::errnoMessage(errno));
    // The file shrank since it was measured.
    if (got == 0)
      return rt::Error::failure("the file ends early");
    done += static_cast<uint64_t>(got);
  }
  return bytes;
}

/// `text` as a count of bytes: decimal digits alone, as ONNX writes an
/// offset or length. strtoull would take "-5" for 2^64 - 5 and "abc" for 0.
std::optional<uint64_t> byteCount(const std::string &text) {
  uint64_t value = 0;
  auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

} // namespace

rt::Error readExternalData(::onnx::GraphProto &graph,
                           const std::string &displayName,
                           const std::string &modelFolder,
                           std::vector<std::string> &files) {
  DataFiles dataFiles;
  for (TensorProto &tensor : *graph.mutable_initializer()) {
    if (tensor.data_location() != TensorProto::EXTERNAL)
      continue;
    std::string where = displayName + ": initializer '" + tensor.name() + "'";
    std::string location;
    std::optional<uint64_t> offset, length;
    for (const auto &entry : tensor.external_data()) {
      if (entry.key() == "location") {
        location = entry.value();
        continue;
      }
      if (entry.key() != "offset" && entry.key() != "length")
        continue;
      std::optional<uint64_t> count = byteCount(entry.value());
      if (!count)
        return rt::Error::failure(where + ": external data " + entry.key() +
                                  " '" + entry.value() +
                                  "' is not a count of bytes");
      (entry.key() == "offset" ? offset : length) = count;
    }
    if (modelFolder.empty())
      return rt::Error::failure(where + " keeps its data in an external file, "
                                        "which a model held in memory cannot "
                                        "reach");
    if (!isContainedRelativePath(location))
      return rt::Error::failure(where + ": external data location '" +
                                location +
                                "' is not a path inside the "
                                "model's folder");
    std::string path = modelFolder + "/" + location;
    rt::Expected<OpenDataFile> file = dataFiles.open(path, location, where);
    if (!file.ok())
      return file.takeError();
    if (std::find(files.begin(), files.end(), path) == files.end())
      files.push_back(path);
    uint64_t start = offset.value_or(0);
    uint64_t available = file->size > start ? file->size - start : 0;
    uint64_t wanted = length.value_or(available);
    if (start > file->size || wanted > available)
      return rt::Error::failure(where + ": its external data (" +
                                std::to_string(wanted) + " bytes at offset " +
                                std::to_string(start) +
                                ") runs past the end of '" + path + "' (" +
                                std::to_string(file->size) + " bytes)");
    rt::Expected<std::string> bytes = readRange(*file, start, wanted);
    if (!bytes.ok())
      return rt::Error::failure(where + ": cannot read external data '" + path +
                                "': " + bytes.message());
    tensor.set_raw_data(std::move(*bytes));
    tensor.clear_external_data();
    tensor.set_data_location(TensorProto::DEFAULT);
  }
  return rt::Error::success();
}

} // namespace nnc::onnx
