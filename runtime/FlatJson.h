//===- FlatJson.h - Flat JSON objects of scalars ----------------*- C++ -*-===//
//
// The metadata of checkpoints (state.json) is one JSON object whose values
// are integers, numbers or strings, e.g.
//   {"epoch": 3, "lr": 0.001, "optimizer": "adam"}
// This file writes and strictly parses exactly that subset of RFC 8259, so
// the runtime needs no JSON library: nested objects, arrays, true/false/
// null, duplicate keys, trailing commas, comments, leading zeros, lone
// surrogates and bytes after the object are errors.
//
// Integers are the numbers written without a fraction or exponent, and
// must fit int64_t; other numbers are doubles. Non-finite doubles cannot be
// written (JSON has no NaN): setNumber of one is a broken invariant.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_FLATJSON_H
#define NNC_RUNTIME_FLATJSON_H

#include "runtime/Status.h"

#include <cstdint>
#include <map>
#include <string>
#include <variant>

namespace nnc::rt {

/// `text` as a JSON string literal, quotes included: `"`, `\` and control
/// characters escaped, other bytes (UTF-8) as they are.
std::string jsonQuoted(const std::string &text);

/// A flat JSON object: key -> integer, number or string, keys sorted.
class JsonObject {
public:
  using Value = std::variant<int64_t, double, std::string>;

  void setInteger(const std::string &key, int64_t value) {
    entries[key] = value;
  }
  /// `value` must be finite (asserted).
  void setNumber(const std::string &key, double value);
  void setString(const std::string &key, std::string value) {
    entries[key] = std::move(value);
  }
  void erase(const std::string &key) { entries.erase(key); }

  bool contains(const std::string &key) const {
    return entries.count(key) != 0;
  }

  /// The integer under `key`; fails when it is missing ("missing key
  /// 'epoch'") or not an integer.
  Expected<int64_t> getInteger(const std::string &key) const;
  /// The number under `key`; integers convert to double.
  Expected<double> getNumber(const std::string &key) const;
  Expected<std::string> getString(const std::string &key) const;

  const std::map<std::string, Value> &values() const { return entries; }
  bool operator==(const JsonObject &other) const {
    return entries == other.entries;
  }

  /// The object as JSON text, one key per line, ending with a newline.
  /// Doubles are written in their shortest round-trip form and always carry
  /// a '.' or an exponent, so they read back as doubles, bit for bit.
  /// Strings should be UTF-8: the parser rejects anything else.
  std::string toJson() const;

  /// Parses `text` strictly. `name` (a file name) starts every message,
  /// followed by the line and column: "state.json:3:9: expected ':'".
  static Expected<JsonObject> parse(const std::string &text,
                                    const std::string &name);

private:
  std::map<std::string, Value> entries;
};

} // namespace nnc::rt

#endif // NNC_RUNTIME_FLATJSON_H
