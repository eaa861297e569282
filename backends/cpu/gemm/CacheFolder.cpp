//===- CacheFolder.cpp - Where the cpu backend keeps what it reuses -------===//

#include "backends/cpu/gemm/CacheFolder.h"

#include <cstdlib>
#include <cstring>

namespace nnc::cpu {

std::string cpuCacheFolder() {
  std::string folder;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    folder = xdg;
  else if (const char *home = std::getenv("HOME"); home && *home)
    folder = std::string(home) + "/.cache";
  else
    return "";
  return folder + "/nnc/cpu";
}

bool cacheDisabledByEnvironment() {
  const char *off = std::getenv("NNC_NO_CACHE");
  return off && std::strcmp(off, "1") == 0;
}

} // namespace nnc::cpu
