//===- ShortText.h - Text cut to a length for a message ---------*- C++ -*-===//
//
// Messages quote what the user wrote (a name, a value from a file), and
// whatever that is, a message stays a line a person reads: a 5 MB name
// must not make a 5 MB error. Header-only and free of every other part of
// nnc, so that every layer, the frontend and the runtime alike, cuts the
// same way.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_SUPPORT_SHORTTEXT_H
#define NNC_SUPPORT_SHORTTEXT_H

#include <cstddef>
#include <string>

namespace nnc {

/// The most bytes of a whole message kept; far above any message nnc
/// writes itself.
constexpr size_t kMaxMessageBytes = 4096;

/// `text` when it holds at most `maxBytes` bytes; else its first
/// `maxBytes` or fewer, cut back to the start of a UTF-8 character so that
/// none is left half-written, followed by "...".
inline std::string shortened(std::string text,
                             size_t maxBytes = kMaxMessageBytes) {
  if (text.size() <= maxBytes)
    return text;
  size_t cut = maxBytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80)
    --cut;
  text.resize(cut);
  return text + "...";
}

} // namespace nnc

#endif // NNC_SUPPORT_SHORTTEXT_H
