//===- RandomGraphTest.cpp - Random composite graphs against finite differences
//
// Property: for any graph built from differentiable ops, @grad matches
// central differences of @forward. Each case draws a random DAG from its
// own SplitMix64 stream (seed kBaseSeed + case number): 1-3 parameters and
// 1-2 inputs of rank 1-3 with extents 1-6, then 3-12 ops, each taking
// operands from every value so far (recent ones likelier, so values fan out
// to several users): smooth unary ops, add/sub/mul/div with broadcasting,
// matmul, reductions with and without keepdims, reshape, transpose,
// broadcast_to, softmax/log_softmax, concat and slice. The loss is
// reduce_sum(last * wts) or mse(last, target) with an input of random
// weights or targets, plus reduce_sum(tanh(v)) of every other value no op
// used, so that every parameter reaches it. Non-smooth ops (relu, abs,
// max) are left out: a random graph cannot keep its points off their kinks.
//
// A failing case prints its seed and its module, which is all it takes to
// reproduce it (the module and GradCheckOptions' default seed).
//
//===----------------------------------------------------------------------===//

#include "tests/gradcheck/GradCheckHarness.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>

using namespace nnc;
using namespace nnc::gradcheck;

namespace {

constexpr uint64_t kBaseSeed = 20240611;
constexpr int kNumGraphs = 240;

struct GraphValue {
  std::string name;
  rt::Shape shape;
  /// A rough bound on |value|, to keep exp and products in range.
  double bound = 1;
  /// Bit p set when the value depends on parameter p.
  unsigned params = 0;
  /// How many ops use it.
  int uses = 0;
};

int64_t countOf(const rt::Shape &shape) {
  int64_t count = 1;
  for (int64_t extent : shape)
    count *= extent;
  return count;
}

/// NumPy broadcasting of `a` and `b`, or nothing when they do not
/// broadcast.
std::optional<rt::Shape> broadcastShapes(const rt::Shape &a,
                                         const rt::Shape &b) {
  size_t rank = std::max(a.size(), b.size());
  rt::Shape result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (x != y && x != 1 && y != 1)
      return std::nullopt;
    result[i] = std::max(x, y);
  }
  return result;
}

std::string intList(const std::vector<int64_t> &values) {
  std::string text = "[";
  for (size_t i = 0; i < values.size(); ++i)
    text += (i ? ", " : "") + std::to_string(values[i]);
  return text + "]";
}

/// What a drawn graph contains, for the generator's own test.
struct GraphStats {
  int64_t ops = 0, params = 0, inputs = 0;
  /// Elementwise ops whose operands have different shapes.
  int64_t broadcasts = 0;
  /// Values used by two or more ops.
  int64_t fanOut = 0;
};

/// Draws one random graph and renders it as a module with @forward.
class RandomGraph {
public:
  explicit RandomGraph(uint64_t seed) : random(seed) {}

  std::string build();
  const GraphStats &stats() const { return counts; }

private:
  GraphStats counts;
  SplitMix64 random;
  std::vector<std::string> arguments;
  std::vector<GraphValue> values;
  std::string body;
  int counter = 0;

  rt::Shape randomShape() {
    rt::Shape shape(random.integer(1, 4));
    for (int64_t &extent : shape)
      extent = random.integer(1, 7);
    return shape;
  }
  void addArgument(const std::string &name, const rt::Shape &shape,
                   const std::string &role, unsigned params) {
    arguments.push_back("%" + name + ": " + tensorType(shape) +
                        " {nn.name = \"" + name + "\", nn.role = \"" + role +
                        "\"}");
    values.push_back({"%" + name, shape, 1, params, 0});
  }
  /// Emits `%vN = nn.OP` with `text` after the op name and returns the
  /// index of the new value.
  size_t emit(const std::string &text, const rt::Shape &shape, double bound,
              unsigned params) {
    std::string name = "%v" + std::to_string(counter++);
    body += "  " + name + " = nn." + text + "\n";
    values.push_back({name, shape, bound, params, 0});
    return values.size() - 1;
  }
  /// An operand: one of the last three values half of the time, else any.
  size_t pickOperand() {
    size_t count = values.size();
    if (count > 3 && random.integer(0, 2) == 0)
      return static_cast<size_t>(random.integer(0, count));
    return static_cast<size_t>(
        random.integer(std::max<int64_t>(0, count - 3), count));
  }
  const GraphValue &use(size_t index) {
    ++values[index].uses;
    return values[index];
  }

