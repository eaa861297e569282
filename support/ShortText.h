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

/// `text` with every control character (a newline, a NUL, an escape)
/// written as \xNN, so that a message quoting bytes from a damaged file
/// stays one line a terminal shows as it is. Bytes of UTF-8 characters
/// are kept.
inline std::string oneLine(const std::string &text) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c >= 0x20 && c != 0x7f) {
      out += static_cast<char>(c);
      continue;
    }
    out += "\\x";
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

} // namespace nnc

#endif // NNC_SUPPORT_SHORTTEXT_H
