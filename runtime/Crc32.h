//===- Crc32.h - The checksum of stored tensors -----------------*- C++ -*-===//
//
// CRC-32 (zlib's) of a run of bytes: checkpoints and artifacts record it
// for each tensor they hold, so that a damaged file is an error rather than
// other numbers.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_CRC32_H
#define NNC_RUNTIME_CRC32_H

#include <cstddef>
#include <cstdint>

namespace nnc::rt {

uint32_t crc32Of(const void *data, size_t bytes);

} // namespace nnc::rt

#endif // NNC_RUNTIME_CRC32_H
