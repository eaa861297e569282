//===- TextWindows.h - Byte-level language-model data from text -*- C++ -*-===//
//
// A plain text file as training data for a byte-level language model: the
// vocabulary is the 256 byte values, so no tokenizer is needed. The file is
// cut into windows of context + 1 bytes; a window's first `context` bytes
// are one sample of the ids, and its last `context` bytes (the same shifted
// by one: each position's next byte) the sample's targets.
//
// Windows start every `stride` bytes. With stride = context / 2 (what
// `--data ids,targets=FILE.txt` uses), every byte is a target twice per
// epoch, once in each half of a context; the batch iterator shuffles the
// windows each epoch like any other samples.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_TEXTWINDOWS_H
#define NNC_RUNTIME_TEXTWINDOWS_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <string>

namespace nnc::rt {

/// The ids and next-byte targets of a text, [windows, context] each.
struct TextWindows {
  Tensor ids;
  Tensor targets;
};

/// Cuts `text` (named `name` in messages) into windows of `context` + 1
/// bytes starting every `stride` bytes, as `dtype` (I32 or I64). A text
/// shorter than one window is an error that says how long it is and how
/// long a window is.
Expected<TextWindows> textWindows(const std::string &text,
                                  const std::string &name, int64_t context,
                                  int64_t stride, DType dtype);

/// The most bytes of text loadTextWindows reads: a text that big would not
/// fit as windows anyway (8 bytes per byte and stride at least).
constexpr uint64_t kMaxTextBytes = uint64_t(1) << 32;

/// Reads `path` (plain or gzipped) and cuts it as textWindows does.
Expected<TextWindows> loadTextWindows(const std::string &path, int64_t context,
                                      int64_t stride, DType dtype);

} // namespace nnc::rt

#endif // NNC_RUNTIME_TEXTWINDOWS_H
