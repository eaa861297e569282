//===- Checkpoint.cpp - Atomic training checkpoints -----------------------===//

#include "runtime/Checkpoint.h"

#include "runtime/CheckpointLock.h"
#include "runtime/Crc32.h"

#include "runtime/FileIO.h"
#include "runtime/Npy.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>
#include <system_error>
#include <thread>
#include <type_traits>
#include <variant>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace nnc::rt {

namespace {

constexpr int64_t kFormatVersion = 1;
constexpr char kStateFile[] = "state.json";
/// What the folders a write makes beside DIR add to its name: the new
/// checkpoint while it is written, the old one while it is replaced.
constexpr char kTempKind[] = ".nnc-tmp-";
constexpr char kOldKind[] = ".nnc-old-";
constexpr char kReserved[] = "nnc.";
/// state.json holds a few numbers per tensor; anything larger is corrupt.
constexpr uint64_t kMaxStateBytes = 64 << 20;

Error fail(const std::string &path, const std::string &message) {
  return Error::failure(path + ": " + message);
}

std::string sizeKey(const std::string &name) {
  return std::string(kReserved) + "tensor." + name + ".bytes";
}
std::string crcKey(const std::string &name) {
  return std::string(kReserved) + "tensor." + name + ".crc32";
}

bool validName(const std::string &name) {
  if (name.empty() || name[0] == '.')
    return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
          c == '.'))
      return false;
  return true;
}

std::string stripTrailingSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/')
    path.pop_back();
  return path;
}

std::string baseName(const std::string &path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool isDirectory(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

/// DIR/state.json, parsed and of this format.
Expected<JsonObject> readState(const std::string &dir) {
  std::string statePath = dir + "/" + kStateFile;
  Expected<InputFile> stateFile = InputFile::open(statePath);
  if (!stateFile) {
    if (!isDirectory(dir))
      return fail(dir, "not a checkpoint folder");
    return fail(statePath, "missing or unreadable: " + stateFile.message());
  }
  Expected<std::string> stateText = stateFile->readAll(kMaxStateBytes);
  if (!stateText)
    return stateText.takeError();
  Expected<JsonObject> state = JsonObject::parse(*stateText, statePath);
  if (!state)
    return state.takeError();
  Expected<int64_t> format = state->getInteger("nnc.format");
  if (!format)
    return fail(statePath, "not a checkpoint: " + format.message());
  if (*format != kFormatVersion)
    return fail(statePath, "unsupported checkpoint format " +
                               std::to_string(*format) + " (expected " +
                               std::to_string(kFormatVersion) + ")");
  return state;
}

/// The tensors `state` (read from `statePath`) lists, each NAME.npy in
/// the checkpoint's folder.
Expected<std::vector<std::string>> tensorNames(const JsonObject &state,
                                               const std::string &statePath) {
  Expected<std::string> list = state.getString("nnc.tensors");
  if (!list)
    return fail(statePath, list.message());
  std::vector<std::string> names;
  std::set<std::string> seen;
  size_t start = 0;
  while (!list->empty() && start <= list->size()) {
    size_t comma = list->find(',', start);
    std::string name = list->substr(start, comma - start);
    start = comma == std::string::npos ? list->size() + 1 : comma + 1;
    if (!validName(name) || !seen.insert(name).second)
      return fail(statePath, "bad tensor name '" + name + "' in nnc.tensors");
    names.push_back(name);
  }
  return names;
}

/// True when `dir` may be replaced: it is empty, or it holds a checkpoint
/// and nothing else: its state.json and the .npy files that lists. A file
/// a person put there (data, saved parameters) would go with it.
Error checkReplaceable(const std::string &dir) {
  std::error_code ec;
  if (fs::is_empty(dir, ec) && !ec)
    return Error::success();
  const char *refusal =
      "exists and is not a checkpoint; refusing to replace it";
  Expected<JsonObject> state = readState(dir);
  // A state.json that does not read (damaged, or of another format) is
  // named: the folder may hold a checkpoint worth keeping.
  if (!state)
    return fail(dir, holdsCheckpointState(dir)
                         ? std::string(refusal) + " (" + state.message() + ")"
                         : std::string(refusal));
  Expected<std::vector<std::string>> listed =
      tensorNames(*state, dir + "/" + kStateFile);
  if (!listed)
    return fail(dir, refusal);
  std::set<std::string> files = {kStateFile};
  for (const std::string &name : *listed)
    files.insert(name + ".npy");
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!files.count(name) || !it->is_regular_file(ec))
      return fail(dir, "holds " + name +
                           ", which is not part of its checkpoint; refusing "
                           "to replace the folder (move " +
                           name + " out of it, or checkpoint elsewhere)");
  }
  if (ec)
    return fail(dir, "cannot list folder: " + errnoMessage(ec.value()));
  return Error::success();
}

