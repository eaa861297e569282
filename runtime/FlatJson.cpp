//===- FlatJson.cpp - Flat JSON objects of scalars ------------------------===//

#include "runtime/FlatJson.h"

#include <cassert>
#include <charconv>
#include <cmath>
#include <string_view>

namespace nnc::rt {

namespace {

void appendEscaped(std::string &out, const std::string &text) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : text) {
    unsigned char byte = static_cast<unsigned char>(c);
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (byte < 0x20) {
        out += "\\u00";
        out += kHex[byte >> 4];
        out += kHex[byte & 0xf];
      } else {
        out += c;
      }
    }
  }
  out += '"';
}

void appendUtf8(std::string &out, uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

/// The length of the well-formed UTF-8 sequence starting at text[pos]
/// (which is >= 0x80), or 0 when it is malformed, overlong or a surrogate.
size_t utf8Length(std::string_view text, size_t pos) {
  unsigned char lead = static_cast<unsigned char>(text[pos]);
  size_t length;
  uint32_t code, minimum;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, code = lead & 0x1F, minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, code = lead & 0x0F, minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, code = lead & 0x07, minimum = 0x10000;
  } else {
    return 0;
  }
  if (pos + length > text.size())
    return 0;
  for (size_t i = 1; i < length; ++i) {
    unsigned char next = static_cast<unsigned char>(text[pos + i]);
    if ((next & 0xC0) != 0x80)
      return 0;
    code = (code << 6) | (next & 0x3F);
  }
  if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
    return 0;
  return length;
}

class Parser {
public:
  Parser(std::string_view text, const std::string &name)
      : text(text), name(name) {}

  Expected<JsonObject> parse() {
    JsonObject object;
    skipSpace();
    if (!consume('{'))
      return error("expected '{'");
    skipSpace();
    if (!consume('}')) {
      while (true) {
        skipSpace();
        if (peek() != '"')
          return error("expected a string key");
        size_t keyStart = pos;
        Expected<std::string> key = parseString();
        if (!key)
          return key.takeError();
        if (object.contains(*key)) {
          pos = keyStart;
          return error("duplicate key '" + *key + "'");
        }
        skipSpace();
        if (!consume(':'))
          return error("expected ':'");
        skipSpace();
        char c = peek();
        if (c == '"') {
          Expected<std::string> value = parseString();
          if (!value)
            return value.takeError();
          object.setString(*key, std::move(*value));
        } else if (c == '-' || (c >= '0' && c <= '9')) {
          if (Error failure = parseNumber(object, *key); !failure.ok())
            return std::move(failure);
        } else {
          return error("expected an integer, a number or a string");
        }
        skipSpace();
        if (consume(','))
          continue;
        if (consume('}'))
          break;
        return error("expected ',' or '}'");
      }
    }
    skipSpace();
    if (pos != text.size())
      return error("unexpected text after the object");
    return object;
  }

private:
  char peek() const { return pos < text.size() ? text[pos] : '\0'; }

  bool consume(char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }

  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                                 text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  Error error(const std::string &message) const {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < pos && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return Error::failure(name + ":" + std::to_string(line) + ":" +
                          std::to_string(column) + ": " + message);
  }

