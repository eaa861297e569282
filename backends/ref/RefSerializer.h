//===- RefSerializer.h - Ref programs to bytes and back ---------*- C++ -*-===//
//
// The ref backend's half of NNC_EXTENSION_SERIALIZE: the interpreter
// programs of an executable as bytes, and back. Plain data, no MLIR, so a
// runtime-only build of the plugin loads artifacts without the compiler.
//
// Format 2: an 8-byte little-endian FNV-1a digest, then a FlatBuffer of
// the schema ref_executable.fbs. A step is stored as its op's name, its
// slots and its attributes by name, so the format has no case per op: a
// new op needs no change here.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_REF_REFSERIALIZER_H
#define NNC_BACKENDS_REF_REFSERIALIZER_H

#include "backends/ref/RefProgram.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nnc::ref {

/// The version of the byte format serializePrograms writes.
inline constexpr uint32_t kRefFormatVersion = 2;

/// `programs` as bytes.
std::string serializePrograms(const std::vector<Program> &programs);

/// The programs of `bytes`, checked before anything trusts them: the
/// digest, the FlatBuffers verifier, every enum value, every slot index of
/// a step, a step's op, operand and result counts and attributes against
/// its row (prepareStep), results never written into constants, and each
/// constant's bytes against its dtype and shape. Fails with a one-line
/// message on bytes serializePrograms did not write.
rt::Expected<std::vector<Program>> deserializePrograms(const void *bytes,
                                                       size_t size);

/// Checks that `program` takes exactly `numBuffers` buffers whose byte
/// sizes are `bufferBytes` (the host's plan) and that each Buffer slot
/// fits the buffer it views.
rt::Error checkProgramBuffers(const Program &program,
                              const uint64_t *bufferBytes, int64_t numBuffers);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_REFSERIALIZER_H