  size_t unary(size_t x);
  size_t binary(size_t a);
  size_t matmul(size_t a);
  size_t reduce(size_t x);
  size_t reshape(size_t x);
  size_t transpose(size_t x);
  size_t broadcastTo(size_t x);
  size_t softmax(size_t x);
  size_t concat(size_t a);
  size_t slice(size_t x);
};

size_t RandomGraph::unary(size_t x) {
  GraphValue v = use(x);
  std::string type = tensorType(v.shape);
  static const char *ops[] = {"tanh", "sigmoid", "neg", "gelu", "exp"};
  int choice = static_cast<int>(random.integer(0, 5));
  // exp only of values known to be small, so the loss stays O(1..100).
  if (choice == 4 && v.bound > 2)
    choice = 0;
  std::string op = ops[choice];
  double bound = op == "neg"    ? v.bound
                 : op == "gelu" ? v.bound
                 : op == "exp"  ? std::exp(v.bound)
                                : 1;
  return emit(op + " " + v.name + " : " + type, v.shape, bound, v.params);
}

size_t RandomGraph::binary(size_t a) {
  GraphValue lhs = values[a];
  std::vector<size_t> partners;
  for (size_t i = 0; i < values.size(); ++i)
    if (broadcastShapes(lhs.shape, values[i].shape))
      partners.push_back(i);
  size_t b = partners[random.integer(0, partners.size())];
  if (random.integer(0, 2) == 0)
    std::swap(a, b);
  GraphValue x = use(a), y = use(b);
  rt::Shape shape = *broadcastShapes(x.shape, y.shape);
  counts.broadcasts += x.shape != y.shape;
  std::string types = tensorType(x.shape) + ", " + tensorType(y.shape) +
                      " -> " + tensorType(shape);
  unsigned params = x.params | y.params;
  switch (random.integer(0, 4)) {
  case 0:
    return emit("add " + x.name + ", " + y.name + " : " + types, shape,
                x.bound + y.bound, params);
  case 1:
    return emit("sub " + x.name + ", " + y.name + " : " + types, shape,
                x.bound + y.bound, params);
  case 2:
    return emit("mul " + x.name + ", " + y.name + " : " + types, shape,
                x.bound * y.bound, params);
  default: {
    // x / (1 + sigmoid(y)): a denominator in (1, 2).
    std::string yType = tensorType(y.shape);
    size_t s = emit("sigmoid " + y.name + " : " + yType, y.shape, 1, y.params);
    size_t one = emit("constant dense<1.0> : tensor<f64>", {}, 1, 0);
    size_t d = emit("add " + values[s].name + ", " + values[one].name + " : " +
                        yType + ", tensor<f64> -> " + yType,
                    y.shape, 2, y.params);
    values[s].uses = values[one].uses = values[d].uses = 1;
    return emit("div " + x.name + ", " + values[d].name + " : " + types, shape,
                x.bound, params);
  }
  }
}

size_t RandomGraph::matmul(size_t a) {
  GraphValue lhs = use(a);
  if (lhs.shape.size() < 2)
    return unary(a);
  int64_t k = lhs.shape.back();
  rt::Shape lhsBatch(lhs.shape.begin(), lhs.shape.end() - 2);
  std::vector<size_t> partners;
  for (size_t i = 0; i < values.size(); ++i) {
    const rt::Shape &s = values[i].shape;
    if (s.size() >= 2 && s[s.size() - 2] == k &&
        broadcastShapes(lhsBatch, rt::Shape(s.begin(), s.end() - 2)))
      partners.push_back(i);
  }
  GraphValue rhs;
  if (partners.empty() || random.integer(0, 4) == 0) {
    // a @ transpose(a) over its last two axes.
    std::vector<int64_t> perm(lhs.shape.size());
    std::iota(perm.begin(), perm.end(), 0);
    std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
    rt::Shape shape = lhs.shape;
    std::swap(shape[shape.size() - 1], shape[shape.size() - 2]);
    size_t t = emit("transpose " + lhs.name + " perm " + intList(perm) + " : " +
                        tensorType(lhs.shape) + " -> " + tensorType(shape),
                    shape, lhs.bound, lhs.params);
    rhs = use(t);
  } else {
    rhs = use(partners[random.integer(0, partners.size())]);
  }
  rt::Shape shape = *broadcastShapes(
      lhsBatch, rt::Shape(rhs.shape.begin(), rhs.shape.end() - 2));
  shape.push_back(lhs.shape[lhs.shape.size() - 2]);
  shape.push_back(rhs.shape.back());
  return emit("matmul " + lhs.name + ", " + rhs.name + " : " +
                  tensorType(lhs.shape) + ", " + tensorType(rhs.shape) +
                  " -> " + tensorType(shape),
              shape, k * lhs.bound * rhs.bound, lhs.params | rhs.params);
}

