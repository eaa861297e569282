//===- Crc32.cpp - The checksum of stored tensors -------------------------===//

#include "runtime/Crc32.h"

#include <zlib.h>

namespace nnc::rt {

uint32_t crc32Of(const void *data, size_t bytes) {
  return static_cast<uint32_t>(
      crc32_z(crc32(0L, Z_NULL, 0), static_cast<const Bytef *>(data), bytes));
}

} // namespace nnc::rt
