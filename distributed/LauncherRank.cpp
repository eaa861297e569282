//===- LauncherRank.cpp - This process's rank, as the launcher set it -----===//

#include "distributed/Communicator.h"

#include <cstdlib>

namespace nnc::dist {

int launcherRank() {
  // Open MPI's mpirun, then the PMI of MPICH and Slurm.
  for (const char *name : {"OMPI_COMM_WORLD_RANK", "PMI_RANK"}) {
    const char *value = std::getenv(name);
    if (value && *value) {
      char *end = nullptr;
      long rank = std::strtol(value, &end, 10);
      if (*end == '\0' && rank >= 0)
        return static_cast<int>(rank);
    }
  }
  return -1;
}

} // namespace nnc::dist
