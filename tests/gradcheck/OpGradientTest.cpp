//===- OpGradientTest.cpp - Every gradient rule against finite differences ===//
//
// One case per differentiable op of docs/dsl.md (and per attribute that
// changes its rule): the op's float operands are parameters, and the loss
// is reduce_sum(op(...) * wts) with `wts` random weights, so that the
// upstream gradient differs per element. Inputs are chosen away from the
// ops' kinks: relu, abs and leaky_relu at 0, ties of reduce_max and
// max_pool2d, log and sqrt near 0.
//
//===----------------------------------------------------------------------===//

#include "tests/gradcheck/GradCheckHarness.h"

#include "ir/NNOpFacts.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>

using namespace nnc;
using namespace nnc::gradcheck;

namespace {

/// One argument of a test's @forward, named %NAME in its body.
struct Arg {
  std::string name;
  rt::Shape shape;
  std::string role = "param";
  std::string element = "f64";
};

Arg input(std::string name, rt::Shape shape, std::string element = "f64") {
  return {std::move(name), std::move(shape), "input", std::move(element)};
}

int64_t countOf(const rt::Shape &shape) {
  int64_t count = 1;
  for (int64_t extent : shape)
    count *= extent;
  return count;
}

/// A module whose @forward takes `args` and then the input `wts` of
/// `outShape`, runs `body`, which defines %out of `outShape`, and returns
/// the loss reduce_sum(%out * %wts).
std::string weightedLoss(const std::vector<Arg> &args, const std::string &body,
                         const rt::Shape &outShape) {
  std::string out = tensorType(outShape);
  std::string text = "module {\nfunc.func @forward(";
  for (const Arg &arg : args)
    text += "%" + arg.name + ": " + tensorType(arg.shape, arg.element) +
            " {nn.name = \"" + arg.name + "\", nn.role = \"" + arg.role +
            "\"},\n    ";
  text += "%wts: " + out + " {nn.name = \"wts\", nn.role = \"input\"})\n" +
          "    -> (tensor<f64> {nn.name = \"loss\", nn.role = \"loss\"}) {\n" +
          body + "\n  %weighted = nn.mul %out, %wts : " + out + ", " + out +
          " -> " + out + "\n";
  if (outShape.empty())
    return text + "  return %weighted : tensor<f64>\n}\n}\n";
  return text + "  %loss = nn.reduce_sum %weighted : " + out +
         " -> tensor<f64>\n  return %loss : tensor<f64>\n}\n}\n";
}

/// `count` values of magnitude in [0.2, 1) with random signs: away from
/// the kinks of relu, abs and leaky_relu at 0.
std::vector<double> awayFromZero(int64_t count, uint64_t seed = 7) {
  SplitMix64 random(seed);
  std::vector<double> values;
  for (int64_t i = 0; i < count; ++i) {
    double magnitude = random.uniform(0.2, 1.0);
    values.push_back(random.next() & 1 ? magnitude : -magnitude);
  }
  return values;
}

/// A random permutation of `count` distinct values evenly spaced over
/// [-1, 1]: every max is unique, by a gap far above the step h.
std::vector<double> distinct(int64_t count, uint64_t seed = 11) {
  std::vector<double> values;
  for (int64_t i = 0; i < count; ++i)
    values.push_back(-1.0 + 2.0 * static_cast<double>(i) /
                                std::max<int64_t>(1, count - 1));
  SplitMix64 random(seed);
  for (int64_t i = count - 1; i > 0; --i)
    std::swap(values[i], values[random.integer(0, i + 1)]);
  return values;
}

std::string formatError(double error) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3e", error);
  return text;
}

void expectGradientsMatch(const std::string &text,
                          const GradCheckOptions &options = {}) {
  GradCheckReport report = checkGradients(text, options);
  EXPECT_TRUE(report.passed) << report.message << "\nin:\n" << text;
  EXPECT_GT(report.elementsChecked, 0) << text;
  testing::Test::RecordProperty("worst_error", formatError(report.worstError));
}

//===----------------------------------------------------------------------===//
// Elementwise binary ops with broadcasting.
//===----------------------------------------------------------------------===//

struct BinaryCase {
  const char *op;
  rt::Shape lhs, rhs, result;
};

void PrintTo(const BinaryCase &c, std::ostream *os) {
  *os << c.op << " " << rt::shapeToString(c.lhs) << " "
      << rt::shapeToString(c.rhs);
}

class BinaryGradientTest : public testing::TestWithParam<BinaryCase> {};

