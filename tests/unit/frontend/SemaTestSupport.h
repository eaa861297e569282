//===- SemaTestSupport.h - Helpers of the sema tests ------------*- C++ -*-===//
//
// What the Sema*Test.cpp files share: a source compiled, its diagnostics
// as lines, and the declarations many of their sources start with.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TESTS_UNIT_FRONTEND_SEMATESTSUPPORT_H
#define NNC_TESTS_UNIT_FRONTEND_SEMATESTSUPPORT_H

#include "frontend/Frontend.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace nnc::frontend::test {

/// `source` compiled as t.nn, with its diagnostics and, where it checks,
/// its program.
struct Compiled {
  DiagnosticEngine diags;
  std::optional<Program> program;

  explicit Compiled(std::string source, FrontendLimits limits = {})
      : diags("t.nn", std::move(source)) {
    program = compileSource(diags, limits);
  }

  /// Errors and notes as "line:col: message", in order.
  std::vector<std::string> messages() const {
    std::vector<std::string> out;
    for (const Diagnostic &d : diags.diagnostics())
      out.push_back(
          std::string(d.severity == Diagnostic::Severity::Note ? "note " : "") +
          std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col) + ": " +
          d.message);
    return out;
  }

  std::vector<std::string> argumentNames() const {
    std::vector<std::string> out;
    for (const Argument &a : program->arguments)
      out.push_back(a.name);
    return out;
  }

  std::vector<std::string> ops() const {
    std::vector<std::string> out;
    for (const Node &n : program->nodes)
      out.push_back(n.op);
    return out;
  }

  const Argument &arg(const std::string &name) const {
    for (const Argument &a : program->arguments)
      if (a.name == name)
        return a;
    ADD_FAILURE() << "no argument " << name;
    return program->arguments.front();
  }
};

/// Diagnostics as Compiled::messages() gives them.
using Msgs = std::vector<std::string>;

/// The input most sources start with.
inline const char *kHeader = "input x: f32[B, 64]\n";

/// A dense layer with parameters of its own, for the tests of layers.
inline const char *kDense = "layer dense(x, fan_in: int, fan_out: int) {\n"
                            "  param w: f32[fan_in, fan_out] = he\n"
                            "  param b: f32[fan_out] = zeros\n"
                            "  return x @ w + b\n"
                            "}\n";

} // namespace nnc::frontend::test

#endif // NNC_TESTS_UNIT_FRONTEND_SEMATESTSUPPORT_H
