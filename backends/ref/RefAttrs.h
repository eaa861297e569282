//===- RefAttrs.h - A step's attributes, by name ----------------*- C++ -*-===//
//
// The attributes of an interpreter step are those of the op it runs, named
// as in the op's ODS declaration ("stride", "eps", "keepdims"), with the
// declaration's defaults filled in. Booleans are integers 0 and 1. This
// form needs no case per op to build (from MLIR) or to store (in an
// artifact); an AttrReader turns it into a kernel's attribute struct and
// names what is missing or of the wrong kind.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_REF_REFATTRS_H
#define NNC_BACKENDS_REF_REFATTRS_H

#include "runtime/Status.h"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace nnc::ref {

/// One attribute value: an integer (or boolean), a real, or an integer list.
using AttrValue = std::variant<int64_t, double, std::vector<int64_t>>;

/// A step's attributes by name.
using StepAttrs = std::map<std::string, AttrValue, std::less<>>;

/// Reads typed attributes out of a StepAttrs. The first problem sticks
/// (later reads return zeros), so a reader reads everything and checks
/// `error()` once.
class AttrReader {
public:
  explicit AttrReader(const StepAttrs &attrs) : attrs(attrs) {}

  int64_t integer(std::string_view name);
  /// An integer attribute that executables written before the op had it
  /// leave out: `absent` then, which is the op's declared default, so the
  /// step computes what it computed when it was written.
  int64_t integerAddedLater(std::string_view name, int64_t absent);
  bool flag(std::string_view name) { return integer(name) != 0; }
  /// A real; an integer attribute converts.
  double real(std::string_view name);
  std::vector<int64_t> ints(std::string_view name);
  /// A list of exactly two integers ([height, width]).
  std::array<int64_t, 2> pair(std::string_view name);
  /// As pair(), or nullopt when the op left the attribute out.
  std::optional<std::array<int64_t, 2>> optionalPair(std::string_view name);

  /// Success, or the first problem: "missing attribute 'eps'".
  rt::Error error() const;

private:
  const AttrValue *find(std::string_view name);
  void fail(std::string message);

  const StepAttrs &attrs;
  std::string problem;
};

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_REFATTRS_H