TEST_P(BinaryGradientTest, MatchesFiniteDifferences) {
  const BinaryCase &c = GetParam();
  std::string body = std::string("  %out = nn.") + c.op +
                     " %a, %b : " + tensorType(c.lhs) + ", " +
                     tensorType(c.rhs) + " -> " + tensorType(c.result);
  GradCheckOptions options;
  std::string op = c.op;
  // Positive bases for pow, denominators away from 0 for div.
  if (op == "pow")
    options.fills["a"] = ArgumentFill::range(0.5, 1.5);
  if (op == "div" || op == "pow")
    options.fills["b"] = ArgumentFill::range(0.5, 1.5);
  expectGradientsMatch(
      weightedLoss({{"a", c.lhs}, {"b", c.rhs}}, body, c.result), options);
}

std::vector<BinaryCase> binaryCases() {
  std::vector<BinaryCase> cases;
  for (const char *op : {"add", "sub", "mul", "div", "pow"}) {
    cases.push_back({op, {3, 4}, {3, 4}, {3, 4}});
    cases.push_back({op, {3, 1}, {1, 4}, {3, 4}});
    cases.push_back({op, {3, 4}, {}, {3, 4}});
    cases.push_back({op, {}, {3, 4}, {3, 4}});
    cases.push_back({op, {2, 3, 4}, {4}, {2, 3, 4}});
    cases.push_back({op, {3, 1}, {2, 1, 4}, {2, 3, 4}});
  }
  return cases;
}

std::string binaryName(const testing::TestParamInfo<BinaryCase> &info) {
  auto shape = [](const rt::Shape &s) {
    std::string text = "s";
    for (int64_t e : s)
      text += std::to_string(e);
    return text;
  };
  return std::string(info.param.op) + "_" + shape(info.param.lhs) + "_" +
         shape(info.param.rhs);
}

INSTANTIATE_TEST_SUITE_P(Ops, BinaryGradientTest,
                         testing::ValuesIn(binaryCases()), binaryName);

//===----------------------------------------------------------------------===//
// Elementwise unary ops.
//===----------------------------------------------------------------------===//

struct UnaryCase {
  std::string name;
  /// The op with its attributes, e.g. "leaky_relu %x alpha 0.2".
  std::string op;
  nn::GradcheckDomain domain;
};

void PrintTo(const UnaryCase &c, std::ostream *os) { *os << c.name; }

/// Every unary elementwise op the model language can call, from its ODS
/// declaration (ir/NNOpFacts.h), so a new one is checked without an edit
/// here; then attribute variants and unary ops that are not maps.
std::vector<UnaryCase> unaryCases() {
  std::vector<UnaryCase> cases;
  for (const nn::OpFacts &facts : nn::allOpFacts()) {
    if (facts.elementwiseArity != 1 || !facts.callable)
      continue;
    std::string mnemonic = llvm::StringRef(facts.name).split('.').second.str();
    cases.push_back({mnemonic, mnemonic + " %x", facts.gradcheckDomain});
  }
  cases.push_back({"leaky_relu_alpha", "leaky_relu %x alpha 0.2",
                   nn::GradcheckDomain::NonZero});
  cases.push_back({"dropout_eval", "dropout %x {rate = 0.3 : f64}",
                   nn::GradcheckDomain::Any});
  return cases;
}

class UnaryGradientTest : public testing::TestWithParam<UnaryCase> {};

TEST_P(UnaryGradientTest, MatchesFiniteDifferences) {
  const UnaryCase &c = GetParam();
  rt::Shape shape = {3, 5};
  std::string type = tensorType(shape);
  std::string body = "  %out = nn." + c.op + " : " + type;
  GradCheckOptions options;
  switch (c.domain) {
  case nn::GradcheckDomain::Any:
    options.fills["x"] = ArgumentFill::range(-2, 2);
    break;
  case nn::GradcheckDomain::NonZero:
    options.fills["x"] = ArgumentFill::exactly(awayFromZero(countOf(shape)));
    break;
  case nn::GradcheckDomain::Positive:
    options.fills["x"] = ArgumentFill::range(0.2, 2);
    break;
  }
  expectGradientsMatch(weightedLoss({{"x", shape}}, body, shape), options);
}

INSTANTIATE_TEST_SUITE_P(Ops, UnaryGradientTest,
                         testing::ValuesIn(unaryCases()),
                         [](const testing::TestParamInfo<UnaryCase> &info) {
                           return info.param.name;
                         });