  Expected<uint32_t> parseHex4() {
    if (pos + 4 > text.size())
      return error("truncated \\u escape");
    uint32_t code = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text[pos++];
      code <<= 4;
      if (c >= '0' && c <= '9')
        code |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        code |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        code |= static_cast<uint32_t>(c - 'A' + 10);
      else
        return error("bad \\u escape");
    }
    return code;
  }

  Expected<std::string> parseString() {
    ++pos; // the opening quote
    std::string out;
    while (true) {
      if (pos >= text.size())
        return error("unterminated string");
      unsigned char c = static_cast<unsigned char>(text[pos]);
      if (c == '"') {
        ++pos;
        return out;
      }
      if (c < 0x20)
        return error("control character in a string");
      if (c >= 0x80) {
        size_t length = utf8Length(text, pos);
        if (length == 0)
          return error("invalid UTF-8 in a string");
        out.append(text.substr(pos, length));
        pos += length;
        continue;
      }
      ++pos;
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      char escape = peek();
      ++pos;
      switch (escape) {
      case '"':
      case '\\':
      case '/':
        out += escape;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        Expected<uint32_t> code = parseHex4();
        if (!code)
          return code.takeError();
        if (*code >= 0xDC00 && *code <= 0xDFFF)
          return error("lone low surrogate in a \\u escape");
        if (*code >= 0xD800 && *code <= 0xDBFF) {
          if (!(consume('\\') && consume('u')))
            return error("lone high surrogate in a \\u escape");
          Expected<uint32_t> low = parseHex4();
          if (!low)
            return low.takeError();
          if (*low < 0xDC00 || *low > 0xDFFF)
            return error("lone high surrogate in a \\u escape");
          *code = 0x10000 + ((*code - 0xD800) << 10) + (*low - 0xDC00);
        }
        appendUtf8(out, *code);
        break;
      }
      default:
        --pos;
        return error("bad escape sequence");
      }
    }
  }

  Error parseNumber(JsonObject &object, const std::string &key) {
    size_t start = pos;
    consume('-');
    if (consume('0')) {
      if (peek() >= '0' && peek() <= '9')
        return error("leading zero in a number");
    } else if (peek() >= '1' && peek() <= '9') {
      while (peek() >= '0' && peek() <= '9')
        ++pos;
    } else {
      return error("expected a digit");
    }
    bool integer = true;
    if (consume('.')) {
      integer = false;
      if (!(peek() >= '0' && peek() <= '9'))
        return error("expected a digit after '.'");
      while (peek() >= '0' && peek() <= '9')
        ++pos;
    }
    if (peek() == 'e' || peek() == 'E') {
      integer = false;
      ++pos;
      if (!consume('+'))
        consume('-');
      if (!(peek() >= '0' && peek() <= '9'))
        return error("expected a digit in the exponent");
      while (peek() >= '0' && peek() <= '9')
        ++pos;
    }
    const char *first = text.data() + start, *last = text.data() + pos;
    if (integer) {
      int64_t value;
      auto [end, status] = std::from_chars(first, last, value);
      if (status != std::errc() || end != last) {
        pos = start;
        return error("integer out of range");
      }
      object.setInteger(key, value);
      return Error::success();
    }
    double value;
    auto [end, status] = std::from_chars(first, last, value);
    if (status != std::errc() || end != last || !std::isfinite(value)) {
      pos = start;
      return error("number out of range");
    }
    object.setNumber(key, value);
    return Error::success();
  }

  std::string_view text;
  const std::string &name;
  size_t pos = 0;
};

const char *kindName(const JsonObject::Value &value) {
  switch (value.index()) {
  case 0:
    return "an integer";
  case 1:
    return "a number";
  default:
    return "a string";
  }
}

} // namespace

std::string jsonQuoted(const std::string &text) {
  std::string out;
  appendEscaped(out, text);
  return out;
}

void JsonObject::setNumber(const std::string &key, double value) {
  assert(std::isfinite(value) && "JSON cannot hold NaN or infinity");
  entries[key] = value;
}

Expected<int64_t> JsonObject::getInteger(const std::string &key) const {
  auto it = entries.find(key);
  if (it == entries.end())
    return Error::failure("missing key '" + key + "'");
  if (const int64_t *value = std::get_if<int64_t>(&it->second))
    return *value;
  return Error::failure("key '" + key + "' holds " + kindName(it->second) +
                        ", not an integer");
}

Expected<double> JsonObject::getNumber(const std::string &key) const {
  auto it = entries.find(key);
  if (it == entries.end())
    return Error::failure("missing key '" + key + "'");
  if (const int64_t *value = std::get_if<int64_t>(&it->second))
    return static_cast<double>(*value);
  if (const double *value = std::get_if<double>(&it->second))
    return *value;
  return Error::failure("key '" + key + "' holds a string, not a number");
}

Expected<std::string> JsonObject::getString(const std::string &key) const {
  auto it = entries.find(key);
  if (it == entries.end())
    return Error::failure("missing key '" + key + "'");
  if (const std::string *value = std::get_if<std::string>(&it->second))
    return *value;
  return Error::failure("key '" + key + "' holds " + kindName(it->second) +
                        ", not a string");
}

std::string JsonObject::toJson() const {
  std::string out = "{";
  bool first = true;
  for (const auto &[key, value] : entries) {
    out += first ? "\n  " : ",\n  ";
    first = false;
    appendEscaped(out, key);
    out += ": ";
    if (const int64_t *integer = std::get_if<int64_t>(&value)) {
      out += std::to_string(*integer);
    } else if (const double *number = std::get_if<double>(&value)) {
      char buffer[64];
      auto [end, status] =
          std::to_chars(buffer, buffer + sizeof(buffer), *number);
      assert(status == std::errc() && "double does not fit its buffer");
      std::string text(buffer, end);
      if (text.find_first_of(".eE") == std::string::npos)
        text += ".0";
      out += text;
    } else {
      appendEscaped(out, std::get<std::string>(value));
    }
  }
  out += first ? "}\n" : "\n}\n";
  return out;
}

Expected<JsonObject> JsonObject::parse(const std::string &text,
                                       const std::string &name) {
  return Parser(text, name).parse();
}

} // namespace nnc::rt