size_t RandomGraph::reduce(size_t x) {
  GraphValue v = use(x);
  std::vector<int64_t> axes;
  for (size_t d = 0; d < v.shape.size(); ++d)
    if (random.integer(0, 2) == 0)
      axes.push_back(static_cast<int64_t>(d));
  bool keepdims = random.integer(0, 2) == 0;
  rt::Shape shape;
  int64_t reduced = 1;
  for (size_t d = 0; d < v.shape.size(); ++d) {
    bool isReduced =
        axes.empty() || std::find(axes.begin(), axes.end(),
                                  static_cast<int64_t>(d)) != axes.end();
    if (isReduced)
      reduced *= v.shape[d];
    if (!isReduced)
      shape.push_back(v.shape[d]);
    else if (keepdims)
      shape.push_back(1);
  }
  bool mean = random.integer(0, 2) == 0;
  std::string text = std::string(mean ? "reduce_mean " : "reduce_sum ") +
                     v.name + (axes.empty() ? "" : " axes " + intList(axes)) +
                     (keepdims ? " keepdims true" : "") + " : " +
                     tensorType(v.shape) + " -> " + tensorType(shape);
  return emit(text, shape, mean ? v.bound : v.bound * reduced, v.params);
}

size_t RandomGraph::reshape(size_t x) {
  GraphValue v = use(x);
  rt::Shape shape = v.shape;
  int choice = static_cast<int>(random.integer(0, 3));
  if (choice == 0 && shape.size() >= 2) {
    // Merge two neighbouring axes.
    size_t d = random.integer(0, shape.size() - 1);
    shape[d] *= shape[d + 1];
    shape.erase(shape.begin() + d + 1);
  } else if (choice == 1 && shape.size() < 4) {
    // Split an axis at one of its factors (or add a 1).
    size_t d = random.integer(0, shape.size());
    std::vector<int64_t> factors;
    for (int64_t f = 1; f <= shape[d]; ++f)
      if (shape[d] % f == 0)
        factors.push_back(f);
    int64_t f = factors[random.integer(0, factors.size())];
    shape[d] /= f;
    shape.insert(shape.begin() + d, f);
  } else {
    shape = {countOf(v.shape)};
  }
  return emit("reshape " + v.name + " shape " + intList(shape) + " : " +
                  tensorType(v.shape) + " -> " + tensorType(shape),
              shape, v.bound, v.params);
}

size_t RandomGraph::transpose(size_t x) {
  GraphValue v = use(x);
  std::vector<int64_t> perm(v.shape.size());
  std::iota(perm.begin(), perm.end(), 0);
  for (size_t i = perm.size(); i > 1; --i)
    std::swap(perm[i - 1], perm[random.integer(0, i)]);
  rt::Shape shape;
  for (int64_t p : perm)
    shape.push_back(v.shape[p]);
  return emit("transpose " + v.name + " perm " + intList(perm) + " : " +
                  tensorType(v.shape) + " -> " + tensorType(shape),
              shape, v.bound, v.params);
}

size_t RandomGraph::broadcastTo(size_t x) {
  GraphValue v = use(x);
  rt::Shape shape = v.shape;
  for (int64_t &extent : shape)
    if (extent == 1)
      extent = random.integer(1, 5);
  if (shape.empty() || (shape.size() < 3 && random.integer(0, 2) == 0))
    shape.insert(shape.begin(), random.integer(2, 4));
  return emit("broadcast_to " + v.name + " shape " + intList(shape) + " : " +
                  tensorType(v.shape) + " -> " + tensorType(shape),
              shape, v.bound, v.params);
}