// Dropout in training mode: the mask is a function of seed and step, so
// @forward is a fixed linear map and the gradient reuses its mask.
TEST(DropoutGradientTest, TrainingModeReusesTheMask) {
  std::string type = tensorType({4, 6});
  std::string body =
      "  %out = nn.dropout %x, %step {rate = 0.4 : f64, seed = 5 : i64, "
      "training = true} : " +
      type;
  GradCheckOptions options;
  options.fills["step"] = ArgumentFill::exactly({3});
  expectGradientsMatch(
      weightedLoss({{"x", {4, 6}}, input("step", {}, "i64")}, body, {4, 6}),
      options);
}

//===----------------------------------------------------------------------===//
// matmul, softmax, log_softmax.
//===----------------------------------------------------------------------===//

struct MatmulCase {
  const char *name;
  rt::Shape lhs, rhs, result;
};

void PrintTo(const MatmulCase &c, std::ostream *os) { *os << c.name; }

class MatmulGradientTest : public testing::TestWithParam<MatmulCase> {};

TEST_P(MatmulGradientTest, MatchesFiniteDifferences) {
  const MatmulCase &c = GetParam();
  std::string body = "  %out = nn.matmul %a, %b : " + tensorType(c.lhs) + ", " +
                     tensorType(c.rhs) + " -> " + tensorType(c.result);
  expectGradientsMatch(
      weightedLoss({{"a", c.lhs}, {"b", c.rhs}}, body, c.result));
}

INSTANTIATE_TEST_SUITE_P(
    Ops, MatmulGradientTest,
    testing::Values(
        MatmulCase{"plain", {3, 4}, {4, 5}, {3, 5}},
        MatmulCase{"batched", {2, 3, 4}, {2, 4, 5}, {2, 3, 5}},
        MatmulCase{"batched_rhs_shared", {2, 3, 4}, {4, 5}, {2, 3, 5}},
        MatmulCase{"batched_lhs_shared", {3, 4}, {2, 4, 5}, {2, 3, 5}},
        MatmulCase{"broadcast_batch", {2, 1, 3, 4}, {3, 4, 2}, {2, 3, 3, 2}},
        MatmulCase{"broadcast_both", {2, 1, 2, 3}, {1, 3, 3, 2}, {2, 3, 2, 2}}),
    [](const testing::TestParamInfo<MatmulCase> &info) {
      return std::string(info.param.name);
    });

class SoftmaxGradientTest
    : public testing::TestWithParam<std::tuple<const char *, int>> {};

TEST_P(SoftmaxGradientTest, MatchesFiniteDifferences) {
  auto [op, axis] = GetParam();
  std::string type = tensorType({2, 3, 4});
  std::string body = std::string("  %out = nn.") + op + " %x axis " +
                     std::to_string(axis) + " : " + type;
  GradCheckOptions options;
  options.fills["x"] = ArgumentFill::range(-2, 2);
  expectGradientsMatch(weightedLoss({{"x", {2, 3, 4}}}, body, {2, 3, 4}),
                       options);
}

INSTANTIATE_TEST_SUITE_P(
    Ops, SoftmaxGradientTest,
    testing::Combine(testing::Values("softmax", "log_softmax"),
                     testing::Values(0, 1, 2, -1)),
    [](const testing::TestParamInfo<std::tuple<const char *, int>> &info) {
      int axis = std::get<1>(info.param);
      return std::string(std::get<0>(info.param)) + "_axis" +
             (axis < 0 ? "m" + std::to_string(-axis) : std::to_string(axis));
    });

//===----------------------------------------------------------------------===//
// Reductions.
//===----------------------------------------------------------------------===//

struct ReduceCase {
  const char *name;
  /// e.g. "axes [0, 2] keepdims true"; empty reduces every axis.
  const char *attributes;
  rt::Shape result;
};

void PrintTo(const ReduceCase &c, std::ostream *os) { *os << c.name; }

class ReduceGradientTest
    : public testing::TestWithParam<std::tuple<const char *, ReduceCase>> {};

TEST_P(ReduceGradientTest, MatchesFiniteDifferences) {
  auto [op, c] = GetParam();
  rt::Shape shape = {2, 3, 4};
  std::string body = std::string("  %out = nn.") + op + " %x " + c.attributes +
                     " : " + tensorType(shape) + " -> " + tensorType(c.result);
  GradCheckOptions options;
  // Distinct values: reduce_max has one maximum per slice, 2/23 above the
  // next.
  options.fills["x"] = ArgumentFill::exactly(distinct(countOf(shape)));
  expectGradientsMatch(weightedLoss({{"x", shape}}, body, c.result), options);
}

