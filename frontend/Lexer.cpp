//===- Lexer.cpp - Hand-written lexer for the nnc model language ----------===//

#include "frontend/Lexer.h"

#include <charconv>
#include <cstdio>
#include <optional>

namespace nnc::frontend {

namespace {

struct Keyword {
  std::string_view spelling;
  TokenKind kind;
};

constexpr Keyword kKeywords[] = {
    {"model", TokenKind::KwModel},   {"input", TokenKind::KwInput},
    {"param", TokenKind::KwParam},   {"buffer", TokenKind::KwBuffer},
    {"layer", TokenKind::KwLayer},   {"let", TokenKind::KwLet},
    {"repeat", TokenKind::KwRepeat}, {"return", TokenKind::KwReturn},
    {"output", TokenKind::KwOutput}, {"loss", TokenKind::KwLoss},
    {"train", TokenKind::KwTrain},   {"freeze", TokenKind::KwFreeze},
    {"true", TokenKind::KwTrue},     {"false", TokenKind::KwFalse},
};

std::optional<TokenKind> lookupKeyword(std::string_view word) {
  for (const Keyword &kw : kKeywords)
    if (kw.spelling == word)
      return kw.kind;
  return std::nullopt;
}

bool isIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isIdentChar(char c) { return isIdentStart(c) || isDigit(c); }
bool isControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

std::string hexByte(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%02x", c);
  return buf;
}

/// Length of the valid UTF-8 sequence starting at `s[0]`, or 0 if the bytes
/// there are not one (overlong forms and surrogates included). Sets `cp`.
size_t decodeUtf8(std::string_view s, uint32_t &cp) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char b0 = byte(0);
  size_t len;
  uint32_t min;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    len = 2, cp = b0 & 0x1f, min = 0x80;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    len = 3, cp = b0 & 0x0f, min = 0x800;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() < len)
    return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((byte(i) & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (byte(i) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

} // namespace

const char *describe(TokenKind kind) {
  switch (kind) {
  case TokenKind::Eof:
    return "end of file";
  case TokenKind::Newline:
    return "end of line";
  case TokenKind::Ident:
    return "identifier";
  case TokenKind::Int:
    return "integer";
  case TokenKind::Float:
    return "number";
  case TokenKind::String:
    return "string";
  case TokenKind::KwModel:
    return "'model'";
  case TokenKind::KwInput:
    return "'input'";
  case TokenKind::KwParam:
    return "'param'";
  case TokenKind::KwBuffer:
    return "'buffer'";
  case TokenKind::KwLayer:
    return "'layer'";
  case TokenKind::KwLet:
    return "'let'";
  case TokenKind::KwRepeat:
    return "'repeat'";
  case TokenKind::KwReturn:
    return "'return'";
  case TokenKind::KwOutput:
    return "'output'";
  case TokenKind::KwLoss:
    return "'loss'";
  case TokenKind::KwTrain:
    return "'train'";
  case TokenKind::KwFreeze:
    return "'freeze'";
  case TokenKind::KwTrue:
    return "'true'";
  case TokenKind::KwFalse:
    return "'false'";
  case TokenKind::LParen:
    return "'('";
  case TokenKind::RParen:
    return "')'";
  case TokenKind::LBracket:
    return "'['";
  case TokenKind::RBracket:
    return "']'";
  case TokenKind::LBrace:
    return "'{'";
  case TokenKind::RBrace:
    return "'}'";
  case TokenKind::Comma:
    return "','";
  case TokenKind::Colon:
    return "':'";
  case TokenKind::Semicolon:
    return "';'";
  case TokenKind::Equal:
    return "'='";
  case TokenKind::Plus:
    return "'+'";
  case TokenKind::Minus:
    return "'-'";
  case TokenKind::Star:
    return "'*'";
  case TokenKind::Slash:
    return "'/'";
  case TokenKind::At:
    return "'@'";
  case TokenKind::Dot:
    return "'.'";
  }
  return "token";
}

bool isStatementKeyword(TokenKind kind) {
  return kind >= TokenKind::KwModel && kind <= TokenKind::KwFreeze;
}

Lexer::Lexer(std::string_view source, DiagnosticEngine *diags)
    : src(source), diags(diags) {
  // Editors on Windows start UTF-8 files with a byte-order mark; it is no
  // part of the text. Columns still count from the first character.
  if (src.substr(0, 3) == "\xEF\xBB\xBF")
    pos = 3;
}

void Lexer::advance(size_t n) {
  for (size_t i = 0; i < n && pos < src.size(); ++i, ++pos) {
    if (src[pos] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
}

void Lexer::error(SourceLoc loc, std::string message) {
  if (diags)
    diags->error(loc, std::move(message));
}

size_t Lexer::skipNonAscii(bool reportValid) {
  SourceLoc loc{line, col};
  uint32_t cp = 0;
  size_t len = decodeUtf8(src.substr(pos), cp);
  if (len == 0) {
    error(loc, "invalid UTF-8 byte " +
                   hexByte(static_cast<unsigned char>(src[pos])));
    advance();
    return 1;
  }
  if (reportValid) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "U+%04X", cp);
    error(loc, std::string("unexpected character ") + buf);
  }
  advance(len);
  return len;
}

bool Lexer::statementKeywordAtPos() const {
  size_t end = pos;
  while (end < src.size() && isIdentChar(src[end]))
    ++end;
  std::optional<TokenKind> kw = lookupKeyword(src.substr(pos, end - pos));
  return kw && isStatementKeyword(*kw);
}

bool Lexer::skipTrivia() {
  bool sawSeparator = false;
  // Whether a newline inside brackets awaits the first byte after the blank
  // and comment lines that follow it: a statement keyword there ends the
  // statement. Looking only once, there, rather than scanning ahead from
  // every newline keeps lexing linear in the number of blank lines.
  bool newlineInBrackets = false;
  while (!atEnd()) {
    unsigned char c = static_cast<unsigned char>(src[pos]);
    if (c == ' ' || c == '\t' || c == '\r') {
      advance();
    } else if (c == '\n') {
      advance();
      if (bracketDepth == 0)
        sawSeparator = true;
      else
        newlineInBrackets = true;
    } else if (c == '#') {
      while (!atEnd() && src[pos] != '\n') {
        unsigned char b = static_cast<unsigned char>(src[pos]);
        if (b >= 0x80) {
          skipNonAscii(/*reportValid=*/false);
        } else {
          if (isControl(b) && b != '\t' && b != '\r')
            error({line, col}, "invalid control character " + hexByte(b));
          advance();
        }
      }
    } else if (c >= 0x80) {
      // A bad byte starts no keyword, so the line it starts stays inside
      // the brackets.
      newlineInBrackets = false;
      skipNonAscii(/*reportValid=*/true);
    } else if (isControl(c)) {
      newlineInBrackets = false;
      error({line, col}, "invalid control character " + hexByte(c));
      advance();
    } else {
      break;
    }
  }
  if (newlineInBrackets && statementKeywordAtPos()) {
    bracketDepth = 0;
    sawSeparator = true;
  }
  return sawSeparator;
}

Token Lexer::makeToken(TokenKind kind, size_t start, SourceLoc loc) const {
  Token tok;
  tok.kind = kind;
  tok.loc = loc;
  tok.offset = static_cast<uint32_t>(start);
  tok.text = src.substr(start, pos - start);
  return tok;
}

Token Lexer::next() {
  for (;;) {
    SourceLoc separatorLoc{line, col};
    size_t separatorStart = pos;
    if (skipTrivia()) {
      Token tok;
      tok.kind = TokenKind::Newline;
      tok.loc = separatorLoc;
      tok.offset = static_cast<uint32_t>(separatorStart);
      return tok;
    }
    SourceLoc loc{line, col};
    size_t start = pos;
    if (atEnd())
      return makeToken(TokenKind::Eof, start, loc);

    char c = src[pos];
    if (isIdentStart(c))
      return lexIdentOrKeyword(start, loc);
    if (isDigit(c))
      return lexNumber(start, loc);
    if (c == '"')
      return lexString(start, loc);

    TokenKind kind;
    switch (c) {
    case '(':
      kind = TokenKind::LParen;
      ++bracketDepth;
      break;
    case '[':
      kind = TokenKind::LBracket;
      ++bracketDepth;
      break;
    case ')':
    case ']':
      kind = c == ')' ? TokenKind::RParen : TokenKind::RBracket;
      if (bracketDepth > 0)
        --bracketDepth;
      break;
    case '{':
      kind = TokenKind::LBrace;
      break;
    case '}':
      kind = TokenKind::RBrace;
      break;
    case ',':
      kind = TokenKind::Comma;
      break;
    case ':':
      kind = TokenKind::Colon;
      break;
    case ';':
      kind = TokenKind::Semicolon;
      break;
    case '=':
      kind = TokenKind::Equal;
      break;
    case '+':
      kind = TokenKind::Plus;
      break;
    case '-':
      kind = TokenKind::Minus;
      break;
    case '*':
      kind = TokenKind::Star;
      break;
    case '/':
      kind = TokenKind::Slash;
      break;
    case '@':
      kind = TokenKind::At;
      break;
    case '.':
      kind = TokenKind::Dot;
      break;
    default:
      error(loc, std::string("unexpected character '") + c + "'");
      advance();
      continue;
    }
    advance();
    return makeToken(kind, start, loc);
  }
}

Token Lexer::lexIdentOrKeyword(size_t start, SourceLoc loc) {
  while (!atEnd() && isIdentChar(src[pos]))
    advance();
  std::string_view word = src.substr(start, pos - start);
  std::optional<TokenKind> kw = lookupKeyword(word);
  return makeToken(kw ? *kw : TokenKind::Ident, start, loc);
}

Token Lexer::lexNumber(size_t start, SourceLoc loc) {
  bool isFloat = false;
  while (isDigit(peekByte()))
    advance();
  // "1." is an integer followed by a dot; a fraction needs a digit.
  if (peekByte() == '.' && isDigit(peekByte(1))) {
    isFloat = true;
    advance();
    while (isDigit(peekByte()))
      advance();
  }
  if (peekByte() == 'e' || peekByte() == 'E') {
    size_t signLen = (peekByte(1) == '+' || peekByte(1) == '-') ? 1 : 0;
    if (isDigit(peekByte(1 + signLen))) {
      isFloat = true;
      advance(1 + signLen);
      while (isDigit(peekByte()))
        advance();
    }
  }
  if (isIdentChar(peekByte())) {
    // "3x" or "1e": report the whole run once rather than two odd tokens.
    while (isIdentChar(peekByte()))
      advance();
    Token tok = makeToken(TokenKind::Int, start, loc);
    error(loc, "invalid number '" + std::string(tok.text) + "'");
    return tok;
  }

  Token tok =
      makeToken(isFloat ? TokenKind::Float : TokenKind::Int, start, loc);
  const char *first = tok.text.data();
  const char *last = first + tok.text.size();
  if (isFloat) {
    auto [ptr, ec] = std::from_chars(first, last, tok.floatValue);
    if (ec != std::errc() || ptr != last) {
      error(loc, "number '" + std::string(tok.text) + "' is out of range");
      tok.floatValue = 0;
    }
  } else {
    auto [ptr, ec] = std::from_chars(first, last, tok.intValue);
    if (ec != std::errc() || ptr != last) {
      error(loc, "integer '" + std::string(tok.text) +
                     "' is too large (the limit is 9223372036854775807)");
      tok.intValue = 0;
    }
  }
  return tok;
}

Token Lexer::lexString(size_t start, SourceLoc loc) {
  advance(); // The opening quote.
  std::string value;
  bool terminated = false;
  while (!atEnd()) {
    unsigned char c = static_cast<unsigned char>(src[pos]);
    if (c == '"') {
      advance();
      terminated = true;
      break;
    }
    if (c == '\n')
      break;
    if (c == '\\') {
      SourceLoc escLoc{line, col};
      char e = peekByte(1);
      switch (e) {
      case '"':
        value += '"';
        break;
      case '\\':
        value += '\\';
        break;
      case 'n':
        value += '\n';
        break;
      case 't':
        value += '\t';
        break;
      default:
        if (e == '\n' || e == '\0') {
          advance();
          continue; // Reported below as unterminated.
        }
        error(escLoc, std::string("unknown escape sequence '\\") +
                          (static_cast<unsigned char>(e) < 0x80 &&
                                   !isControl(static_cast<unsigned char>(e))
                               ? std::string(1, e)
                               : std::string("?")) +
                          "'");
        break;
      }
      advance(static_cast<unsigned char>(e) < 0x80 ? 2 : 1);
      continue;
    }
    if (c >= 0x80) {
      size_t before = pos;
      size_t len = skipNonAscii(/*reportValid=*/false);
      uint32_t cp;
      if (decodeUtf8(src.substr(before, len), cp) == len)
        value.append(src.substr(before, len));
      continue;
    }
    if (isControl(c) && c != '\t') {
      error({line, col}, "invalid control character " + hexByte(c));
      advance();
      continue;
    }
    value += static_cast<char>(c);
    advance();
  }
  if (!terminated)
    error(loc, "unterminated string");
  Token tok = makeToken(TokenKind::String, start, loc);
  tok.stringValue = std::move(value);
  return tok;
}

} // namespace nnc::frontend