size_t RandomGraph::softmax(size_t x) {
  GraphValue v = use(x);
  int64_t axis = random.integer(0, v.shape.size());
  bool log = random.integer(0, 2) == 0;
  return emit(std::string(log ? "log_softmax " : "softmax ") + v.name +
                  " axis " + std::to_string(axis) + " : " + tensorType(v.shape),
              v.shape, log ? 2 * v.bound + 4 : 1, v.params);
}

size_t RandomGraph::concat(size_t a) {
  GraphValue first = values[a];
  size_t axis = random.integer(0, first.shape.size());
  std::vector<size_t> partners;
  for (size_t i = 0; i < values.size(); ++i) {
    const rt::Shape &s = values[i].shape;
    bool fits = s.size() == first.shape.size();
    for (size_t d = 0; fits && d < s.size(); ++d)
      fits = d == axis || s[d] == first.shape[d];
    if (fits)
      partners.push_back(i);
  }
  size_t b = partners[random.integer(0, partners.size())];
  GraphValue x = use(a), y = use(b);
  rt::Shape shape = x.shape;
  shape[axis] += y.shape[axis];
  return emit("concat " + x.name + ", " + y.name + " axis " +
                  std::to_string(axis) + " : " + tensorType(x.shape) + ", " +
                  tensorType(y.shape) + " -> " + tensorType(shape),
              shape, std::max(x.bound, y.bound), x.params | y.params);
}

size_t RandomGraph::slice(size_t x) {
  GraphValue v = use(x);
  size_t axis = random.integer(0, v.shape.size());
  int64_t extent = v.shape[axis];
  int64_t start = random.integer(0, extent);
  int64_t end = random.integer(start + 1, extent + 1);
  int64_t step = random.integer(1, 3);
  rt::Shape shape = v.shape;
  shape[axis] = (end - start + step - 1) / step;
  return emit("slice " + v.name + " axes [" + std::to_string(axis) +
                  "] starts [" + std::to_string(start) + "] ends [" +
                  std::to_string(end) + "] steps [" + std::to_string(step) +
                  "] : " + tensorType(v.shape) + " -> " + tensorType(shape),
              shape, v.bound, v.params);
}

std::string RandomGraph::build() {
  int64_t numParams = random.integer(1, 4);
  int64_t numInputs = random.integer(1, 3);
  for (int64_t p = 0; p < numParams; ++p)
    addArgument("p" + std::to_string(p), randomShape(), "param", 1u << p);
  for (int64_t i = 0; i < numInputs; ++i)
    addArgument("in" + std::to_string(i), randomShape(), "input", 0);

  int64_t numOps = random.integer(3, 13);
  counts.params = numParams;
  counts.inputs = numInputs;
  counts.ops = numOps;
  size_t last = 0;
  for (int64_t n = 0; n < numOps; ++n) {
    size_t x = pickOperand();
    // The first op reads a parameter, so the graph depends on one.
    if (n == 0)
      x = static_cast<size_t>(random.integer(0, numParams));
    // Large values go through tanh first: the loss stays moderate.
    if (values[x].bound > 30) {
      last = unary(x);
      continue;
    }
    // Scalars (a full reduction) have no axis to work on.
    if (values[x].shape.empty()) {
      int64_t choice = random.integer(0, 3);
      last = choice == 0 ? unary(x) : choice == 1 ? binary(x) : broadcastTo(x);
      continue;
    }
    switch (random.integer(0, 10)) {
    case 0:
      last = unary(x);
      break;
    case 1:
    case 2:
      last = binary(x);
      break;
    case 3:
      last = matmul(x);
      break;
    case 4:
      last = reduce(x);
      break;
    case 5:
      last = reshape(x);
      break;
    case 6:
      last = random.integer(0, 2) ? transpose(x) : broadcastTo(x);
      break;
    case 7:
      last = softmax(x);
      break;
    case 8:
      last = concat(x);
      break;
    default:
      last = slice(x);
      break;
    }
  }

  // The loss of the last value against a new input of its shape.
  GraphValue out = use(last);
  std::string type = tensorType(out.shape);
  addArgument("target", out.shape, "input", 0);
  std::string loss;
  if (random.integer(0, 2) == 0) {
    loss = "%loss0";
    body += "  %loss0 = nn.mse " + out.name + ", %target : " + type + ", " +
            type + " -> tensor<f64>\n";
  } else {
    loss = "%loss0";
    body += "  %weighted = nn.mul " + out.name + ", %target : " + type + ", " +
            type + " -> " + type +
            "\n  %loss0 = nn.reduce_sum %weighted : " + type +
            " -> tensor<f64>\n";
  }
  for (const GraphValue &v : values)
    counts.fanOut += v.uses >= 2;
  // Every other unused value that depends on a parameter joins the loss.
  for (size_t i = 0; i + 1 < values.size(); ++i) {
    const GraphValue &v = values[i];
    if (v.uses > 0 || v.params == 0)
      continue;
    std::string vType = tensorType(v.shape);
    std::string n = std::to_string(i);
    body += "  %t" + n + " = nn.tanh " + v.name + " : " + vType + "\n  %r" + n +
            " = nn.reduce_sum %t" + n + " : " + vType + " -> tensor<f64>\n" +
            "  %loss" + n + "_ = nn.add " + loss + ", %r" + n +
            " : tensor<f64>, tensor<f64> -> tensor<f64>\n";
    loss = "%loss" + n + "_";
  }

  std::string text = "module {\nfunc.func @forward(";
  for (size_t i = 0; i < arguments.size(); ++i)
    text += (i ? ",\n    " : "") + arguments[i];
  return text +
         ")\n    -> (tensor<f64> {nn.name = \"loss\", nn.role = \"loss\"}) "
         "{\n" +
         body + "  return " + loss + " : tensor<f64>\n}\n}\n";
}