INSTANTIATE_TEST_SUITE_P(
    Ops, ReduceGradientTest,
    testing::Combine(
        testing::Values("reduce_sum", "reduce_mean", "reduce_max"),
        testing::Values(
            ReduceCase{"all", "", {}},
            ReduceCase{"all_keepdims", "keepdims true", {1, 1, 1}},
            ReduceCase{"axis1", "axes [1]", {2, 4}},
            ReduceCase{"axis1_keepdims", "axes [1] keepdims true", {2, 1, 4}},
            ReduceCase{"axes02", "axes [0, 2]", {3}},
            ReduceCase{
                "axes02_keepdims", "axes [0, 2] keepdims true", {1, 3, 1}},
            ReduceCase{"axis_last", "axes [-1]", {2, 3}},
            ReduceCase{"axes01", "axes [0, 1]", {4}})),
    [](const testing::TestParamInfo<std::tuple<const char *, ReduceCase>>
           &info) {
      return std::string(std::get<0>(info.param)) + "_" +
             std::get<1>(info.param).name;
    });

//===----------------------------------------------------------------------===//
// Shape and data-movement ops.
//===----------------------------------------------------------------------===//

struct ShapeCase {
  const char *name;
  std::vector<Arg> args;
  /// Defines %out.
  std::string body;
  rt::Shape result;
};

void PrintTo(const ShapeCase &c, std::ostream *os) { *os << c.name; }

class ShapeGradientTest : public testing::TestWithParam<ShapeCase> {};

TEST_P(ShapeGradientTest, MatchesFiniteDifferences) {
  const ShapeCase &c = GetParam();
  GradCheckOptions options;
  // In range for the gathers' axes; duplicates are likely, which tests the
  // scatter-add.
  options.fills["idx"] = ArgumentFill::integers(0, 4);
  expectGradientsMatch(weightedLoss(c.args, c.body, c.result), options);
}

std::string op1(const std::string &op, const rt::Shape &from,
                const rt::Shape &to) {
  return "  %out = nn." + op + " : " + tensorType(from) + " -> " +
         tensorType(to);
}

INSTANTIATE_TEST_SUITE_P(
    Ops, ShapeGradientTest,
    testing::Values(
        ShapeCase{"reshape",
                  {{"x", {2, 3, 4}}},
                  op1("reshape %x shape [6, 4]", {2, 3, 4}, {6, 4}),
                  {6, 4}},
        ShapeCase{"reshape_flat",
                  {{"x", {2, 3, 4}}},
                  op1("reshape %x shape [-1]", {2, 3, 4}, {24}),
                  {24}},
        ShapeCase{"reshape_up",
                  {{"x", {12}}},
                  op1("reshape %x shape [2, -1, 3]", {12}, {2, 2, 3}),
                  {2, 2, 3}},
        ShapeCase{"transpose_perm",
                  {{"x", {2, 3, 4}}},
                  op1("transpose %x perm [2, 0, 1]", {2, 3, 4}, {4, 2, 3}),
                  {4, 2, 3}},
        ShapeCase{"transpose_reversed",
                  {{"x", {2, 3, 4}}},
                  op1("transpose %x", {2, 3, 4}, {4, 3, 2}),
                  {4, 3, 2}},
        ShapeCase{"broadcast_to_rank",
                  {{"x", {4}}},
                  op1("broadcast_to %x shape [3, 4]", {4}, {3, 4}),
                  {3, 4}},
        ShapeCase{"broadcast_to_ones",
                  {{"x", {3, 1}}},
                  op1("broadcast_to %x shape [2, 3, 4]", {3, 1}, {2, 3, 4}),
                  {2, 3, 4}},
        ShapeCase{"broadcast_to_scalar",
                  {{"x", {}}},
                  op1("broadcast_to %x shape [2, 3]", {}, {2, 3}),
                  {2, 3}},
        ShapeCase{"concat_axis0",
                  {{"a", {2, 3}}, {"b", {1, 3}}, {"c", {3, 3}}},
                  "  %out = nn.concat %a, %b, %c axis 0 : tensor<2x3xf64>, "
                  "tensor<1x3xf64>, tensor<3x3xf64> -> tensor<6x3xf64>",
                  {6, 3}},
        ShapeCase{"concat_axis1_repeated",
                  {{"a", {2, 3}}, {"b", {2, 2}}},
                  "  %out = nn.concat %a, %b, %a axis 1 : tensor<2x3xf64>, "
                  "tensor<2x2xf64>, tensor<2x3xf64> -> tensor<2x8xf64>",
                  {2, 8}},
        ShapeCase{"slice_step",
                  {{"x", {3, 8}}},
                  op1("slice %x axes [1] starts [1] ends [8] steps [2]", {3, 8},
                      {3, 4}),
                  {3, 4}},
        ShapeCase{"slice_axes_negative_start",
                  {{"x", {4, 3, 6}}},
                  op1("slice %x axes [0, 2] starts [-3, 0] ends [4, 5] "
                      "steps [1, 3]",
                      {4, 3, 6}, {3, 3, 2}),
                  {3, 3, 2}},
        ShapeCase{"gather_axis0",
                  {{"x", {4, 3}}, input("idx", {2, 3}, "i32")},
                  "  %out = nn.gather %x, %idx : tensor<4x3xf64>, "
                  "tensor<2x3xi32> -> tensor<2x3x3xf64>",
                  {2, 3, 3}},
        ShapeCase{"gather_axis1_i64",
                  {{"x", {2, 4, 3}}, input("idx", {5}, "i64")},
                  "  %out = nn.gather %x, %idx axis 1 : tensor<2x4x3xf64>, "
                  "tensor<5xi64> -> tensor<2x5x3xf64>",
                  {2, 5, 3}},
        // embedding(table, ids) is gather on axis 0 of a [vocab, dim] table.
        ShapeCase{"embedding",
                  {{"table", {4, 5}}, input("idx", {3, 2}, "i64")},
                  "  %out = nn.gather %table, %idx axis 0 : tensor<4x5xf64>, "
                  "tensor<3x2xi64> -> tensor<3x2x5xf64>",
                  {3, 2, 5}}),
    [](const testing::TestParamInfo<ShapeCase> &info) {
      return std::string(info.param.name);
    });

