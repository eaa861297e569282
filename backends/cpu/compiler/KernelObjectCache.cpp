//===- KernelObjectCache.cpp - Compiled kernels on disk -------------------===//

#include "backends/cpu/compiler/KernelObjectCache.h"

#include "backends/cpu/gemm/CacheFolder.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <array>
#include <cstdlib>
#include <cstring>
#include <elf.h>
#include <link.h>

using namespace nnc::cpu;

namespace {

/// dl_iterate_phdr's visitor: the build ID note of the loaded object whose
/// segments hold `context->address`.
struct BuildIdSearch {
  uintptr_t address = 0;
  std::string id;
};

int findBuildId(dl_phdr_info *info, size_t, void *data) {
  auto *search = static_cast<BuildIdSearch *>(data);
  bool holdsAddress = false;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) &segment = info->dlpi_phdr[i];
    uintptr_t start = info->dlpi_addr + segment.p_vaddr;
    if (segment.p_type == PT_LOAD && search->address >= start &&
        search->address < start + segment.p_memsz)
      holdsAddress = true;
  }
  if (!holdsAddress)
    return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) &segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_NOTE)
      continue;
    const char *note =
        reinterpret_cast<const char *>(info->dlpi_addr + segment.p_vaddr);
    const char *end = note + segment.p_memsz;
    while (note + sizeof(ElfW(Nhdr)) <= end) {
      const auto *header = reinterpret_cast<const ElfW(Nhdr) *>(note);
      const char *name = note + sizeof(ElfW(Nhdr));
      const char *desc = name + ((header->n_namesz + 3) & ~3u);
      if (header->n_type == NT_GNU_BUILD_ID && header->n_namesz == 4 &&
          std::memcmp(name, "GNU", 4) == 0 && desc + header->n_descsz <= end)
        search->id = llvm::toHex(llvm::StringRef(desc, header->n_descsz),
                                 /*LowerCase=*/true);
      note = desc + ((header->n_descsz + 3) & ~3u);
    }
  }
  return 1;
}

// An entry: the magic, the SHA-256 of the object, the object's bytes.
constexpr char kMagic[8] = {'N', 'N', 'C', 'O', 'B', 'J', '0', '1'};
constexpr size_t kDigest = 32;

bool logEnabled() {
  const char *value = std::getenv("NNC_CPU_CACHE_LOG");
  return value && std::strcmp(value, "1") == 0;
}

void log(llvm::StringRef what, llvm::StringRef name) {
  if (logEnabled())
    llvm::errs() << "nnc-cpu-cache: " << what << " " << name << "\n";
}

std::string digestOf(llvm::StringRef bytes) {
  std::array<uint8_t, 32> digest = llvm::SHA256::hash(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()));
  return std::string(reinterpret_cast<const char *>(digest.data()),
                     digest.size());
}

} // namespace

KernelObjectCache::KernelObjectCache(llvm::StringRef keyText, bool enabled) {
  if (!enabled || cacheDisabledByEnvironment())
    return;
  std::string folder = cpuCacheFolder();
  if (folder.empty())
    return;
  name = llvm::toHex(digestOf(keyText), /*LowerCase=*/true);
  llvm::SmallString<256> file(folder);
  llvm::sys::path::append(file, name + ".o");
  path = std::string(file);
}

std::optional<std::string> KernelObjectCache::load() {
  if (path.empty())
    return std::nullopt;
  // Only a regular file is an entry: opening a FIFO or a device put in its
  // place would block or read without end. The next store replaces it.
  llvm::sys::fs::file_status status;
  if (!llvm::sys::fs::status(path, status) &&
      status.type() != llvm::sys::fs::file_type::regular_file) {
    log("damaged", name);
    return std::nullopt;
  }
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    log("miss", name);
    return std::nullopt;
  }
  llvm::StringRef bytes = (*buffer)->getBuffer();
  size_t header = sizeof(kMagic) + kDigest;
  if (bytes.size() <= header ||
      std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0 ||
      digestOf(bytes.drop_front(header)) !=
          bytes.substr(sizeof(kMagic), kDigest)) {
    log("damaged", name);
    return std::nullopt;
  }
  log("hit", name);
  return bytes.drop_front(header).str();
}

void KernelObjectCache::store(llvm::StringRef object) {
  if (path.empty())
    return;
  if (llvm::sys::fs::create_directories(llvm::sys::path::parent_path(path)))
    return;
  std::string temporary =
      path + ".tmp" + std::to_string(llvm::sys::Process::getProcessId());
  {
    std::error_code error;
    llvm::raw_fd_ostream os(temporary, error, llvm::sys::fs::OF_None);
    if (error)
      return;
    os.write(kMagic, sizeof(kMagic));
    os << digestOf(object);
    os << object;
    os.close();
    if (os.has_error()) {
      os.clear_error();
      llvm::sys::fs::remove(temporary);
      return;
    }
  }
  if (llvm::sys::fs::rename(temporary, path))
    llvm::sys::fs::remove(temporary);
  else
    log("stored", name);
}

void KernelObjectCache::reportUnusable() { log("unusable", name); }

const std::string &nnc::cpu::pluginBuildId() {
  static const std::string id = [] {
    BuildIdSearch search;
    search.address = reinterpret_cast<uintptr_t>(&findBuildId);
    dl_iterate_phdr(findBuildId, &search);
    return search.id;
  }();
  return id;
}
