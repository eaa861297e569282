//===- GradCheckHarness.h - Autodiff against finite differences -*- C++ -*-===//
//
// Checks the gradient function nnc builds (nnc::buildGradFunction) against
// central finite differences of the forward function's loss, both compiled
// with a backend plugin (the ref interpreter) and run in f64.
//
// The test gives the MLIR text of a `module { func.func @forward(...) }`
// in f64 with static shapes: arguments carry `nn.name` and `nn.role`
// (input, param or buffer), and one result, a scalar, has `nn.role =
// "loss"`. The harness parses it, builds @grad on a clone (so @forward is
// compiled exactly as written), verifies both, compiles both, fills the
// arguments, runs @grad once for the analytic gradients and @forward twice
// per checked element for the numeric ones.
//
// Argument values. Every argument is filled from its own SplitMix64 stream
// (Steele, Lea and Flood 2014: state += 0x9e3779b97f4a7c15, then the
// xor-shift-multiply finaliser) seeded with `seed ^ fnv1a64(nn.name)`, so
// adding an argument does not change the others. A float element is
// low + (high - low) * u with u = (next() >> 11) * 2^-53 in [0, 1); an
// integer element is low + next() % (high - low). The default range is
// [-1, 1) for floats and [0, 1) for integers; ArgumentFill overrides it, or
// gives the values outright.
//
// The numeric gradient of element x is (L(x + h) - L(x - h)) / 2h with
// h = 1e-6 * max(1, |x|). Its error is the truncation h^2 f'''/6 (about
// 1e-12 for the O(1) values the tests use) plus round-off of about
// eps * S / h = 2.2e-10 * S, S the size of the terms summed into L: near
// 1e-9 absolute for the losses here.
//
// The error of an element is
//   |a - n| / max(|a|, |n|, 1e-3 * max(1, |L|))
// where a is analytic, n numeric and L the loss at the unperturbed point.
// The floor, proportional to the loss, bounds the round-off's share by
// about 2.2e-7 * S / |L| whatever the gradient's size, so gradients that
// are (nearly) zero are compared absolutely instead of turning round-off
// into large ratios. The default tolerance is 1e-5: over the whole suite
// the worst error seen is below 1e-6 (most cases 1e-10 to 1e-8), while a
// wrong rule (a missed factor, a transposed or misplaced element, a dropped
// broadcast term, a biased variance) gives 1e-3 or more. Tests must keep
// points away from kinks (relu, abs, max at 0; ties in reduce_max and
// max_pool2d) by more than h, which they do by choosing inputs.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TESTS_GRADCHECK_GRADCHECKHARNESS_H
#define NNC_TESTS_GRADCHECK_GRADCHECKHARNESS_H

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nnc::gradcheck {

/// SplitMix64, the generator of the harness and of the random graphs: a
/// 64-bit state advanced by a constant, fully determined by its seed.
class SplitMix64 {
public:
  explicit SplitMix64(uint64_t seed) : state(seed) {}
  /// The next 64 random bits.
  uint64_t next();
  /// Uniform in [0, 1), 53 random bits.
  double uniform();
  /// Uniform in [low, high).
  double uniform(double low, double high) {
    return low + (high - low) * uniform();
  }
  /// Uniform integer in [low, high); `low < high` asserted.
  int64_t integer(int64_t low, int64_t high);

private:
  uint64_t state;
};

/// The 64-bit FNV-1a hash of `text` (offset basis 0xcbf29ce484222325,
/// prime 0x100000001b3), which decorrelates the arguments' streams.
uint64_t fnv1a64(const std::string &text);

/// How one argument is filled; the default is uniform in [-1, 1) for
/// floats, [0, 1) for integers.
struct ArgumentFill {
  /// Range of a float argument, [low, high).
  double low = -1, high = 1;
  /// Range of an integer argument (labels, indices), [intLow, intHigh).
  int64_t intLow = 0, intHigh = 1;
  /// When not empty: the values in C order (converted to the argument's
  /// dtype); their count must match the argument's element count.
  std::vector<double> values;

  static ArgumentFill range(double low, double high) {
    ArgumentFill fill;
    fill.low = low;
    fill.high = high;
    return fill;
  }
  static ArgumentFill integers(int64_t low, int64_t high) {
    ArgumentFill fill;
    fill.intLow = low;
    fill.intHigh = high;
    return fill;
  }
  static ArgumentFill exactly(std::vector<double> values) {
    ArgumentFill fill;
    fill.values = std::move(values);
    return fill;
  }
};

/// "tensor<3x4xf64>": the MLIR type of a tensor of `shape` and `element`
/// type ("f64", "i32", ...); "tensor<f64>" for a scalar.
std::string tensorType(const rt::Shape &shape,
                       const std::string &element = "f64");

/// What one check does.
struct GradCheckOptions {
  /// Seed of every argument's stream (see the file comment).
  uint64_t seed = 0x6772616463686b;
  /// Fills by argument `nn.name`; other arguments get the default.
  std::map<std::string, ArgumentFill> fills;
  /// Elements checked per parameter: all of them up to this count, else
  /// this many distinct ones drawn from the parameter's stream (the first
  /// and last always among them).
  int64_t maxElements = 24;
  /// The largest error allowed (see the file comment).
  double tolerance = 1e-5;
  /// Plugin library to compile with; empty means the ref plugin of the
  /// build (or NNC_GRADCHECK_PLUGIN when set).
  std::string pluginPath;
};

/// The outcome of a check.
struct GradCheckReport {
  /// True when everything compiled and ran and every checked element is
  /// within tolerance.
  bool passed = false;
  /// Elements compared, over all parameters.
  int64_t elementsChecked = 0;
  /// The largest error seen.
  double worstError = 0;
  /// Empty when passed; else the compile or run error, or one line per
  /// failing element: parameter, flat and multi-index, value, analytic,
  /// numeric and error.
  std::string message;
};

/// A forward function and its gradient function, compiled and ready to
/// run on values the test may change.
class GradCheckSession {
public:
  /// Parses `mlirText`, builds @grad, verifies and compiles both, and
  /// fills the arguments. Fails with the MLIR diagnostics, the plugin's
  /// error, or a message naming what is wrong with the module.
  static rt::Expected<std::unique_ptr<GradCheckSession>>
  create(const std::string &mlirText, const GradCheckOptions &options);

  ~GradCheckSession();
  GradCheckSession(const GradCheckSession &) = delete;
  GradCheckSession &operator=(const GradCheckSession &) = delete;

  /// The argument named `name` (its `nn.name`), to read or change; null
  /// when there is none.
  rt::Tensor *argument(const std::string &name);

  /// Runs @forward on the current arguments and returns its loss.
  rt::Expected<double> forwardLoss();

  /// Runs @grad on the current arguments; then gradLoss() and gradient()
  /// give its results.
  rt::Error runGrad();
  /// The loss @grad returned on its last run.
  double gradLoss() const;
  /// The gradient of parameter `name` from @grad's last run (the result
  /// `grad_NAME`); null when @grad has none.
  const rt::Tensor *gradient(const std::string &name) const;
  /// The names of the parameters @grad differentiates, in result order.
  std::vector<std::string> gradientNames() const;

  /// Runs @grad, then compares each parameter's gradient with central
  /// differences of @forward's loss, as the file comment says. Arguments
  /// are left as they were.
  GradCheckReport check();

  struct Impl;

private:
  explicit GradCheckSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

/// GradCheckSession::create, then check(); a creation failure is a failed
/// report carrying its message.
GradCheckReport checkGradients(const std::string &mlirText,
                               const GradCheckOptions &options = {});

} // namespace nnc::gradcheck

#endif // NNC_TESTS_GRADCHECK_GRADCHECKHARNESS_H