//===----------------------------------------------------------------------===//
// conv2d, pooling, batch_norm, layer_norm.
//===----------------------------------------------------------------------===//

struct LayerCase {
  const char *name;
  std::vector<Arg> args;
  std::string body;
  rt::Shape result;
  /// Distinct values for %x (pooling windows with one maximum).
  bool distinctX = false;
};

void PrintTo(const LayerCase &c, std::ostream *os) { *os << c.name; }

class LayerGradientTest : public testing::TestWithParam<LayerCase> {};

TEST_P(LayerGradientTest, MatchesFiniteDifferences) {
  const LayerCase &c = GetParam();
  GradCheckOptions options;
  if (c.distinctX)
    options.fills["x"] =
        ArgumentFill::exactly(distinct(countOf(c.args.front().shape)));
  // Running variances well above 0.
  options.fills["var"] = ArgumentFill::range(0.5, 1.5);
  expectGradientsMatch(weightedLoss(c.args, c.body, c.result), options);
}

std::string conv(const std::string &operands, const std::string &attributes,
                 const std::vector<rt::Shape> &shapes, const rt::Shape &to) {
  std::string types;
  for (const rt::Shape &shape : shapes)
    types += (types.empty() ? "" : ", ") + tensorType(shape);
  return "  %out = nn.conv2d " + operands + " " + attributes + " : " + types +
         " -> " + tensorType(to);
}

std::string batchNorm(const rt::Shape &x, int64_t channels,
                      const std::string &attributes) {
  std::string c = tensorType({channels});
  return "  %out, %new_mean, %new_var = nn.batch_norm %x, %gamma, %beta, "
         "%mean, %var " +
         attributes + " : " + tensorType(x) + ", " + c + ", " + c + ", " + c +
         ", " + c + " -> " + tensorType(x) + ", " + c + ", " + c;
}

std::vector<Arg> batchNormArgs(const rt::Shape &x, int64_t channels) {
  return {{"x", x},
          {"gamma", {channels}},
          {"beta", {channels}},
          {"mean", {channels}, "buffer"},
          {"var", {channels}, "buffer"}};
}

