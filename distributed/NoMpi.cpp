//===- NoMpi.cpp - The communicator of a build without MPI ----------------===//

#include "distributed/Communicator.h"

namespace nnc::dist {

bool builtWithMpi() { return false; }

rt::Expected<std::unique_ptr<Communicator>>
joinJob(const CommunicatorOptions &) {
  return rt::Error::failure(
      "--distributed: this nnc was built without MPI support; install "
      "libopenmpi-dev (scripts/install-deps.sh) and rebuild");
}

} // namespace nnc::dist
