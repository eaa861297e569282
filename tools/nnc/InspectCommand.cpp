//===- InspectCommand.cpp - nnc inspect FILE.nnx --------------------------===//
//
// Describes a compiled artifact after checking it, and with --dump-code
// writes out the machine code it carries (train/ArtifactDescription.h).
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/Commands.h"

#include "train/ArtifactDescription.h"

#include "runtime/Artifact.h"

#include "llvm/Support/raw_ostream.h"

namespace nnc::cli {

ExitCode runInspect(const InspectOptions &options) {
  rt::Expected<rt::Artifact> read = rt::readArtifact(options.artifactPath);
  if (!read.ok())
    return reportUserError(read.message());
  // Written first, so that a bad folder fails before anything is printed.
  rt::Expected<std::vector<train::DumpedCode>> dumped =
      options.dumpCodeDir.empty()
          ? std::vector<train::DumpedCode>()
          : train::dumpMachineCode(*read, options.dumpCodeDir);
  if (!dumped.ok())
    return reportUserError(dumped.message());
  llvm::outs() << train::describeArtifact(*read, options.artifactPath,
                                          options.plan);
  for (const train::DumpedCode &code : *dumped)
    llvm::outs() << "code: " << code.path << " (" << code.bytes << " bytes)\n";
  return Success;
}

} // namespace nnc::cli