INSTANTIATE_TEST_SUITE_P(
    Ops, LayerGradientTest,
    testing::Values(
        LayerCase{
            "conv2d_plain",
            {{"x", {2, 3, 5, 5}}, {"w", {4, 3, 3, 3}}},
            conv("%x, %w", "", {{2, 3, 5, 5}, {4, 3, 3, 3}}, {2, 4, 3, 3}),
            {2, 4, 3, 3}},
        LayerCase{"conv2d_stride2_padding1",
                  {{"x", {2, 3, 6, 6}}, {"w", {4, 3, 3, 3}}},
                  conv("%x, %w", "stride [2, 2] padding [1, 1]",
                       {{2, 3, 6, 6}, {4, 3, 3, 3}}, {2, 4, 3, 3}),
                  {2, 4, 3, 3}},
        LayerCase{"conv2d_dilation2",
                  {{"x", {1, 2, 7, 7}}, {"w", {3, 2, 3, 3}}},
                  conv("%x, %w", "dilation [2, 2]",
                       {{1, 2, 7, 7}, {3, 2, 3, 3}}, {1, 3, 3, 3}),
                  {1, 3, 3, 3}},
        LayerCase{"conv2d_groups2_bias",
                  {{"x", {2, 4, 5, 5}}, {"w", {6, 2, 3, 3}}, {"b", {6}}},
                  conv("%x, %w, %b", "padding [1, 1] groups 2",
                       {{2, 4, 5, 5}, {6, 2, 3, 3}, {6}}, {2, 6, 5, 5}),
                  {2, 6, 5, 5}},
        LayerCase{"conv2d_all",
                  {{"x", {2, 4, 8, 7}}, {"w", {6, 2, 3, 2}}, {"b", {6}}},
                  conv("%x, %w, %b",
                       "stride [2, 2] padding [1, 1] dilation [2, 2] groups 2",
                       {{2, 4, 8, 7}, {6, 2, 3, 2}, {6}}, {2, 6, 3, 4}),
                  {2, 6, 3, 4}},
        LayerCase{"conv2d_asymmetric",
                  {{"x", {1, 2, 6, 5}}, {"w", {2, 2, 2, 3}}, {"b", {2}}},
                  conv("%x, %w, %b", "stride [2, 1] padding [0, 1]",
                       {{1, 2, 6, 5}, {2, 2, 2, 3}, {2}}, {1, 2, 3, 5}),
                  {1, 2, 3, 5}},
        LayerCase{
            "max_pool2d",
            {{"x", {2, 2, 4, 6}}},
            op1("max_pool2d %x kernel [2, 2]", {2, 2, 4, 6}, {2, 2, 2, 3}),
            {2, 2, 2, 3},
            true},
        LayerCase{
            "max_pool2d_overlap_padding",
            {{"x", {1, 2, 5, 5}}},
            op1("max_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1]",
                {1, 2, 5, 5}, {1, 2, 3, 3}),
            {1, 2, 3, 3},
            true},
        LayerCase{
            "avg_pool2d",
            {{"x", {2, 2, 4, 6}}},
            op1("avg_pool2d %x kernel [2, 2]", {2, 2, 4, 6}, {2, 2, 2, 3}),
            {2, 2, 2, 3}},
        LayerCase{
            "avg_pool2d_padding_include",
            {{"x", {1, 2, 5, 5}}},
            op1("avg_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1]",
                {1, 2, 5, 5}, {1, 2, 3, 3}),
            {1, 2, 3, 3}},
        LayerCase{
            "avg_pool2d_padding_exclude",
            {{"x", {1, 2, 5, 5}}},
            op1("avg_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1] "
                "count_include_pad false",
                {1, 2, 5, 5}, {1, 2, 3, 3}),
            {1, 2, 3, 3}},
        LayerCase{
            "avg_pool2d_overlap_exclude",
            {{"x", {1, 1, 4, 4}}},
            op1("avg_pool2d %x kernel [3, 2] stride [1, 1] padding [1, 1] "
                "count_include_pad false",
                {1, 1, 4, 4}, {1, 1, 4, 5}),
            {1, 1, 4, 5}},
        // eps 0.1, far from the default, so that a rule misplacing eps shows.
        LayerCase{"batch_norm_eval",
                  batchNormArgs({3, 4, 2, 2}, 4),
                  batchNorm({3, 4, 2, 2}, 4, "{eps = 0.1 : f64}"),
                  {3, 4, 2, 2}},
        LayerCase{"batch_norm_eval_rank2",
                  batchNormArgs({5, 3}, 3),
                  batchNorm({5, 3}, 3, "{eps = 0.1 : f64}"),
                  {5, 3}},
        LayerCase{
            "batch_norm_training",
            batchNormArgs({3, 4, 2, 2}, 4),
            batchNorm({3, 4, 2, 2}, 4, "{eps = 0.1 : f64, training = true}"),
            {3, 4, 2, 2}},
        LayerCase{"batch_norm_training_rank2",
                  batchNormArgs({5, 3}, 3),
                  batchNorm({5, 3}, 3, "{eps = 0.01 : f64, training = true}"),
                  {5, 3}},
        // x, gamma and beta all get gradients; eps far from the default.
        LayerCase{"layer_norm",
                  {{"x", {3, 17}}, {"gamma", {17}}, {"beta", {17}}},
                  "  %out = nn.layer_norm %x, %gamma, %beta eps 0.1 : " +
                      tensorType({3, 17}) + ", " + tensorType({17}),
                  {3, 17}},
        LayerCase{"layer_norm_two_axes",
                  {{"x", {2, 3, 4}}, {"gamma", {3, 4}}, {"beta", {3, 4}}},
                  "  %out = nn.layer_norm %x, %gamma, %beta : " +
                      tensorType({2, 3, 4}) + ", " + tensorType({3, 4}),
                  {2, 3, 4}}),
    [](const testing::TestParamInfo<LayerCase> &info) {
      return std::string(info.param.name);
    });

