//===- ConformanceTest.h - The backend conformance fixture ------*- C++ -*-===//
//
// The suite is written once and instantiated for every plugin found in the
// build's plugin folder: each TEST_P of BackendConformance runs once per
// plugin, named after it ("Plugins/BackendConformance.AddBroadcasts/ref").
//
// A case gives a graph in MLIR text and its inputs, and checks the outputs
// against values worked out by hand or in closed form, never against
// another backend. A plugin declares what it supports (supported_ops); a
// case using an op it does not list is skipped as "unsupported by <name>",
// so there is no list of skipped test names anywhere.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TESTS_CONFORMANCE_CONFORMANCETEST_H
#define NNC_TESTS_CONFORMANCE_CONFORMANCETEST_H

#include "runtime/PluginABI.h"
#include "runtime/Tensor.h"
#include "tests/conformance/KernelModule.h"
#include "tests/conformance/PluginUnderTest.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace nnc::conformance {

using rt::DType;
using rt::Shape;
using rt::Tensor;

/// A tensor as tests write it: copyable, unlike rt::Tensor, so inputs can
/// be brace lists. run() copies it into 64-byte aligned storage.
struct TensorData {
  DType dtype = DType::F32;
  Shape shape;
  /// The elements in C order, as raw bytes of `dtype`.
  std::vector<std::byte> bytes;
};

/// What running one kernel gave.
struct KernelRun {
  enum class State {
    NotRun,      ///< Skipped, or a failure already reported.
    Ok,          ///< `outputs` hold the results.
    KernelError, ///< The kernel returned NNC_ERROR; `error` says why.
  };
  State state = State::NotRun;
  /// One tensor per result of the kernel function.
  std::vector<Tensor> outputs;
  std::string error;

  /// True when the kernel ran and succeeded.
  explicit operator bool() const { return state == State::Ok; }
  Tensor &operator[](size_t index) { return outputs.at(index); }
};

/// How to call a kernel beyond its inputs.
struct RunOptions {
  /// Which kernel of the module to run.
  int64_t kernel = 0;
  /// Pairs (result, argument): the result is written into the argument's
  /// buffer, as a memory plan that works in place does.
  std::vector<std::pair<size_t, size_t>> resultIntoArgument;
};

/// What compiling raw bytes gave; the executable is already destroyed.
struct CompileOutcome {
  nnc_status status = NNC_ERROR;
  /// The plugin's message, empty when it returned no error object.
  std::string message;
  int64_t numKernels = 0;
};

/// The fixture; the parameter is the plugin's path.
class BackendConformance : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override;

  const PluginUnderTest &plugin() const { return *loaded; }
  const nnc_plugin_api &api() const { return *loaded->api; }

  /// Builds the graph of `mlirText`, skips the test when the plugin does not
  /// list one of its ops, compiles it, runs the kernel over its range one
  /// iteration per call (as a host splitting it finely would) and returns
  /// the results. Every failure, including a kernel error, is reported, and
  /// the returned run is then false.
  KernelRun run(const std::string &mlirText,
                const std::vector<TensorData> &inputs,
                const RunOptions &options = {});

  /// As run(), but a kernel error is the expected outcome, not a failure:
  /// the returned run holds it in `error`.
  KernelRun runAllowingError(const std::string &mlirText,
                             const std::vector<TensorData> &inputs,
                             const RunOptions &options = {});

  /// Hands `bytes` to the plugin's compile as they are (no skipping).
  CompileOutcome compileBytes(const std::string &bytes);

  /// Skips the test unless the plugin lists every op of `module`.
  void skipUnlessSupported(const KernelModule &module);

private:
  const PluginUnderTest *loaded = nullptr;
};

/// Tensors holding `values` in C order; the count must match the shape.
TensorData f32(Shape shape, const std::vector<float> &values);
TensorData f64(Shape shape, const std::vector<double> &values);
TensorData i32(Shape shape, const std::vector<int32_t> &values);
TensorData i64(Shape shape, const std::vector<int64_t> &values);

/// Expects a float tensor of `shape` whose elements are within
/// `tolerance` (absolute, and relative to the expected value) of
/// `expected`; a NaN expected value wants a NaN.
void expectClose(const Tensor &actual, const Shape &shape,
                 const std::vector<double> &expected, double tolerance = 1e-5);

/// Expects an integer tensor of `shape` holding exactly `expected`.
void expectInts(const Tensor &actual, const Shape &shape,
                const std::vector<int64_t> &expected);

/// The elements of a float tensor, as doubles.
std::vector<double> valuesOf(const Tensor &tensor);

/// Every 1/64 from -12 to 12: a map's inputs across the range where f32's
/// erf, exp and tanh go from their tails to saturation.
std::vector<float> everySixtyFourthOverPlusMinusTwelve();

/// Expects element i of `actual` (a float tensor of xs.size() elements)
/// within `tolerance(x)` of `expected(x)` for x = xs[i], in double.
void expectMapOf(const Tensor &actual, const std::vector<float> &xs,
                 const std::function<double(double)> &expected,
                 const std::function<double(double)> &tolerance);

} // namespace nnc::conformance

#endif // NNC_TESTS_CONFORMANCE_CONFORMANCETEST_H
