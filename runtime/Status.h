//===- Status.h - Errors as values for the runtime --------------*- C++ -*-===//
//
// The runtime cannot use llvm::Error (it must not link LLVM) and must not
// throw across its APIs, so it returns these two small types instead. They
// mirror llvm::Error / llvm::Expected closely enough that tools/ can convert
// one into the other in a line, but they do not abort when left unchecked:
// [[nodiscard]] makes the compiler catch the common mistake instead.
//
// Messages are lower-case and have no final period, ready to follow
// "error: ".
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_STATUS_H
#define NNC_RUNTIME_STATUS_H

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace nnc::rt {

/// The outcome of an operation that returns nothing: success, or a failure
/// carrying a message. A default-constructed Error is a success.
class [[nodiscard]] Error {
public:
  /// A success.
  Error() = default;

  /// A success; reads better than `Error()` at a return statement.
  static Error success() { return Error(); }

  /// A failure with `message` (lower-case, no final period). An empty
  /// message is allowed but unhelpful.
  static Error failure(std::string message) {
    Error error;
    error.failed = true;
    error.text = std::move(message);
    return error;
  }

  /// A failure whose message is diagnostics already formatted for display,
  /// each with its own location and severity ("model.nn:3:5: error: ...",
  /// the source line, a caret): shown as it is, not after "error: ".
  static Error rendered(std::string diagnostics) {
    Error error = failure(std::move(diagnostics));
    error.preformatted = true;
    return error;
  }
  /// True for a success.
  bool ok() const { return !failed; }
  /// True for a failure made by rendered().
  bool isRendered() const { return preformatted; }

  /// The failure's message; empty for a success.
  const std::string &message() const { return text; }

  /// Returns this error with "`context`: " in front of its message, so
  /// callers can say where a failure happened ("weights.npy: bad magic").
  /// A success stays a success.
  /// Rendered diagnostics name their own file, and stay as they are.
  Error withContext(const std::string &context) && {
    if (!failed || preformatted)
      return std::move(*this);
    return failure(context + ": " + text);
  }

private:
  bool failed = false;
  bool preformatted = false;
  std::string text;
};

/// Either a value of type T or a failure. Test it with ok() (or in a boolean
/// context) before reading the value; reading the value of a failure is a
/// broken invariant and asserts.
template <typename T> class [[nodiscard]] Expected {
public:
  /// A success holding `value`.
  Expected(T value) : storage(std::in_place_index<0>, std::move(value)) {}

  /// A failure. `error` must not be a success: an Expected always holds
  /// either a value or a real error.
  Expected(Error error) : storage(std::in_place_index<1>, std::move(error)) {
    assert(!std::get<1>(storage).ok() && "Expected built from a success");
  }

  /// True when a value is held.
  bool ok() const { return storage.index() == 0; }
  explicit operator bool() const { return ok(); }

  T &value() & {
    assert(ok() && "reading the value of a failed Expected");
    return std::get<0>(storage);
  }
  const T &value() const & {
    assert(ok() && "reading the value of a failed Expected");
    return std::get<0>(storage);
  }
  T &&value() && {
    assert(ok() && "reading the value of a failed Expected");
    return std::get<0>(std::move(storage));
  }

  T &operator*() & { return value(); }
  const T &operator*() const & { return value(); }
  T &&operator*() && { return std::move(*this).value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }

  /// The failure's message; empty when a value is held.
  const std::string &message() const {
    static const std::string empty;
    return ok() ? empty : std::get<1>(storage).message();
  }

  /// Moves the failure out (a success when a value is held), to forward it
  /// from a function returning Error or another Expected.
  Error takeError() {
    if (ok())
      return Error::success();
    return std::move(std::get<1>(storage));
  }

private:
  std::variant<T, Error> storage;
};

} // namespace nnc::rt

#endif // NNC_RUNTIME_STATUS_H
