//===- Lexer.h - Hand-written lexer for the nnc model language --*- C++ -*-===//
//
// Turns source bytes into tokens on demand, one at a time, so memory stays
// flat however large the file. Bad bytes (invalid UTF-8, control characters,
// characters that start no token) are reported at their position and
// skipped; lexing never stops early and never fails.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_FRONTEND_LEXER_H
#define NNC_FRONTEND_LEXER_H

#include "frontend/Diagnostics.h"
#include "frontend/Token.h"

#include <string_view>

namespace nnc::frontend {

class Lexer {
public:
  /// Lexes `source`, which must outlive the lexer and its tokens. Errors go
  /// to `diags`; a null `diags` lexes silently (used for look-ahead).
  Lexer(std::string_view source, DiagnosticEngine *diags);

  /// Returns the next token; at the end, Eof forever.
  ///
  /// Newlines become Newline tokens except inside ( ) and [ ], where they are
  /// plain white space. To keep an unclosed bracket from swallowing the rest
  /// of the file, a newline followed by a line that starts with a statement
  /// keyword (`let`, `param`, ...) always ends the statement and forgets the
  /// open brackets: no expression can contain such a keyword.
  Token next();

private:
  char peekByte(size_t ahead = 0) const {
    return pos + ahead < src.size() ? src[pos + ahead] : '\0';
  }
  bool atEnd() const { return pos >= src.size(); }
  void advance(size_t n = 1);
  void error(SourceLoc loc, std::string message);

  /// Skips blanks, comments and bad bytes. Returns true if it crossed a
  /// newline that separates statements.
  bool skipTrivia();
  /// Checks (and reports) the byte at `pos`, which is not ASCII: a valid
  /// UTF-8 sequence is skipped whole, returning its length; an invalid
  /// byte is skipped alone.
  size_t skipNonAscii(bool reportValid);
  /// Whether the identifier starting at `pos`, if any, is a statement
  /// keyword (`let`, `param`, ...).
  bool statementKeywordAtPos() const;

  Token makeToken(TokenKind kind, size_t start, SourceLoc loc) const;
  Token lexNumber(size_t start, SourceLoc loc);
  Token lexIdentOrKeyword(size_t start, SourceLoc loc);
  Token lexString(size_t start, SourceLoc loc);

  std::string_view src;
  DiagnosticEngine *diags;
  size_t pos = 0;
  uint32_t line = 1;
  uint32_t col = 1;
  unsigned bracketDepth = 0; ///< Open ( and [ that suppress newlines.
};

} // namespace nnc::frontend

#endif // NNC_FRONTEND_LEXER_H
