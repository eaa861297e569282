//===- FlatBufferVectors.h - Reading int64 vectors safely -------*- C++ -*-===//
//
// The FlatBuffers verifier checks a vector's length field, not that 8-byte
// elements are 8-aligned in a hand-crafted buffer, so reading them in place
// would be a misaligned load. Every reader of an untrusted buffer (the
// artifact, a backend's executable) copies them bytewise instead.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_FLATBUFFERVECTORS_H
#define NNC_RUNTIME_FLATBUFFERVECTORS_H

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace nnc::rt {

/// The elements of `list` (none when it is absent). The format is
/// little-endian, like every host we build for.
inline std::vector<int64_t>
copyInt64s(const flatbuffers::Vector<int64_t> *list) {
  std::vector<int64_t> values(list ? list->size() : 0);
  if (!values.empty())
    std::memcpy(values.data(), list->Data(), values.size() * sizeof(int64_t));
  return values;
}

} // namespace nnc::rt

#endif // NNC_RUNTIME_FLATBUFFERVECTORS_H