/// Whether `entry`, next to the checkpoint folder named `base`, is a folder
/// writeCheckpoint made and an interruption left: named exactly as
/// makeUniqueFolder names them, `BASE.nnc-tmp-XXXXXX` or
/// `BASE.nnc-old-XXXXXX` (`kind` is kTempKind or kOldKind: names a person
/// does not give a copy, as `ck.old-backup` is), a real folder (no link),
/// and holding
/// nothing but a checkpoint's files and their unfinished temporaries. A
/// user's own `ck.old-best` copy, or a notes file, is none of these.
bool isCheckpointLeftover(const fs::directory_entry &entry,
                          const std::string &base, const char *kind) {
  std::string name = entry.path().filename().string();
  std::string prefix = base + kind;
  if (name.size() != prefix.size() + 6 ||
      name.compare(0, prefix.size(), prefix))
    return false;
  if (!std::all_of(name.begin() + prefix.size(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c));
      }))
    return false;
  std::error_code ec;
  if (!entry.is_directory(ec) || entry.is_symlink(ec))
    return false;
  for (fs::directory_iterator it(entry.path(), ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string file = it->path().filename().string();
    bool ours =
        file == kStateFile ||
        file.rfind(std::string(kStateFile) + ".tmp.", 0) == 0 ||
        (file.size() > 4 && file.compare(file.size() - 4, 4, ".npy") == 0) ||
        file.find(".npy.tmp.") != std::string::npos;
    if (!ours || !it->is_regular_file(ec))
      return false;
  }
  return !ec;
}

/// Removes leftovers of interrupted writes next to `dir` (see
/// isCheckpointLeftover). Best effort.
void removeLeftovers(const std::string &dir) {
  std::string base = baseName(dir);
  std::error_code ec;
  std::vector<fs::path> doomed;
  for (fs::directory_iterator it(parentDirectory(dir), ec), end;
       !ec && it != end; it.increment(ec))
    if (isCheckpointLeftover(*it, base, kTempKind) ||
        isCheckpointLeftover(*it, base, kOldKind))
      doomed.push_back(it->path());
  for (const fs::path &path : doomed)
    fs::remove_all(path, ec);
}

/// Writes every file of the checkpoint into the empty folder `tmp`.
Error writeContents(const std::string &tmp,
                    const std::vector<NamedTensorView> &tensors,
                    const JsonObject &state) {
  JsonObject full = state;
  std::string names;
  for (const auto &[name, view] : tensors) {
    std::string path = tmp + "/" + name + ".npy";
    Expected<std::string> image = encodeNpy(view);
    if (!image)
      return image.takeError().withContext(path);
    if (Error error = writeFileDurably(path, *image); !error.ok())
      return error;
    full.setInteger(sizeKey(name), static_cast<int64_t>(image->size()));
    full.setInteger(crcKey(name), crc32Of(image->data(), image->size()));
    names += (names.empty() ? "" : ",") + name;
  }
  full.setInteger(std::string(kReserved) + "format", kFormatVersion);
  full.setString(std::string(kReserved) + "tensors", names);
  if (Error error = writeFileDurably(tmp + "/" + kStateFile, full.toJson());
      !error.ok())
    return error;
  return syncDirectory(tmp);
}

