//===- SealedBytes.cpp - Bytes behind a digest of themselves --------------===//

#include "runtime/SealedBytes.h"

#include "runtime/Artifact.h"

#include <cstring>

namespace nnc::rt {

namespace {

void putDigest(uint64_t digest, char *out) {
  for (size_t i = 0; i < kDigestBytes; ++i)
    out[i] = static_cast<char>((digest >> (8 * i)) & 0xff);
}

} // namespace

std::string seal(const void *body, size_t size) {
  std::string bytes(kDigestBytes, '\0');
  putDigest(fnv1a64(body, size), bytes.data());
  bytes.append(static_cast<const char *>(body), size);
  return bytes;
}

Expected<SealedBody> unseal(const void *bytes, size_t size, size_t maxSize) {
  if (!bytes || size < kDigestBytes + 8)
    return Error::failure("too short");
  const auto *raw = static_cast<const unsigned char *>(bytes);
  uint64_t stored = 0;
  for (size_t i = 0; i < kDigestBytes; ++i)
    stored |= uint64_t(raw[i]) << (8 * i);
  SealedBody body;
  body.size = size - kDigestBytes;
  if (fnv1a64(raw + kDigestBytes, body.size) != stored)
    return Error::failure("it does not match its digest");
  if (body.size >= maxSize)
    return Error::failure("it is too large");
  body.words.resize((body.size + 7) / 8);
  std::memcpy(body.words.data(), raw + kDigestBytes, body.size);
  return body;
}

void reseal(std::string &bytes) {
  if (bytes.size() < kDigestBytes)
    return;
  putDigest(fnv1a64(bytes.data() + kDigestBytes, bytes.size() - kDigestBytes),
            bytes.data());
}

} // namespace nnc::rt
