//===- SealedBytes.h - Bytes behind a digest of themselves ------*- C++ -*-===//
//
// Both backends seal their serialized executables the same way: an 8-byte
// little-endian FNV-1a digest (rt::fnv1a64) of the bytes, then the bytes, a
// FlatBuffer. The digest is checked before anything is read, since a
// damaged file must never reach a loader, and the body is copied to 8-byte
// aligned storage, since FlatBuffers reads scalars in place.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_SEALEDBYTES_H
#define NNC_RUNTIME_SEALEDBYTES_H

#include "runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nnc::rt {

inline constexpr size_t kDigestBytes = 8;

/// `body` with its digest in front.
std::string seal(const void *body, size_t size);

/// A sealed body, checked and aligned.
struct SealedBody {
  std::vector<uint64_t> words;
  size_t size = 0;
  const void *data() const { return words.data(); }
};

/// The body of sealed `bytes`. Fails, with a phrase for the caller to put
/// in its own message, when there is no room for the digest and 8 bytes
/// ("too short"), the digest differs ("it does not match its digest"), or
/// the body is `maxSize` bytes or more ("it is too large").
Expected<SealedBody> unseal(const void *bytes, size_t size, size_t maxSize);

/// Rewrites the digest of `bytes` to match its body, so that a fuzzer's
/// mutations reach what lies behind the digest.
void reseal(std::string &bytes);

} // namespace nnc::rt

#endif // NNC_RUNTIME_SEALEDBYTES_H
