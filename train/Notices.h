//===- Notices.h - What a library call tells on the side -------*- C++ -*-===//
//
// The libraries print nothing. What the command line shows on stderr beside
// a command's result (a plugin skipped, a source warning, which backend
// runs) reaches the caller through these callbacks instead; the command
// prints them (ConsoleReporter.h), the Python module turns warnings into
// Python warnings. Either may be left empty: its notices are then dropped.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_NOTICES_H
#define NNC_TRAIN_NOTICES_H

#include <functional>
#include <string>

namespace nnc::train {

struct Notices {
  /// A warning that does not stop the call, without "warning: ".
  std::function<void(const std::string &)> warning;
  /// Text for the error stream as it is, ending in a newline: a source
  /// warning rendered with its location, which backend runs, a parameter
  /// taken from its initializer for want of a file.
  std::function<void(const std::string &)> diagnostic;

  void warn(const std::string &message) const {
    if (warning)
      warning(message);
  }
  void show(const std::string &text) const {
    if (diagnostic)
      diagnostic(text);
  }
};

} // namespace nnc::train

#endif // NNC_TRAIN_NOTICES_H
