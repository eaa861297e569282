//===- ArtifactFuzzer.cpp - libFuzzer target over the artifact reader -----===//
//
// Any bytes: parseArtifact must return an artifact or an error, never
// crash, leak or read out of bounds; the executables of whatever parses go
// through the ref deserializer and the cpu one too. Both formats start with
// an 8-byte digest, which is rewritten first, so that the fuzzer reaches
// the FlatBuffers verifiers and the checks behind them rather than stopping
// at the digest.
// (Only reading: no machine code is loaded.)
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/serial/CpuSerializer.h"
#include "backends/ref/RefSerializer.h"
#include "runtime/Artifact.h"
#include "runtime/SealedBytes.h"

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
    std::string bytes = graph.executable;
    nnc::rt::reseal(bytes);
    auto programs = nnc::ref::deserializePrograms(bytes.data(), bytes.size());
    (void)programs;
    auto executable =
        nnc::cpu::deserializeExecutable(bytes.data(), bytes.size());
    (void)executable;
  }
  return 0;
}
