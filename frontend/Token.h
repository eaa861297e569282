//===- Token.h - Tokens of the nnc model language ---------------*- C++ -*-===//
//
// What the lexer hands to the parser. A token points into the source text
// (which the DiagnosticEngine owns and keeps alive), so lexing a large file
// copies nothing.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_FRONTEND_TOKEN_H
#define NNC_FRONTEND_TOKEN_H

#include "frontend/Program.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace nnc::frontend {

enum class TokenKind : uint8_t {
  Eof,
  Newline, ///< A statement separator; never produced inside ( ) or [ ].
  Ident,
  Int,
  Float,
  String,
  // Keywords.
  KwModel,
  KwInput,
  KwParam,
  KwBuffer,
  KwLayer,
  KwLet,
  KwRepeat,
  KwReturn,
  KwOutput,
  KwLoss,
  KwTrain,
  KwFreeze,
  KwTrue,
  KwFalse,
  // Punctuation.
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Colon,
  Semicolon,
  Equal,
  Plus,
  Minus,
  Star,
  Slash,
  At,
  Dot,
};

/// How a token kind is named in messages: "identifier", "'('", "'let'",
/// "end of file", ...
const char *describe(TokenKind kind);

/// True for the keywords that can only start a statement (every keyword but
/// `true` and `false`); the lexer and the parser use it to resynchronise.
bool isStatementKeyword(TokenKind kind);

struct Token {
  TokenKind kind = TokenKind::Eof;
  SourceLoc loc;
  uint32_t offset = 0;     ///< Byte offset of the first character.
  std::string_view text;   ///< The spelling, as written in the source.
  int64_t intValue = 0;    ///< For Int.
  double floatValue = 0;   ///< For Float.
  std::string stringValue; ///< For String: the contents, escapes resolved.

  bool is(TokenKind k) const { return kind == k; }
  /// Byte offset one past the last character.
  uint32_t endOffset() const {
    return offset + static_cast<uint32_t>(text.size());
  }
};

} // namespace nnc::frontend

#endif // NNC_FRONTEND_TOKEN_H