Expected<Checkpoint> readFolder(const std::string &dir) {
  std::string statePath = dir + "/" + kStateFile;
  Expected<JsonObject> state = readState(dir);
  if (!state)
    return state.takeError();
  Expected<std::vector<std::string>> names = tensorNames(*state, statePath);
  if (!names)
    return names.takeError();

  Checkpoint checkpoint;
  checkpoint.path = dir;
  for (const std::string &name : *names) {
    std::string path = dir + "/" + name + ".npy";
    Expected<int64_t> size = state->getInteger(sizeKey(name));
    Expected<int64_t> crc = state->getInteger(crcKey(name));
    if (!size || !crc || *size < 0)
      return fail(statePath,
                  "no valid size and checksum for tensor '" + name + "'");
    Expected<InputFile> file = InputFile::open(path);
    if (!file) {
      if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT)
        return fail(path,
                    "missing (listed in " + std::string(kStateFile) + ")");
      return file.takeError();
    }
    Expected<std::string> bytes =
        file->readAll(static_cast<uint64_t>(*size) + 1);
    if (!bytes && bytes.message().find("larger than") == std::string::npos)
      return bytes.takeError();
    if (!bytes || bytes->size() != static_cast<uint64_t>(*size))
      return fail(path, "size differs from the " + std::to_string(*size) +
                            " bytes recorded (truncated or corrupt file)");
    if (crc32Of(bytes->data(), bytes->size()) != static_cast<uint64_t>(*crc))
      return fail(path, "checksum mismatch (corrupt file)");
    Expected<Tensor> tensor = parseNpy(bytes->data(), bytes->size(), path);
    if (!tensor)
      return tensor.takeError();
    checkpoint.tensors.emplace_back(name, std::move(*tensor));
  }

  for (const auto &[key, value] : state->values())
    if (key.compare(0, 4, kReserved) != 0)
      std::visit(
          [&, &key = key](const auto &v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, int64_t>)
              checkpoint.state.setInteger(key, v);
            else if constexpr (std::is_same_v<T, double>)
              checkpoint.state.setNumber(key, v);
            else
              checkpoint.state.setString(key, v);
          },
          value);
  return checkpoint;
}

} // namespace

const Tensor *Checkpoint::tensor(const std::string &name) const {
  for (const auto &[saved, value] : tensors)
    if (saved == name)
      return &value;
  return nullptr;
}

Error writeCheckpoint(const std::string &path,
                      const std::vector<NamedTensorView> &tensors,
                      const JsonObject &state) {
  std::string dir = checkpointFolder(path);
  std::set<std::string> names;
  for (const auto &[name, view] : tensors) {
    if (!validName(name))
      return fail(dir, "invalid tensor name '" + name +
                           "' (letters, digits, '_', '-', '.'; not first '.')");
    if (!names.insert(name).second)
      return fail(dir, "duplicate tensor name '" + name + "'");
  }
  for (const auto &entry : state.values())
    if (entry.first.compare(0, 4, kReserved) == 0)
      return fail(dir, "state key '" + entry.first +
                           "' uses the reserved prefix 'nnc.'");

  if (Error error = checkCheckpointTarget(dir); !error.ok())
    return error;
  struct stat info;
  bool exists = ::lstat(dir.c_str(), &info) == 0;

  // 1. Everything into a fresh temporary folder, fsynced.
  Expected<std::string> tmp = makeUniqueFolder(dir + kTempKind);
  if (!tmp)
    return tmp.takeError();
  std::error_code ec;
  if (Error error = writeContents(*tmp, tensors, state); !error.ok()) {
    fs::remove_all(*tmp, ec);
    return error;
  }

  // 2. The new one swapped with the old in one step where the file system
  // can (Linux's RENAME_EXCHANGE): the folder never goes missing, even to
  // a crash. The old one, now at the temporary name, goes with the
  // leftovers.
  if (exists && ::renameat2(AT_FDCWD, tmp->c_str(), AT_FDCWD, dir.c_str(),
                            RENAME_EXCHANGE) == 0) {
    if (Error error = syncDirectory(parentDirectory(dir)); !error.ok())
      return error;
    removeLeftovers(dir);
    return Error::success();
  }

  // Elsewhere, the old checkpoint out of the way first (renaming over an
  // empty folder is atomic and keeps the name unique).
  std::string old;
  if (exists) {
    Expected<std::string> oldDir = makeUniqueFolder(dir + kOldKind);
    if (!oldDir) {
      fs::remove_all(*tmp, ec);
      return oldDir.takeError();
    }
    old = *oldDir;
    if (::rename(dir.c_str(), old.c_str()) != 0) {
      int error = errno;
      fs::remove_all(*tmp, ec);
      ::rmdir(old.c_str());
      return fail(dir, "cannot move the old checkpoint away: " +
                           errnoMessage(error));
    }
  }

  // 3. The new one into place, then the renames persisted.
  if (::rename(tmp->c_str(), dir.c_str()) != 0) {
    int error = errno;
    if (exists)
      (void)::rename(old.c_str(), dir.c_str());
    fs::remove_all(*tmp, ec);
    return fail(dir, "cannot move the new checkpoint into place: " +
                         errnoMessage(error));
  }
  if (Error error = syncDirectory(parentDirectory(dir)); !error.ok())
    return error;

  // 4. The old checkpoint and leftovers of earlier crashes.
  removeLeftovers(dir);
  return Error::success();
}