//===----------------------------------------------------------------------===//
// Losses.
//===----------------------------------------------------------------------===//

TEST(LossGradientTest, Mse) {
  std::string body = "  %out = nn.mse %p, %t : tensor<3x4xf64>, "
                     "tensor<3x4xf64> -> tensor<f64>";
  expectGradientsMatch(weightedLoss({{"p", {3, 4}}, {"t", {3, 4}}}, body, {}));
}

TEST(LossGradientTest, MseBroadcastTarget) {
  std::string body = "  %out = nn.mse %p, %t : tensor<3x4xf64>, "
                     "tensor<4xf64> -> tensor<f64>";
  expectGradientsMatch(weightedLoss({{"p", {3, 4}}, {"t", {4}}}, body, {}));
}

TEST(LossGradientTest, BinaryCrossEntropy) {
  std::string body = "  %out = nn.binary_cross_entropy %p, %t : "
                     "tensor<4x3xf64>, tensor<4x3xf64> -> tensor<f64>";
  GradCheckOptions options;
  options.fills["p"] = ArgumentFill::range(0.05, 0.95);
  options.fills["t"] = ArgumentFill::range(0, 1);
  // The target has a gradient too (a target computed from something
  // trained, as in distillation), also when it broadcasts.
  expectGradientsMatch(weightedLoss({{"p", {4, 3}}, {"t", {4, 3}}}, body, {}),
                       options);
  std::string broadcast = "  %out = nn.binary_cross_entropy %p, %t : "
                          "tensor<4x3xf64>, tensor<3xf64> -> tensor<f64>";
  expectGradientsMatch(weightedLoss({{"p", {4, 3}}, {"t", {3}}}, broadcast, {}),
                       options);
}

TEST(LossGradientTest, SoftmaxCrossEntropy) {
  for (const char *labels : {"i32", "i64"}) {
    std::string body = std::string("  %out = nn.softmax_cross_entropy %z, "
                                   "%labels : tensor<4x5xf64>, tensor<4x") +
                       labels + "> -> tensor<f64>";
    GradCheckOptions options;
    options.fills["z"] = ArgumentFill::range(-3, 3);
    options.fills["labels"] = ArgumentFill::integers(0, 5);
    expectGradientsMatch(
        weightedLoss({{"z", {4, 5}}, input("labels", {4}, labels)}, body, {}),
        options);
  }
}

TEST(WhereGradientTest, SplitsTheGradientBetweenItsBranches) {
  // cond [4, 1] of 0s and 1s (an input); a [4, 3] and the broadcast b [3]
  // both get gradients, b's summed over the rows where cond is 0.
  std::string body = "  %out = nn.where %cond, %a, %b : tensor<4x1xf64>, "
                     "tensor<4x3xf64>, tensor<3xf64> -> tensor<4x3xf64>";
  GradCheckOptions options;
  options.fills["cond"] = ArgumentFill::exactly({1, 0, 0, 1});
  expectGradientsMatch(
      weightedLoss({input("cond", {4, 1}), {"a", {4, 3}}, {"b", {3}}}, body,
                   {4, 3}),
      options);
}

