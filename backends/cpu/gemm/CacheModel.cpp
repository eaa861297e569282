//===- CacheModel.cpp - GEMM blocking from the CPU's caches ---------------===//

#include "backends/cpu/gemm/CacheModel.h"

#include <algorithm>
#include <fstream>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define NNC_HAVE_CPUID 1
#endif

namespace nnc::cpu {
namespace {

constexpr int64_t kKiB = 1024;
/// The AVX-512 register tile, the widest (MicroKernelJit.cpp).
constexpr int64_t kWidestMr = 12, kWidestNr = 32;

#ifdef NNC_HAVE_CPUID
/// Reads the deterministic cache parameters of `leaf` (4 on Intel,
/// 0x8000001D on AMD: the same layout). False when the leaf is absent.
bool readCpuidCaches(unsigned leaf, CpuCaches &caches) {
  unsigned eax, ebx, ecx, edx;
  unsigned maxLeaf = __get_cpuid_max(leaf & 0x80000000u, nullptr);
  if (maxLeaf < leaf)
    return false;
  bool found = false;
  for (unsigned index = 0; index < 16; ++index) {
    __cpuid_count(leaf, index, eax, ebx, ecx, edx);
    unsigned type = eax & 0x1f; // 0: no more caches; 1 data, 2 code, 3 both.
    if (type == 0)
      break;
    if (type == 2)
      continue;
    unsigned level = (eax >> 5) & 0x7;
    int sharing = static_cast<int>(((eax >> 14) & 0xfff) + 1);
    int64_t ways = ((ebx >> 22) & 0x3ff) + 1;
    int64_t partitions = ((ebx >> 12) & 0x3ff) + 1;
    int64_t lineSize = (ebx & 0xfff) + 1;
    int64_t sets = static_cast<int64_t>(ecx) + 1;
    int64_t bytes = ways * partitions * lineSize * sets;
    if (level == 1)
      caches.l1dBytes = bytes;
    else if (level == 2)
      caches.l2Bytes = bytes;
    else if (level == 3) {
      caches.l3Bytes = bytes;
      caches.l3SharedBy = sharing;
    }
    found = true;
  }
  return found;
}

CpuCaches cpuidCaches() {
  CpuCaches caches;
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx))
    return caches;
  // The vendor string is EBX, EDX, ECX: "AuthenticAMD" / "HygonGenuine"
  // report through the extended leaf, others through leaf 4.
  bool amd = ebx == 0x68747541u || ebx == 0x6f677948u;
  if (readCpuidCaches(amd ? 0x8000001Du : 4u, caches)) {
    caches.source = "cpuid";
    return caches;
  }
  // Virtual machines may hide those leaves but pass the older extended
  // ones: L1d in KiB in 0x80000005 ECX[31:24] (AMD only), L2 in KiB in
  // 0x80000006 ECX[31:16] and L3 in 512 KiB units in EDX[31:18].
  if (__get_cpuid_max(0x80000000u, nullptr) < 0x80000006u)
    return caches;
  if (amd && __get_cpuid(0x80000005u, &eax, &ebx, &ecx, &edx))
    caches.l1dBytes = static_cast<int64_t>(ecx >> 24) * kKiB;
  if (__get_cpuid(0x80000006u, &eax, &ebx, &ecx, &edx)) {
    caches.l2Bytes = static_cast<int64_t>(ecx >> 16) * kKiB;
    caches.l3Bytes = static_cast<int64_t>(edx >> 18) * 512 * kKiB;
  }
  if (caches.l2Bytes > 0)
    caches.source = "cpuid legacy leaves";
  return caches;
}
#else
CpuCaches cpuidCaches() { return {}; }
#endif

/// "48K", "2048K", "32M" as sysfs writes sizes.
int64_t parseSize(const std::string &text) {
  int64_t value = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i)
    value = value * 10 + (text[i] - '0');
  if (i < text.size() && (text[i] == 'K' || text[i] == 'k'))
    value *= kKiB;
  else if (i < text.size() && text[i] == 'M')
    value *= kKiB * kKiB;
  return value;
}

