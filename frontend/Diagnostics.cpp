//===- Diagnostics.cpp - Located errors for DSL sources -------------------===//

#include "frontend/Diagnostics.h"

#include "support/ShortText.h"

#include <cstring>

namespace nnc::frontend {

namespace {

/// Longest echoed line, in displayed characters, before it is cut around
/// the column.
constexpr size_t kMaxEchoWidth = 100;

/// One displayed character of an echoed line and what goes under it in the
/// caret line before the caret: a tab under a tab keeps the alignment.
struct DisplayUnit {
  std::string text;
  char pad;
};

/// Length of the valid UTF-8 sequence at `s[i]`, or 0.
size_t utf8Length(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char b0 = b(0);
  size_t len = b0 >= 0xc2 && b0 <= 0xdf   ? 2
               : b0 >= 0xe0 && b0 <= 0xef ? 3
               : b0 >= 0xf0 && b0 <= 0xf4 ? 4
                                          : 0;
  if (len == 0 || i + len > s.size())
    return 0;
  for (size_t k = 1; k < len; ++k)
    if ((b(k) & 0xc0) != 0x80)
      return 0;
  // Overlong three- and four-byte forms, surrogates and code points past
  // U+10FFFF.
  if ((b0 == 0xe0 && b(1) < 0xa0) || (b0 == 0xed && b(1) >= 0xa0) ||
      (b0 == 0xf0 && b(1) < 0x90) || (b0 == 0xf4 && b(1) >= 0x90))
    return 0;
  return len;
}

/// Splits `line` into displayed characters; `caretUnit` receives the index
/// of the unit that holds byte `caretByte` (or one past the end).
std::vector<DisplayUnit> toDisplayUnits(std::string_view line, size_t caretByte,
                                        size_t &caretUnit) {
  std::vector<DisplayUnit> units;
  caretUnit = std::string::npos;
  size_t i = 0;
  while (i < line.size()) {
    if (caretUnit == std::string::npos && i >= caretByte)
      caretUnit = units.size();
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (c == '\t') {
      units.push_back({"\t", '\t'});
      ++i;
    } else if (c >= 0x20 && c < 0x7f) {
      units.push_back({std::string(1, static_cast<char>(c)), ' '});
      ++i;
    } else if (size_t len = c >= 0x80 ? utf8Length(line, i) : 0) {
      units.push_back({std::string(line.substr(i, len)), ' '});
      i += len;
    } else {
      units.push_back({"?", ' '});
      ++i;
    }
  }
  if (caretUnit == std::string::npos)
    caretUnit = units.size();
  return units;
}

} // namespace

DiagnosticEngine::DiagnosticEngine(std::string fileName, std::string source)
    : file(std::move(fileName)), text(std::move(source)) {}

void DiagnosticEngine::error(SourceLoc loc, std::string message) {
  if (limitReached())
    return;
  diags.push_back(
      {Diagnostic::Severity::Error, loc, shortened(std::move(message))});
  ++numErrors;
  if (limitReached())
    diags.push_back(
        {Diagnostic::Severity::Note, SourceLoc{},
         "too many errors; stopping after " + std::to_string(errorLimit)});
}

void DiagnosticEngine::note(SourceLoc loc, std::string message) {
  if (limitReached())
    return;
  diags.push_back(
      {Diagnostic::Severity::Note, loc, shortened(std::move(message))});
}

void DiagnosticEngine::print(std::ostream &os) const {
  for (const Diagnostic &diag : diags)
    printOne(os, diag);
}

void DiagnosticEngine::printOne(std::ostream &os,
                                const Diagnostic &diag) const {
  const char *severity =
      diag.severity == Diagnostic::Severity::Error ? "error" : "note";
  if (diag.loc.line == 0) {
    os << file << ": " << severity << ": " << diag.message << "\n";
    return;
  }
  os << file << ":" << diag.loc.line << ":" << diag.loc.col << ": " << severity
     << ": " << diag.message << "\n";

  // Find the line; a position past the end of the text (from a stale
  // location) prints the header alone.
  size_t start = 0;
  for (uint32_t l = 1; l < diag.loc.line; ++l) {
    const void *nl =
        std::memchr(text.data() + start, '\n', text.size() - start);
    if (!nl)
      return;
    start = static_cast<const char *>(nl) - text.data() + 1;
  }
  size_t end = text.find('\n', start);
  if (end == std::string::npos)
    end = text.size();
  std::string_view line(text.data() + start, end - start);
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);

  size_t caretByte = diag.loc.col > 0 ? diag.loc.col - 1 : 0;
  size_t caretUnit = 0;
  std::vector<DisplayUnit> units = toDisplayUnits(line, caretByte, caretUnit);

  // Cut long lines to a window around the caret.
  size_t first = 0, last = units.size();
  if (units.size() > kMaxEchoWidth) {
    size_t half = kMaxEchoWidth / 2;
    first = caretUnit > half ? caretUnit - half : 0;
    last = std::min(units.size(), first + kMaxEchoWidth);
    if (last - first < kMaxEchoWidth)
      first = last - kMaxEchoWidth;
  }
  std::string echo = "  ", caret = "  ";
  if (first > 0) {
    echo += "...";
    caret += "   ";
  }
  for (size_t u = first; u < last; ++u) {
    echo += units[u].text;
    if (u < caretUnit)
      caret += units[u].pad;
  }
  if (last < units.size())
    echo += "...";
  os << echo << "\n" << caret << "^\n";
}

std::vector<Diagnostic> callerNotes(const std::vector<SourceLoc> &callers) {
  // A chain of 256 layers would print 256 notes for one error.
  constexpr size_t kShown = 4;
  std::vector<Diagnostic> notes;
  for (size_t i = 0; i < callers.size(); ++i) {
    if (callers.size() > kShown && i == kShown - 1) {
      notes.push_back({Diagnostic::Severity::Note, callers.back(),
                       "in the layer instance created here, " +
                           std::to_string(callers.size() - kShown + 1) +
                           " levels out"});
      break;
    }
    notes.push_back({Diagnostic::Severity::Note, callers[i],
                     "in the layer instance created here"});
  }
  return notes;
}

} // namespace nnc::frontend