/// The checkpoint at `dir`, or the one a crash between the two renames
/// of writeCheckpoint left under DIR.nnc-old-*.
Expected<Checkpoint> readLatest(const std::string &dir) {
  if (::access(dir.c_str(), F_OK) == 0 || errno != ENOENT)
    return readFolder(dir);

  // A crash between the two renames of writeCheckpoint leaves the previous
  // checkpoint complete under DIR.nnc-old-*.
  std::string base = baseName(dir);
  std::vector<std::string> candidates;
  std::error_code ec;
  for (fs::directory_iterator it(parentDirectory(dir), ec), end;
       !ec && it != end; it.increment(ec))
    if (isCheckpointLeftover(*it, base, kOldKind))
      candidates.push_back(it->path().string());
  std::sort(candidates.begin(), candidates.end());
  for (const std::string &candidate : candidates) {
    Expected<Checkpoint> checkpoint = readFolder(candidate);
    if (checkpoint)
      return checkpoint;
  }
  return fail(dir, "no checkpoint (no such folder)");
}

Expected<Checkpoint> readCheckpoint(const std::string &path) {
  std::string dir = checkpointFolder(path);
  Expected<Checkpoint> checkpoint = readLatest(dir);
  // A run writing the folder may replace it while it is read, which reads
  // as damage; a moment later the folder is whole again. Damage that stays
  // while that run writes is still named as it is, with the writer.
  for (int attempt = 0; !checkpoint && attempt < 20; ++attempt) {
    if (!CheckpointLock::otherWriterOf(dir))
      return checkpoint;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    checkpoint = readLatest(dir);
  }
  if (checkpoint)
    return checkpoint;
  std::optional<std::string> writer = CheckpointLock::otherWriterOf(dir);
  if (!writer)
    return checkpoint;
  return Error::failure(
      checkpoint.takeError().message() + " (a running nnc train" +
      (writer->empty() ? std::string() : ", process " + *writer) +
      ", is writing checkpoints there)");
}

Error checkCheckpointTarget(const std::string &path) {
  std::string dir = checkpointFolder(path);
  struct stat info;
  bool exists = ::lstat(dir.c_str(), &info) == 0;
  if (!exists && errno != ENOENT)
    return fail(dir, errnoMessage(errno));
  if (exists && !S_ISDIR(info.st_mode))
    return fail(dir, "exists and is not a folder");
  if (!exists)
    return Error::success();
  // A checkpoint replaces the folder by renaming, which a mount point
  // refuses: found now, not at the first checkpoint after an epoch.
  struct stat parent;
  if (::stat(parentDirectory(dir).c_str(), &parent) == 0 &&
      parent.st_dev != info.st_dev)
    return fail(dir, "is a mount point, which a checkpoint cannot replace "
                     "(it is renamed into place); give a folder inside it");
  return checkReplaceable(dir);
}

bool holdsCheckpointState(const std::string &dir) {
  return ::access((dir + "/" + kStateFile).c_str(), F_OK) == 0;
}

std::string checkpointFolder(const std::string &path) {
  std::string dir = stripTrailingSlashes(path);
  Expected<std::string> target = followSymlinks(dir);
  if (!target.ok() || *target == dir)
    return dir;
  std::error_code ec;
  fs::file_status status = fs::status(*target, ec);
  if (fs::exists(status) && !fs::is_directory(status))
    return dir; // a link to a file: refused as not a folder
  fs::path absolute = fs::weakly_canonical(*target, ec);
  return ec ? *target : absolute.string();
}

} // namespace nnc::rt