std::string readLine(const std::string &path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

CpuCaches sysfsCaches() {
  CpuCaches caches;
  const std::string base = "/sys/devices/system/cpu/cpu0/cache/index";
  for (int index = 0; index < 8; ++index) {
    std::string dir = base + std::to_string(index) + "/";
    std::string level = readLine(dir + "level");
    if (level.empty())
      break;
    if (readLine(dir + "type") == "Instruction")
      continue;
    int64_t bytes = parseSize(readLine(dir + "size"));
    if (level == "1")
      caches.l1dBytes = bytes;
    else if (level == "2")
      caches.l2Bytes = bytes;
    else if (level == "3") {
      caches.l3Bytes = bytes;
      // "0-55" or "0,56": count the CPUs listed.
      std::string list = readLine(dir + "shared_cpu_list");
      int count = 0;
      size_t start = 0;
      while (start < list.size()) {
        size_t comma = list.find(',', start);
        std::string range = list.substr(start, comma - start);
        size_t dash = range.find('-');
        count += dash == std::string::npos
                     ? 1
                     : std::stoi(range.substr(dash + 1)) -
                           std::stoi(range.substr(0, dash)) + 1;
        if (comma == std::string::npos)
          break;
        start = comma + 1;
      }
      caches.l3SharedBy = std::max(1, count);
    }
  }
  if (caches.l1dBytes || caches.l2Bytes)
    caches.source = "sysfs";
  return caches;
}

int64_t roundDown(int64_t value, int64_t multiple) {
  return value / multiple * multiple;
}

} // namespace

CpuCaches defaultCaches() {
  CpuCaches caches;
  caches.l1dBytes = 48 * kKiB;
  caches.l2Bytes = 2048 * kKiB;
  caches.l3Bytes = 0;
  caches.source = "defaults";
  return caches;
}

const CpuCaches &hostCaches() {
  static const CpuCaches caches = [] {
    CpuCaches found = cpuidCaches();
    if (found.source.empty())
      found = sysfsCaches();
    CpuCaches fallback = defaultCaches();
    if (found.source.empty())
      return fallback;
    if (found.l1dBytes == 0)
      found.l1dBytes = fallback.l1dBytes;
    if (found.l2Bytes == 0)
      found.l2Bytes = fallback.l2Bytes;
    return found;
  }();
  return caches;
}

GemmBlocking gemmBlockingFor(const CpuCaches &caches, int mr, int nr) {
  CpuCaches fallback = defaultCaches();
  int64_t l1 = caches.l1dBytes > 0 ? caches.l1dBytes : fallback.l1dBytes;
  int64_t l2 = caches.l2Bytes > 0 ? caches.l2Bytes : fallback.l2Bytes;
  constexpr int64_t kFloat = sizeof(float);
  GemmBlocking blocking;
  // kc sets the order in which each element's sum is split, so it is
  // chosen for the widest tile whatever the ISA: v2, v3, v4 and host code
  // then sum in one order, and only the CPU's L1 moves it.
  blocking.kc = std::clamp<int64_t>(
      roundDown(l1 / (kFloat * (kWidestMr + kWidestNr)), 64), 128, 512);
  blocking.mc = std::max<int64_t>(
      mr, roundDown(l2 * 3 / 16 / (kFloat * blocking.kc), mr));
  blocking.nc =
      std::max<int64_t>(nr, roundDown(l2 / (kFloat * blocking.kc), nr));
  blocking.bInPlaceElements = l1 / 3 / kFloat;
  return blocking;
}

std::string describeCaches(const CpuCaches &caches) {
  auto size = [](int64_t bytes) {
    return bytes >= 16 * kKiB * kKiB
               ? std::to_string(bytes / (kKiB * kKiB)) + " MiB"
               : std::to_string(bytes / kKiB) + " KiB";
  };
  std::string text =
      "L1d " + size(caches.l1dBytes) + ", L2 " + size(caches.l2Bytes);
  if (caches.l3Bytes > 0)
    text += ", L3 " + size(caches.l3Bytes) + " / " +
            std::to_string(caches.l3SharedBy);
  return text + " (" + caches.source + ")";
}

} // namespace nnc::cpu
