//===- ArtifactDescription.h - What an artifact holds -----------*- C++ -*-===//
//
// `nnc inspect`'s account of a compiled artifact: its provenance, targets,
// ports, tensors and graphs, and the machine code it carries written out
// one shared object per file, so that the code of every target can be
// disassembled whatever the host.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_ARTIFACTDESCRIPTION_H
#define NNC_TRAIN_ARTIFACTDESCRIPTION_H

#include "runtime/Artifact.h"
#include "runtime/Status.h"

#include <cstddef>
#include <string>
#include <vector>

namespace nnc::train {

/// The artifact read from `path`, one fact per line ("model: mlp", "graph
/// forward: ..."); with `withPlans`, each graph's execution plan too.
std::string describeArtifact(const rt::Artifact &artifact,
                             const std::string &path, bool withPlans);

/// A file of machine code written by dumpMachineCode.
struct DumpedCode {
  std::string path;
  size_t bytes = 0;
};

/// Writes every graph's machine code under `dir` as GRAPH/CPU/NAME, asking
/// the artifact's backend plugin where each object lies in its executable.
rt::Expected<std::vector<DumpedCode>>
dumpMachineCode(const rt::Artifact &artifact, const std::string &dir);

} // namespace nnc::train

#endif // NNC_TRAIN_ARTIFACTDESCRIPTION_H