TEST(LossGradientTest, SoftmaxCrossEntropyPerToken) {
  // Logits [2, 3, 5]: a label per token, the mean over all six.
  std::string body = "  %out = nn.softmax_cross_entropy %z, %labels : "
                     "tensor<2x3x5xf64>, tensor<2x3xi32> -> tensor<f64>";
  GradCheckOptions options;
  options.fills["z"] = ArgumentFill::range(-3, 3);
  options.fills["labels"] = ArgumentFill::integers(0, 5);
  expectGradientsMatch(
      weightedLoss({{"z", {2, 3, 5}}, input("labels", {2, 3}, "i32")}, body,
                   {}),
      options);
}

/// Logits of +-1e4: a naive exp overflows. Checks the loss is finite and
/// the gradient is exactly (softmax - onehot) / n, by an independent
/// max-shifted softmax in double.
class ExtremeLogitsTest : public testing::Test {
protected:
  static constexpr int64_t rows = 3, classes = 4;
  std::vector<double> logits = {1e4, -1e4, 1e4,  0,    -1e4, -1e4,
                                1e4, 1e4,  -1e4, -1e4, -1e4, 1e4 - 1};
  std::vector<double> labels = {1, 2, 3};

  std::vector<double> expected() const {
    std::vector<double> grad(rows * classes);
    for (int64_t r = 0; r < rows; ++r) {
      const double *z = &logits[r * classes];
      double max = *std::max_element(z, z + classes), sum = 0;
      for (int64_t k = 0; k < classes; ++k)
        sum += std::exp(z[k] - max);
      for (int64_t k = 0; k < classes; ++k)
        grad[r * classes + k] =
            (std::exp(z[k] - max) / sum - (k == labels[r] ? 1.0 : 0.0)) / rows;
    }
    return grad;
  }

  void expectSoftmaxMinusOnehot(const std::string &text,
                                const GradCheckOptions &options) {
    rt::Expected<std::unique_ptr<GradCheckSession>> session =
        GradCheckSession::create(text, options);
    ASSERT_TRUE(session.ok()) << session.message();
    rt::Error error = (*session)->runGrad();
    ASSERT_TRUE(error.ok()) << error.message();
    EXPECT_TRUE(std::isfinite((*session)->gradLoss()));
    rt::Expected<double> loss = (*session)->forwardLoss();
    ASSERT_TRUE(loss.ok()) << loss.message();
    EXPECT_TRUE(std::isfinite(*loss));
    const rt::Tensor *grad = (*session)->gradient("z");
    ASSERT_NE(grad, nullptr);
    std::vector<double> want = expected();
    for (int64_t i = 0; i < rows * classes; ++i) {
      double got = grad->data<double>()[i];
      EXPECT_TRUE(std::isfinite(got)) << "element " << i;
      EXPECT_NEAR(got, want[i], 1e-12) << "element " << i;
    }
  }
};

TEST_F(ExtremeLogitsTest, SoftmaxCrossEntropy) {
  std::string text =
      "module {\nfunc.func @forward(%z: tensor<3x4xf64> {nn.name = \"z\", "
      "nn.role = \"param\"}, %labels: tensor<3xi32> {nn.name = \"labels\", "
      "nn.role = \"input\"}) -> (tensor<f64> {nn.name = \"loss\", nn.role = "
      "\"loss\"}) {\n  %loss = nn.softmax_cross_entropy %z, %labels : "
      "tensor<3x4xf64>, tensor<3xi32> -> tensor<f64>\n  return %loss : "
      "tensor<f64>\n}\n}\n";
  GradCheckOptions options;
  options.fills["z"] = ArgumentFill::exactly(logits);
  options.fills["labels"] = ArgumentFill::exactly(labels);
  expectSoftmaxMinusOnehot(text, options);
}

// reduce_sum(log_softmax(z) * wts) with wts = -onehot / n is the same
// cross entropy, through log_softmax's own rule.
TEST_F(ExtremeLogitsTest, LogSoftmax) {
  std::string body = "  %out = nn.log_softmax %z : tensor<3x4xf64>";
  std::vector<double> weights(rows * classes, 0.0);
  for (int64_t r = 0; r < rows; ++r)
    weights[r * classes + static_cast<int64_t>(labels[r])] = -1.0 / rows;
  GradCheckOptions options;
  options.fills["z"] = ArgumentFill::exactly(logits);
  options.fills["wts"] = ArgumentFill::exactly(weights);
  expectSoftmaxMinusOnehot(
      weightedLoss({{"z", {rows, classes}}}, body, {rows, classes}), options);
}

} // namespace