class RandomGraphTest : public testing::TestWithParam<int> {};

TEST_P(RandomGraphTest, GradientMatchesFiniteDifferences) {
  uint64_t seed = kBaseSeed + static_cast<uint64_t>(GetParam());
  std::string text = RandomGraph(seed).build();
  GradCheckReport report = checkGradients(text);
  char worst[32];
  std::snprintf(worst, sizeof(worst), "%.3e", report.worstError);
  RecordProperty("worst_error", worst);
  EXPECT_TRUE(report.passed) << "graph seed " << seed << "\n"
                             << report.message << "\nin:\n"
                             << text;
  EXPECT_GT(report.elementsChecked, 0) << text;
}

// The generator draws what the file comment promises, reproducibly.
TEST(RandomGraphGeneratorTest, DrawsTheOpMixReproducibly) {
  std::map<std::string, int> graphsWith;
  int broadcasting = 0, fanningOut = 0;
  for (int i = 0; i < kNumGraphs; ++i) {
    RandomGraph graph(kBaseSeed + i);
    std::string text = graph.build();
    EXPECT_EQ(text, RandomGraph(kBaseSeed + i).build());
    const GraphStats &stats = graph.stats();
    EXPECT_GE(stats.ops, 3);
    EXPECT_LE(stats.ops, 12);
    EXPECT_GE(stats.params, 1);
    EXPECT_LE(stats.params, 3);
    EXPECT_GE(stats.inputs, 1);
    EXPECT_LE(stats.inputs, 2);
    broadcasting += stats.broadcasts > 0;
    fanningOut += stats.fanOut > 0;
    for (const char *op :
         {"add",        "sub",         "mul",     "div",       "matmul",
          "reduce_sum", "reduce_mean", "reshape", "transpose", "broadcast_to",
          "softmax",    "log_softmax", "concat",  "slice",     "tanh",
          "sigmoid",    "exp",         "gelu",    "neg",       "mse"})
      if (text.find(std::string("nn.") + op + " ") != std::string::npos)
        ++graphsWith[op];
  }
  for (const auto &[op, count] : graphsWith)
    EXPECT_GE(count, kNumGraphs / 20) << op;
  EXPECT_EQ(graphsWith.size(), 20u);
  EXPECT_GE(broadcasting, kNumGraphs / 5);
  EXPECT_GE(fanningOut, kNumGraphs / 5);
}

INSTANTIATE_TEST_SUITE_P(Graphs, RandomGraphTest,
                         testing::Range(0, kNumGraphs));

} // namespace
