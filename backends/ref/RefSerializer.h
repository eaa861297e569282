//===- RefSerializer.h - Ref programs to bytes and back ---------*- C++ -*-===//
//
// The ref backend's half of NNC_EXTENSION_SERIALIZE: the interpreter
// programs of an executable as bytes, and back. Plain data, no MLIR, so a
// runtime-only build of the plugin loads artifacts without the compiler.
//
// Format (little-endian, version 1):
//   "NNCREF\0\0" u32 version u64 kernel count, then per program: its name,
//   buffer count, slots, constants and steps, each a count and the items;
//   a step's attributes are a variant tag plus lists of integers and
//   doubles. Every count is bounded by the bytes left, so a corrupt length
//   cannot make the reader allocate more than the input's size.
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
inline constexpr uint32_t kRefFormatVersion = 1;

/// `programs` as bytes.
std::string serializePrograms(const std::vector<Program> &programs);

/// The programs of `bytes`, checked before anything trusts them: every
/// count against the bytes left, every enum value, every slot index of a
/// step, a step's operand and result counts and attributes against its
/// kind, results never written into constants, and each constant's bytes
/// against its dtype and shape. Fails with a one-line message on bytes
/// serializePrograms did not write.
rt::Expected<std::vector<Program>> deserializePrograms(const void *bytes,
                                                       size_t size);

/// Checks that `program` takes exactly `numBuffers` buffers whose byte
/// sizes are `bufferBytes` (the host's plan) and that each Buffer slot
/// fits the buffer it views.
rt::Error checkProgramBuffers(const Program &program,
                              const uint64_t *bufferBytes, int64_t numBuffers);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_REFSERIALIZER_H
