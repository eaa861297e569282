//===- ArtifactFuzzer.cpp - libFuzzer target over the artifact reader -----===//
//
// Any bytes: parseArtifact must return an artifact or an error, never
// crash, leak or read out of bounds; the ref executables of whatever
// parses go through the ref deserializer too.
//
//===----------------------------------------------------------------------===//

#include "backends/ref/RefSerializer.h"
#include "runtime/Artifact.h"

#include <cstring>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // FlatBuffers reads scalars in place: give it an aligned copy, as
  // readArtifact does.
  std::vector<uint64_t> aligned(size / 8 + 1);
  if (size)
    std::memcpy(aligned.data(), data, size);
  nnc::rt::Expected<nnc::rt::Artifact> artifact =
      nnc::rt::parseArtifact(aligned.data(), size);
  if (!artifact.ok())
    return 0;
  for (const nnc::rt::ArtifactGraph &graph : artifact->graphs) {
    auto programs = nnc::ref::deserializePrograms(graph.executable.data(),
                                                  graph.executable.size());
    (void)programs;
  }
  return 0;
}
