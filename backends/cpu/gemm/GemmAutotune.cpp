//===- GemmAutotune.cpp - GEMM choices measured on the CPU itself ---------===//

#include "backends/cpu/gemm/GemmAutotune.h"

#include "backends/cpu/gemm/CacheFolder.h"
#include "backends/cpu/gemm/MicroKernel.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace nnc::cpu {

namespace {

constexpr int64_t kFewestTiles = 2, kMostTiles = 8;
/// Runs of each way at each count; the fastest counts, which leaves out
/// the runs another process interrupted.
constexpr int kRuns = 7;

/// The file name's part for `text`: letters, digits and dashes.
std::string fileNamePart(const std::string &text) {
  std::string part;
  for (char c : text)
    part += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  return part;
}

/// Where the record for these kernels on this CPU model lives.
std::string recordPath(const std::string &folder, const GemmKernels &kernels) {
  return folder + "/gemm-tuning-" + fileNamePart(hostCpuModel()) + "-" +
         fileNamePart(kernels.target) + "-" +
         std::to_string(kernels.kernels.mr) + "x" +
         std::to_string(kernels.kernels.nr);
}

/// The seconds `kernels` takes for one product of `rows` rows.
double secondsFor(const GemmKernels &kernels, GemmProblem p, int64_t rows) {
  p.m = rows;
  auto start = std::chrono::steady_clock::now();
  gemmBlock(kernels, p, 0, rows, 0, p.n);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

bool makeFolders(const std::string &path) {
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    std::string prefix = path.substr(0, slash);
    if (mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST)
      return false;
    if (slash == std::string::npos)
      return true;
  }
}

} // namespace

std::string hostCpuModel() {
#if defined(__x86_64__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx))
    return "unknown";
  char vendor[13] = {};
  std::copy_n(reinterpret_cast<const char *>(&ebx), 4, vendor);
  std::copy_n(reinterpret_cast<const char *>(&edx), 4, vendor + 4);
  std::copy_n(reinterpret_cast<const char *>(&ecx), 4, vendor + 8);
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
    return vendor;
  // The displayed family and model, with the extended fields as the
  // vendors define them.
  unsigned family = (eax >> 8) & 0xf, model = (eax >> 4) & 0xf;
  if (family == 0xf)
    family += (eax >> 20) & 0xff;
  if (family == 0x6 || family >= 0xf)
    model += ((eax >> 16) & 0xf) << 4;
  return std::string(vendor) + " family " + std::to_string(family) + " model " +
         std::to_string(model);
#else
  return "unknown";
#endif
}

int64_t measureInPlaceRowTiles(const GemmKernels &kernels) {
  const int64_t mr = kernels.kernels.mr, k = 256, n = 512;
  std::vector<float> a(static_cast<size_t>(kMostTiles * mr * k)),
      b(static_cast<size_t>(k * n)),
      c(static_cast<size_t>(kMostTiles * mr * n));
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = static_cast<float>(i % 7) * 0.25f;
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = static_cast<float>(i % 5) * 0.5f;
  GemmProblem p;
  p.n = n;
  p.k = k;
  p.a = a.data();
  p.lda = k;
  p.b = b.data();
  p.ldb = n;
  p.c = c.data();
  p.ldc = n;
  GemmKernels packing = kernels, inPlace = kernels;
  packing.bInPlaceRowTiles = 0;
  inPlace.bInPlaceRowTiles = kMostTiles;
  // Untimed: the first products page in the operands and the scratch.
  secondsFor(packing, p, kMostTiles * mr);
  secondsFor(inPlace, p, kMostTiles * mr);
  int64_t chosen = kFewestTiles;
  for (int64_t tiles = kFewestTiles + 1; tiles <= kMostTiles; ++tiles) {
    double packed = std::numeric_limits<double>::infinity(), read = packed;
    for (int run = 0; run < kRuns; ++run) {
      packed = std::min(packed, secondsFor(packing, p, tiles * mr));
      read = std::min(read, secondsFor(inPlace, p, tiles * mr));
    }
    if (read > packed)
      break;
    chosen = tiles;
  }
  return chosen;
}

int64_t inPlaceRowTilesRecordedIn(const std::string &folder,
                                  const GemmKernels &kernels) {
  if (folder.empty())
    return measureInPlaceRowTiles(kernels);
  std::string path = recordPath(folder, kernels);
  // Only a regular file is a record: opening a FIFO or a device put in
  // its place would block or never end.
  struct stat info;
  if (::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode)) {
    std::ifstream in(path);
    std::string name;
    int64_t tiles = 0;
    if (in >> name >> tiles && name == "b_in_place_row_tiles" &&
        tiles >= kFewestTiles && tiles <= kMostTiles)
      return tiles;
  }
  int64_t tiles = measureInPlaceRowTiles(kernels);
  // A record that cannot be written costs the next process a measurement,
  // nothing more.
  if (!makeFolders(folder))
    return tiles;
  std::string temporary = path + ".tmp" + std::to_string(getpid());
  {
    std::ofstream out(temporary);
    out << "b_in_place_row_tiles " << tiles << "\n";
    if (!out.flush()) {
      std::remove(temporary.c_str());
      return tiles;
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0)
    std::remove(temporary.c_str());
  return tiles;
}

void tuneForHost(GemmKernels &kernels, bool diskCache) {
  static std::mutex mutex;
  static std::map<std::string, int64_t> *known =
      new std::map<std::string, int64_t>;
  std::string key = kernels.target + " " + std::to_string(kernels.kernels.mr) +
                    "x" + std::to_string(kernels.kernels.nr);
  int64_t tiles;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = known->find(key);
    if (it == known->end())
      it = known
               ->emplace(key, inPlaceRowTilesRecordedIn(
                                  diskCache && !cacheDisabledByEnvironment()
                                      ? cpuCacheFolder()
                                      : std::string(),
                                  kernels))
               .first;
    tiles = it->second;
  }
  kernels.bInPlaceRowTiles = tiles;
  kernels.description +=
      " b-in-place<=" + std::to_string(tiles) + " tiles (measured)";
}

} // namespace nnc::cpu
