//===- SemaTest.cpp - Names, layers, repeat, shapes, training -------------===//

#include "frontend/Sema.h"
#include "frontend/Frontend.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace nnc::frontend;
using nnc::shape::kDynamic;
using nnc::shape::Shape;

namespace {

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

using Msgs = std::vector<std::string>;

const char *kHeader = "input x: f32[B, 64]\n";

TEST(SemaTest, MinimalModel) {
  Compiled c("model tiny\ninput x: f32[B, 4]\nparam w: f32[4, 2] = "
             "glorot\noutput y = relu(x @ w)\n");
  ASSERT_EQ(c.messages(), Msgs{});
  const Program &p = *c.program;
  EXPECT_EQ(p.modelName, "tiny");
  EXPECT_EQ(p.batchSymbol, "B");
  EXPECT_EQ(c.argumentNames(), (std::vector<std::string>{"x", "w"}));
  EXPECT_EQ(p.arguments[0].type.shape, (Shape{kDynamic, 4}));
  EXPECT_EQ(c.ops(), (std::vector<std::string>{"matmul", "relu"}));
  ASSERT_EQ(p.outputs.size(), 1u);
  EXPECT_EQ(p.outputs[0].name, "y");
  EXPECT_EQ(p.outputs[0].value.index, 1u);
  EXPECT_EQ(p.typeOf(p.outputs[0].value).shape, (Shape{kDynamic, 2}));
  EXPECT_EQ(p.nodes[0].loc.loc.line, 4u);
  EXPECT_EQ(p.nodes[0].loc.loc.col, 19u);
  EXPECT_FALSE(p.hasLoss);
  EXPECT_FALSE(p.training.present);
}

TEST(SemaTest, NumbersBecomeScalarConstantsAndMinusBecomesNeg) {
  Compiled c(std::string(kHeader) + "output y = -x * 2.5 + 1\n");
  ASSERT_EQ(c.messages(), Msgs{});
  EXPECT_EQ(c.ops(), (std::vector<std::string>{"neg", "constant", "mul",
                                               "constant", "add"}));
  const Node &two = c.program->nodes[1];
  EXPECT_EQ(two.results[0].dtype, DType::F32);
  EXPECT_TRUE(two.results[0].shape.empty());
  EXPECT_EQ(two.constantData, (std::vector<double>{2.5}));
}

TEST(SemaTest, ConstantArithmeticIsFolded) {
  Compiled c(std::string(kHeader) + "let n = 4 * 16\n"
                                    "param w: f32[n, 2] = zeros\n"
                                    "output y = x @ w\n");
  ASSERT_EQ(c.messages(), Msgs{});
  EXPECT_EQ(c.arg("w").type.shape, (Shape{64, 2}));
  EXPECT_EQ(c.ops(), (std::vector<std::string>{"matmul"}));
}

TEST(SemaTest, NumbersTakeTheTensorsDType) {
  Compiled c("input x: f64[2]\ninput i: i32[2]\noutput a = x * 2\n"
             "output b = i + 1\n");
  ASSERT_EQ(c.messages(), Msgs{});
  EXPECT_EQ(c.program->nodes[0].results[0].dtype, DType::F64);
  EXPECT_EQ(c.program->nodes[2].results[0].dtype, DType::I32);
  Compiled bad("input i: i32[2]\noutput b = i * 0.5\n");
  EXPECT_EQ(bad.messages(),
            (Msgs{"2:16: the number 0.5 cannot be used with an i32 tensor "
                  "(only integers can)"}));
}

TEST(SemaTest, NumberTooLargeForF32) {
  Compiled c(std::string(kHeader) + "output y = x * 1e300\n");
  EXPECT_EQ(c.messages(),
            (Msgs{"2:16: the number 1e+300 does not fit in f32"}));
}

TEST(SemaTest, ConstantOverflowIsAnError) {
  Compiled c("let n = 9223372036854775807 + 1\n");
  EXPECT_EQ(c.messages(),
            (Msgs{"1:29: integer overflow in a constant expression"}));
}

TEST(SemaTest, InfixOpsMapToOps) {
  Compiled c("input a: f32[3]\ninput b: f32[3]\ninput m: f32[3, 3]\n"
             "output y = (a + b - a) * b / a\noutput z = m @ m\n");
  ASSERT_EQ(c.messages(), Msgs{});
  EXPECT_EQ(c.ops(),
            (std::vector<std::string>{"add", "sub", "mul", "div", "matmul"}));
}

TEST(SemaTest, UnknownNameAndShadowing) {
  Compiled c(std::string(kHeader) + "let h = x\nlet h = relu(h)\n"
                                    "output y = h @ w3\n");
  EXPECT_EQ(c.messages(), (Msgs{"4:16: unknown name 'w3'"}));
  Compiled ok(std::string(kHeader) + "let h = x\nlet h = relu(h)\n"
                                     "let h = exp(h)\noutput h\n");
  ASSERT_EQ(ok.messages(), Msgs{});
  EXPECT_EQ(ok.program->outputs[0].value.index, 1u); // exp, not relu
}

TEST(SemaTest, DeclarationsCannotBeRedefined) {
  Compiled c(std::string(kHeader) + "param x: f32[1]\nlet p = x\n"
                                    "buffer p: f32[1]\n");
  EXPECT_EQ(c.messages(), (Msgs{"2:7: 'x' is already defined",
                                "4:8: 'p' is already defined"}));
}

TEST(SemaTest, ErrorsDoNotCascadeFromAPoisonedName) {
  Compiled c(std::string(kHeader) + "let h = relu(q)\nlet g = h @ h\n"
                                    "output g\n");
  EXPECT_EQ(c.messages(), (Msgs{"2:14: unknown name 'q'"}));
}

TEST(SemaTest, ShapeErrorsNameTheOp) {
  Compiled c(std::string(kHeader) + "param w: f32[32, 10]\noutput y = x @ w\n");
  EXPECT_EQ(c.messages(),
            (Msgs{"3:14: matmul: cannot multiply [?, 64] by [32, 10]: inner "
                  "extents 64 and 32 differ"}));
}

TEST(SemaTest, DTypeErrors) {
  Compiled c("input x: f32[2]\ninput i: i32[2]\noutput a = x + i\n"
             "output b = exp(i)\noutput c = embedding(x, x)\n");
  EXPECT_EQ(c.messages(),
            (Msgs{"3:14: add: operand dtypes differ: f32 and i32",
                  "4:12: exp: expects a float (f32 or f64) tensor as the "
                  "operand, got i32",
                  "5:12: embedding: expects integer (i32 or i64) indices, got "
                  "f32"}));
}

TEST(SemaTest, OperandCounts) {
  Compiled c(std::string(kHeader) +
             "output a = relu(x, x)\noutput b = conv2d(x)\n"
             "output c = concat()\noutput d = nope(x)\n");
  EXPECT_EQ(c.messages(),
            (Msgs{"2:12: relu: expected 1 operand, got 2",
                  "3:12: conv2d: expected 2 or 3 operands, got 1",
                  "4:12: concat: expected at least 1 operand, got 0",
                  "5:12: unknown op or layer 'nope'"}));
}

TEST(SemaTest, AttributesAreCheckedAndDefaulted) {
  Compiled c("input x: f32[B, 1, 28, 28]\nparam w: f32[6, 1, 5, 5]\n"
             "output y = conv2d(x, w, padding=2, stride=[1, 1])\n"
             "output p = max_pool2d(y, kernel=2)\n"
             "output s = softmax(p)\n");
  ASSERT_EQ(c.messages(), Msgs{});
  const Node &conv = c.program->nodes[0];
  EXPECT_EQ(conv.op, "conv2d");
  using IntList = std::vector<int64_t>;
  EXPECT_EQ(std::get<IntList>(conv.attrs.at("padding")), (IntList{2, 2}));
  EXPECT_EQ(std::get<IntList>(conv.attrs.at("stride")), (IntList{1, 1}));
  EXPECT_EQ(std::get<IntList>(conv.attrs.at("dilation")), (IntList{1, 1}));
  EXPECT_EQ(std::get<int64_t>(conv.attrs.at("groups")), 1);
  EXPECT_EQ(conv.results[0].shape, (Shape{kDynamic, 6, 28, 28}));
  const Node &pool = c.program->nodes[1];
  EXPECT_EQ(std::get<IntList>(pool.attrs.at("stride")), (IntList{2, 2}));
  EXPECT_EQ(pool.results[0].shape, (Shape{kDynamic, 6, 14, 14}));
  EXPECT_EQ(std::get<int64_t>(c.program->nodes[2].attrs.at("axis")), -1);
}

TEST(SemaTest, AttributeErrors) {
  Compiled c("input x: f32[B, 1, 28, 28]\nparam w: f32[6, 1, 5, 5]\n"
             "output a = conv2d(x, w, strides=2)\n"
             "output b = conv2d(x, w, stride=[1, 2, 3])\n"
             "output c = relu(x, axis=1)\n"
             "output d = reshape(x)\n"
             "output e = softmax(x, axis=1.5)\n"
             "output f = softmax(x, axis=1, axis=2)\n"
             "output g = reshape(x, [1, 2])\n"
             "output h = dropout(x, rate=1.5)\n"
             "output i = layer_norm(x, w, w, eps=-1e-3)\n");
  EXPECT_EQ(c.messages(),
            (Msgs{"3:25: conv2d: unknown attribute 'strides'; valid "
                  "attributes: stride, padding, dilation, groups",
                  "4:32: conv2d: attribute 'stride' must be an integer or a "
                  "list of 2 integers, got a list",
                  "5:20: relu: takes no attributes, got 'axis'",
                  "6:12: reshape: missing attribute 'shape'",
                  "7:28: softmax: attribute 'axis' must be an integer, got the "
                  "number 1.5",
                  "8:31: softmax: attribute 'axis' is given twice",
                  "9:23: reshape: operand 2 must be a tensor, got a list "
                  "(attributes are passed by name, as in axis=1)",
                  "10:12: dropout: rate must be in [0, 1), got 1.500000",
                  "11:36: layer_norm: attribute 'eps' must be above 0, got "
                  "-0.001"}));
}

TEST(SemaTest, EmbeddingIsGatherOnAxisZero) {
  Compiled c("input ids: i64[B, 7]\nparam table: f32[100, 16]\n"
             "output e = embedding(table, ids)\n");
  ASSERT_EQ(c.messages(), Msgs{});
  const Node &n = c.program->nodes[0];
  EXPECT_EQ(n.op, "gather");
  EXPECT_EQ(std::get<int64_t>(n.attrs.at("axis")), 0);
  EXPECT_EQ(n.results[0].shape, (Shape{kDynamic, 7, 16}));
}

TEST(SemaTest, BatchNormHasThreeResults) {
  Compiled c("input x: f32[B, 8]\nparam g: f32[8] = ones\nparam b: f32[8]\n"
             "buffer m: f32[8]\nbuffer v: f32[8] = ones\n"
             "output y = relu(batch_norm(x, g, b, m, v))\n");
  ASSERT_EQ(c.messages(), Msgs{});
  const Node &bn = c.program->nodes[0];
  EXPECT_EQ(bn.op, "batch_norm");
  ASSERT_EQ(bn.results.size(), 3u);
  EXPECT_EQ(bn.results[0].shape, (Shape{kDynamic, 8}));
  EXPECT_EQ(bn.results[1].shape, (Shape{8}));
  EXPECT_EQ(bn.results[2].shape, (Shape{8}));
  EXPECT_DOUBLE_EQ(std::get<double>(bn.attrs.at("eps")), 1e-5);
  EXPECT_DOUBLE_EQ(std::get<double>(bn.attrs.at("momentum")), 0.1);
  const Node &relu = c.program->nodes[1];
  EXPECT_EQ(relu.operands[0].kind, ValueRef::Kind::NodeResult);
  EXPECT_EQ(relu.operands[0].index, 0u);
  EXPECT_EQ(relu.operands[0].result, 0u);
  EXPECT_EQ(c.arg("m").role, Argument::Role::Buffer);
  EXPECT_EQ(c.arg("v").init.kind, "ones");
}

TEST(SemaTest, SliceGetsItsDefaultSteps) {
  Compiled c("input x: f32[B, 10]\n"
             "output y = slice(x, axes=[1], starts=[2], ends=[8])\n");
  ASSERT_EQ(c.messages(), Msgs{});
  using IntList = std::vector<int64_t>;
  EXPECT_EQ(std::get<IntList>(c.program->nodes[0].attrs.at("steps")),
            (IntList{1}));
  EXPECT_EQ(c.program->nodes[0].results[0].shape, (Shape{kDynamic, 6}));
}

const char *kDense = "layer dense(x, fan_in: int, fan_out: int) {\n"
                     "  param w: f32[fan_in, fan_out] = he\n"
                     "  param b: f32[fan_out] = zeros\n"
                     "  return x @ w + b\n"
                     "}\n";

TEST(SemaTest, LayerInstancesAreNumberedArgumentsFirst) {
  Compiled c(std::string(kDense) + kHeader +
             "let h = dense(dense(x, 64, 32), 32, 16)\n"
             "output y = dense(h, fan_out=8, fan_in=16)\n");
  ASSERT_EQ(c.messages(), Msgs{});
  EXPECT_EQ(c.argumentNames(), (std::vector<std::string>{
                                   "x", "dense_0.w", "dense_0.b", "dense_1.w",
                                   "dense_1.b", "dense_2.w", "dense_2.b"}));
  EXPECT_EQ(c.arg("dense_0.w").type.shape, (Shape{64, 32}));
  EXPECT_EQ(c.arg("dense_2.w").type.shape, (Shape{16, 8}));
  // Nodes inside an instance remember the call that created them.
  const Node &matmul = c.program->nodes[0];
  EXPECT_EQ(matmul.loc.loc.line, 4u);
  ASSERT_EQ(matmul.loc.callers.size(), 1u);
  EXPECT_EQ(matmul.loc.callers[0].line, 7u);
  EXPECT_EQ(matmul.loc.callers[0].col, 15u);
}

TEST(SemaTest, NestedLayersAreNamedUnderTheirInstance) {
  Compiled c(std::string(kDense) +
             "layer block(x, n: int) {\n"
             "  let h = dense(x, n, n)\n"
             "  return dense(h, n, n) + x\n"
             "}\n" +
             kHeader + "output y = block(block(x, 64), 64)\n");
  ASSERT_EQ(c.messages(), Msgs{});
  EXPECT_EQ(
      c.argumentNames(),
      (std::vector<std::string>{"x", "block_0.dense_0.w", "block_0.dense_0.b",
                                "block_0.dense_1.w", "block_0.dense_1.b",
                                "block_1.dense_0.w", "block_1.dense_0.b",
                                "block_1.dense_1.w", "block_1.dense_1.b"}));
  const Argument &w = c.arg("block_1.dense_1.w");
  ASSERT_EQ(w.loc.callers.size(), 2u);
  EXPECT_EQ(w.loc.callers[0].line, 8u); // dense(h, n, n) inside block
  EXPECT_EQ(w.loc.callers[1].line, 11u);
}

TEST(SemaTest, RepeatUnrollsAndThreadsLet) {
  Compiled c(std::string(kDense) + kHeader +
             "let h = x\nrepeat 3 {\n  let h = relu(dense(h, 64, 64))\n}\n"
             "output h\n");
  ASSERT_EQ(c.messages(), Msgs{});
  EXPECT_EQ(c.argumentNames(), (std::vector<std::string>{
                                   "x", "dense_0.w", "dense_0.b", "dense_1.w",
                                   "dense_1.b", "dense_2.w", "dense_2.b"}));
  EXPECT_EQ(c.ops(),
            (std::vector<std::string>{"matmul", "add", "relu", "matmul", "add",
                                      "relu", "matmul", "add", "relu"}));
  EXPECT_EQ(c.program->outputs[0].value.index, 8u);
}

TEST(SemaTest, RepeatCountFromALayerParameter) {
  Compiled c("layer deep(x, n: int) {\n  repeat n { let x = tanh(x) }\n"
             "  return x\n}\n" +
             std::string(kHeader) + "output y = deep(x, 4)\n");
  ASSERT_EQ(c.messages(), Msgs{});
  EXPECT_EQ(c.program->nodes.size(), 4u);
}

TEST(SemaTest, LayerErrorsPointAtTheCallChainOnce) {
  Compiled c(std::string(kDense) + kHeader +
             "let a = dense(x, 32, 10)\nlet b = dense(x, 32, 10)\n");
  EXPECT_EQ(c.messages(),
            (Msgs{"4:12: matmul: cannot multiply [?, 64] by [32, 10]: inner "
                  "extents 64 and 32 differ",
                  "note 7:9: in the layer instance created here"}));
}

TEST(SemaTest, LayerCallErrors) {
  Compiled c(std::string(kDense) + kHeader +
             "let a = dense(x, 64)\n"
             "let b = dense(x, 64, 10, 5, 6)\n"
             "let c = dense(x, 64, fan_out=1, fan_in=2)\n"
             "let d = dense(x, 64, size=3)\n"
             "let e = dense(x, x, 3)\n"
             "let f = dense\n");
  EXPECT_EQ(c.messages(),
            (Msgs{"7:9: layer 'dense': missing argument 'fan_out'",
                  // Said once, at the first argument too many.
                  "8:26: layer 'dense' takes 3 arguments, got 5",
                  "9:33: argument 'fan_in' is given twice",
                  "10:22: layer 'dense' has no parameter 'size'; parameters: "
                  "x, fan_in, fan_out",
                  "11:18: layer 'dense': argument 'fan_in' must be an "
                  "integer, got a tensor",
                  "12:9: 'dense' is a layer; call it with arguments"}));
}

TEST(SemaTest, LayerDeclarationErrors) {
  Compiled c("layer a(x) { let y = x }\nlayer b(x, x) { return x }\n"
             "layer relu(x) { return x }\nlayer a(x) { return x }\n"
             "layer r(x) { return r(x) }\n"
             "input i: f32[1]\noutput o = r(i)\n");
  EXPECT_EQ(c.messages(),
            (Msgs{"1:7: layer 'a' has no 'return'",
                  "2:12: duplicate layer parameter 'x'",
                  "3:7: layer 'relu' has the name of an op",
                  "4:7: layer 'a' is already defined at 1:7",
                  "5:21: layer 'r' calls itself",
                  "note 7:12: in the layer instance created here"}));
}

TEST(SemaTest, LayersDoNotSeeTopLevelNames) {
  Compiled c("param w: f32[4, 4]\nlayer f(x) { return x @ w }\n"
             "input i: f32[B, 4]\noutput o = f(i)\n");
  EXPECT_EQ(c.messages(), (Msgs{"2:25: unknown name 'w'",
                                "note 4:12: in the layer instance created "
                                "here"}));
}

TEST(SemaTest, HugeRepeatHitsTheSizeLimit) {
  FrontendLimits limits;
  limits.maxElaboratedNodes = 1000;
  Compiled c(std::string(kHeader) +
                 "let h = x\nrepeat 1000000000 { let h = relu(h) }\n",
             limits);
  EXPECT_EQ(c.messages(),
            (Msgs{"3:1: the model is too large after expanding layers and "
                  "repeat (more than 1000 nodes and steps)"}));
  Compiled empty("repeat 1000000000 { }\n");
  ASSERT_EQ(empty.messages().size(), 1u);
}

/// `layers` layers, each returning its parameter through `depth` nested
/// relus around a call of the next: every layer within the nesting limits,
/// the whole `layers * depth` expressions deep at once.
std::string deepLayerChain(int layers, int depth) {
  std::string source = "input x: f32[B, 4]\n";
  for (int k = 0; k < layers; ++k) {
    std::string inner =
        k + 1 < layers ? "l" + std::to_string(k + 1) + "(" : "relu(";
    source += "layer l" + std::to_string(k) + "(h) {\n  return ";
    for (int i = 0; i < depth; ++i)
      source += "relu(";
    source += inner + "h" + std::string(depth + 1, ')') + "\n}\n";
  }
  return source + "output y = l0(x)\n";
}

TEST(SemaTest, ExpressionsNestedThroughLayerCallsHitTheEvaluationLimit) {
  // 8,000 levels at once overflowed the 8 MiB stack before the limit.
  Compiled deep(deepLayerChain(32, 250));
  ASSERT_FALSE(deep.messages().empty());
  EXPECT_NE(deep.messages().front().find(
                "expressions nest too deeply through layer calls (the limit "
                "is 2048 at once"),
            std::string::npos)
      << deep.messages().front();
  EXPECT_FALSE(deep.program);
  Compiled shallow(deepLayerChain(8, 250));
  EXPECT_TRUE(shallow.messages().empty());
}

TEST(SemaTest, AFreezePatternMatchingNoParameterSaysWhatItMayHaveMeant) {
  Compiled c("input x: f32[B, 4]\nparam w_1: f32[4, 4] = ones\n"
             "buffer mean: f32[4] = zeros\noutput y = x @ w_1 + mean\n"
             "loss = reduce_sum(y)\n"
             "train {\n  freeze mean, nothing\n}\n");
  EXPECT_EQ(c.messages(),
            (Msgs{"7:10: freeze pattern 'mean' matches no parameter; 'mean' "
                  "is a buffer, which has no gradient to freeze (a "
                  "batch_norm statistic still follows the batches)",
                  "7:16: freeze pattern 'nothing' matches no parameter"}));
  // --freeze patterns come from the command line, where '?' can be typed.
  EXPECT_EQ(unmatchedFreezePattern("w_?", {"mean"}, {"w_1"}),
            "matches no parameter (only * is a wildcard)");
  EXPECT_EQ(unmatchedFreezePattern("block.*", {}, {"block_0_weight"}),
            "matches no parameter; did you mean 'block_*'? (an imported "
            "model's names have '_' for '.')");
  EXPECT_EQ(unmatchedFreezePattern("block.*", {}, {"head_weight"}),
            "matches no parameter");
}

TEST(SemaTest, TheDynamicMarkerIsNoShapeEntry) {
  // The smallest 64-bit integer is the IR's dynamic extent; written as a
  // number it acted as the batch.
  for (const char *op :
       {"reshape(v, shape=[m])", "broadcast_to(v, shape=[m, 4])"}) {
    Compiled c(std::string("input x: f32[B, 4]\nparam v: f32[4] = ones\n"
                           "let m = -9223372036854775807 - 1\noutput y = ") +
               op + "\n");
    ASSERT_EQ(c.messages().size(), 1u) << op;
    EXPECT_NE(c.messages().front().find(
                  "shape entry -9223372036854775808 is no extent"),
              std::string::npos)
        << c.messages().front();
  }
}

TEST(SemaTest, BatchSymbolRules) {
  Compiled two("input x: f32[B, 2]\ninput y: f32[N, 2]\n");
  EXPECT_EQ(two.messages(),
            (Msgs{"2:14: a model has one symbolic batch dimension, already "
                  "named 'B'; got 'N'"}));
  Compiled inner("input x: f32[2, B]\n");
  EXPECT_EQ(inner.messages(),
            (Msgs{"1:17: the symbolic batch dimension 'B' may only be the "
                  "first dimension of an input"}));
  Compiled param("input x: f32[B, 2]\nparam w: f32[B, 2]\n");
  EXPECT_EQ(param.messages(),
            (Msgs{"2:14: the symbolic batch dimension 'B' may only be the "
                  "first dimension of an input"}));
  Compiled unknown("param w: f32[n, 2]\nparam v: f32[0]\n");
  EXPECT_EQ(unknown.messages(),
            (Msgs{"1:14: unknown dimension 'n' (a dimension is an integer or "
                  "an integer layer parameter)",
                  "2:14: dimension must be positive, got 0"}));
  Compiled shared("input x: f32[B, 2]\ninput y: i32[B]\noutput x\n");
  ASSERT_EQ(shared.messages(), Msgs{});
  EXPECT_EQ(shared.program->arguments[1].type.shape, (Shape{kDynamic}));
}

TEST(SemaTest, LossMustBeAFloatScalar) {
  Compiled c(std::string(kHeader) + "loss = x\n");
  EXPECT_EQ(c.messages(),
            (Msgs{"2:8: the loss must be a scalar, got shape [?, 64]"}));
  Compiled ok("input x: f32[B, 3]\ninput l: i32[B]\n"
              "loss = softmax_cross_entropy(x, l)\n");
  ASSERT_EQ(ok.messages(), Msgs{});
  EXPECT_TRUE(ok.program->hasLoss);
  EXPECT_EQ(ok.program->loss.name, "loss");
  Compiled twice(std::string(kHeader) +
                 "loss = reduce_sum(x)\nloss = reduce_sum(x)\n");
  EXPECT_EQ(twice.messages(),
            (Msgs{"3:1: the loss is already defined at 2:1"}));
}

TEST(SemaTest, OutputErrors) {
  Compiled c(std::string(kHeader) +
             "output x\noutput x = relu(x)\noutput nope\noutput s = [1]\n");
  EXPECT_EQ(c.messages(), (Msgs{"3:8: output 'x' is already defined at 2:8",
                                "4:8: unknown name 'nope'",
                                "5:12: output must be a tensor, got a list"}));
}

TEST(SemaTest, InitializersAndSeeds) {
  Compiled c("param a: f32[2, 3] = glorot(seed=1)\nparam b: f32[3]\n"
             "param c: f32[3] = uniform(-1, high=2)\n"
             "param d: f32[3] = normal(std=0.5)\n"
             "param e: f32[3] = constant(0.25)\nparam f: f32[2, 2] = kaiming\n"
             "param g: f32[2, 2] = xavier\noutput a\n");
  ASSERT_EQ(c.messages(), Msgs{});
  EXPECT_EQ(c.arg("a").init.kind, "glorot");
  EXPECT_EQ(c.arg("a").init.seed, 1);
  EXPECT_EQ(c.arg("b").init.kind, "zeros");
  EXPECT_EQ(c.arg("b").init.seed, defaultInitSeed("b"));
  EXPECT_EQ(c.arg("c").init.args,
            (std::map<std::string, double>{{"low", -1}, {"high", 2}}));
  EXPECT_EQ(c.arg("d").init.args,
            (std::map<std::string, double>{{"mean", 0}, {"std", 0.5}}));
  EXPECT_EQ(c.arg("e").init.args,
            (std::map<std::string, double>{{"value", 0.25}}));
  EXPECT_EQ(c.arg("f").init.kind, "he");
  EXPECT_EQ(c.arg("g").init.kind, "glorot");
}

TEST(SemaTest, DefaultSeedIsFnv1aOfTheQualifiedName) {
  // Reference values of 64-bit FNV-1a.
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(defaultInitSeed("a"),
            static_cast<int64_t>(0xaf63dc4c8601ec8cull & INT64_MAX));
  Compiled c(std::string(kDense) + kHeader + "output y = dense(x, 64, 2)\n");
  ASSERT_TRUE(c.program);
  EXPECT_EQ(c.arg("dense_0.w").init.seed, defaultInitSeed("dense_0.w"));
}

TEST(SemaTest, InitializerErrors) {
  Compiled c("param a: f32[2] = glorot\nparam b: f32[2] = magic\n"
             "param c: f32[2] = uniform(1, 2, 3)\n"
             "param d: f32[2] = normal(sd=1)\nparam e: f32[2] = constant\n"
             "param f: f32[2] = ones(seed=-1)\n"
             "param g: f32[2] = uniform(low=1, high=0)\n");
  EXPECT_EQ(c.messages(),
            (Msgs{"1:19: glorot: needs a tensor of rank 2 or more (for fan_in "
                  "and fan_out), got shape [2]",
                  "2:19: unknown initializer 'magic'; valid: zeros, ones, "
                  "constant, uniform, normal, glorot, xavier, he, kaiming, "
                  "tril, causal_mask",
                  "3:33: uniform: too many positional arguments (it takes 2)",
                  "4:26: normal: unknown argument 'sd'; valid arguments: "
                  "mean, std, seed",
                  "5:19: constant: missing argument 'value'",
                  "6:29: ones: seed must be a non-negative integer, got the "
                  "integer -1",
                  "7:19: uniform: low must not exceed high"}));
}

TEST(SemaTest, InitializersMustFitTheirTensorsType) {
  Compiled c("param a: i32[2] = constant(1.5)\n"
             "param b: i32[2] = normal\n"
             "param c: f32[2] = constant(1e300)\n"
             "param d: i32[2] = constant(2147483648)\n"
             "param e: i64[2] = constant(2147483648)\n"
             "param f: i32[2] = ones\n"
             "param g: f64[2] = constant(1e300)\n");
  EXPECT_EQ(c.messages(),
            (Msgs{"1:19: constant: 'value' 1.5 does not fit i32[2]",
                  "2:19: normal: needs a float tensor, got i32[2] (an integer "
                  "tensor takes zeros, ones or constant)",
                  "3:19: constant: 'value' 1e+300 does not fit f32[2]",
                  "4:19: constant: 'value' 2147483648 does not fit i32[2]"}));
}

TEST(SemaTest, TrainingSection) {
  Compiled c(std::string(kDense) + kHeader +
             "input l: i32[B]\n"
             "let h = dense(dense(x, 64, 32), 32, 10)\n"
             "loss = softmax_cross_entropy(h, l)\n"
             "train {\n  optimizer = adam(lr=0.01, beta2=0.99)\n"
             "  epochs = 3\n  batch = 16\n  freeze dense_0.*\n}\n");
  ASSERT_EQ(c.messages(), Msgs{});
  const TrainingConfig &t = c.program->training;
  EXPECT_TRUE(t.present);
  EXPECT_EQ(t.optimizer, "adam");
  EXPECT_EQ(t.hyper, (std::map<std::string, double>{{"lr", 0.01},
                                                    {"beta1", 0.9},
                                                    {"beta2", 0.99},
                                                    {"eps", 1e-8},
                                                    {"weight_decay", 0}}));
  EXPECT_EQ(std::get<int64_t>(t.settings.at("epochs")), 3);
  EXPECT_EQ(std::get<int64_t>(t.settings.at("batch")), 16);
  EXPECT_EQ(t.settings.count("seed"), 0u);
  EXPECT_EQ(t.frozenPatterns, (std::vector<std::string>{"dense_0.*"}));
  EXPECT_TRUE(c.arg("dense_0.w").frozen);
  EXPECT_TRUE(c.arg("dense_0.b").frozen);
  EXPECT_FALSE(c.arg("dense_1.w").frozen);
  EXPECT_FALSE(c.arg("x").frozen);
}

TEST(SemaTest, TrainingErrors) {
  Compiled c(std::string(kHeader) +
             "param w: f32[64, 1]\n"
             "loss = reduce_mean(x @ w)\n"
             "train {\n  optimizer = rmsprop(lr=1)\n  epochs = 0\n"
             "  epochs = 2\n  speed = 3\n  freeze nothing_*, w\n}\n"
             "train { }\n");
  EXPECT_EQ(
      c.messages(),
      (Msgs{
          "11:1: only one train block is allowed (the first is at "
          "4:1)",
          "5:15: unknown optimizer 'rmsprop'; valid: sgd, momentum, nesterov, "
          "adam, adamw",
          "6:12: 'epochs' must be an integer of at least 1, got 0",
          "7:3: training setting 'epochs' is already given",
          "8:3: unknown training setting 'speed'; valid settings: "
          "optimizer, epochs, batch, seed",
          "9:10: freeze pattern 'nothing_*' matches no parameter"}));
  Compiled hyper(std::string(kHeader) +
                 "loss = reduce_sum(x)\n"
                 "train { optimizer = sgd(lr=0.1, beta1=0.9) }\n");
  EXPECT_EQ(hyper.messages(),
            (Msgs{"3:33: sgd: unknown hyperparameter 'beta1'; valid: lr, "
                  "momentum, weight_decay"}));
  // Rates of decay of 1 or more, and an eps of 0, are named at the value.
  Compiled ranges(std::string(kHeader) +
                  "loss = reduce_sum(x)\n"
                  "train { optimizer = adamw(lr=0.1, beta1=1.0, eps=0) }\n");
  EXPECT_EQ(ranges.messages(), (Msgs{"3:41: adamw: 'beta1' must be below 1",
                                     "3:50: adamw: eps must be positive"}));
  Compiled momentum(std::string(kHeader) +
                    "loss = reduce_sum(x)\n"
                    "train { optimizer = momentum(lr=0.1, momentum=1.5) }\n");
  EXPECT_EQ(momentum.messages(),
            (Msgs{"3:47: momentum: 'momentum' must be below 1"}));
  Compiled noLoss("train { epochs = 1 }\n");
  EXPECT_EQ(noLoss.messages(),
            (Msgs{"1:1: the train block needs a loss (loss = ...)"}));
}

TEST(SemaTest, GlobMatching) {
  EXPECT_TRUE(matchesGlob("*", "a.b"));
  EXPECT_TRUE(matchesGlob("block_*.w", "block_12.w"));
  EXPECT_TRUE(matchesGlob("*.w", "outer_0.inner_1.w"));
  EXPECT_FALSE(matchesGlob("*.w", "outer_0.w1"));
  EXPECT_TRUE(matchesGlob("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(matchesGlob("a*b*c", "aXbYbZ"));
  EXPECT_FALSE(matchesGlob("w", "w1"));
  EXPECT_TRUE(matchesGlob("w**", "w"));
}

TEST(SemaTest, SyntaxErrorsSkipSema) {
  Compiled c("let a = (\nlet b = nope\n");
  EXPECT_EQ(c.messages(), (Msgs{"1:10: expected an expression, found end of "
                                "line"}));
}

TEST(SemaTest, AModelNeedsAnOutputOrALoss) {
  EXPECT_EQ(Compiled("").messages(),
            (Msgs{"1:1: model has no outputs (declare one with 'output "
                  "NAME')"}));
  EXPECT_EQ(Compiled("input x: f32[1]\nlet y = x\n").messages().size(), 1u);
  Compiled lossOnly("input x: f32[2]\nloss = reduce_sum(x)\n");
  ASSERT_EQ(lossOnly.messages(), Msgs{});
  EXPECT_EQ(lossOnly.program->modelName, "model");
}

TEST(SemaTest, HugeTensorTypesAreRejected) {
  Compiled c("input x: f32[B, 1048576, 1048576]\n"
             "param w: f32[1048576, 1048576, 4096] = zeros\n"
             "param v: f32[9223372036854775807, 4]\n");
  EXPECT_EQ(c.messages(),
            (Msgs{"2:10: tensor type f32[1048576, 1048576, 4096] has more than "
                  "2^40 elements",
                  "3:10: tensor type f32[9223372036854775807, 4] has more than "
                  "2^40 elements"}));
}

TEST(SemaTest, TooLargeSourceIsRejected) {
  FrontendLimits limits;
  limits.maxSourceBytes = 4;
  Compiled c("let a = 1\n", limits);
  EXPECT_EQ(c.messages(), (Msgs{"0:0: the source is too large (10 bytes; the "
                                "limit is 4)"}));
}

TEST(SemaTest, ExamplesCompile) {
  for (const char *name : {"mlp_digits", "lenet", "resnet_mlp", "sine", "xor",
                           "finetune_digits", "tiny_gpt"}) {
    std::ifstream in(std::string(NNC_SOURCE_DIR) + "/examples/" + name + ".nn");
    ASSERT_TRUE(in) << name;
    std::stringstream text;
    text << in.rdbuf();
    Compiled c(text.str());
    EXPECT_EQ(c.messages(), Msgs{}) << name;
  }
}

} // namespace

namespace {

TEST(SemaTest, DocumentationExamplesCompile) {
  std::ifstream in(std::string(NNC_SOURCE_DIR) + "/docs/dsl.md");
  ASSERT_TRUE(in);
  std::string line, block;
  bool inBlock = false;
  int blocks = 0;
  while (std::getline(in, line)) {
    if (!inBlock && line == "```nn") {
      inBlock = true;
      block.clear();
    } else if (inBlock && line == "```") {
      inBlock = false;
      ++blocks;
      Compiled c(block);
      EXPECT_EQ(c.messages(), Msgs{}) << block;
    } else if (inBlock) {
      block += line + "\n";
    }
  }
  EXPECT_GE(blocks, 6);
}

} // namespace

TEST(SemaTest, ADeclarationThatUsesItsOwnNameIsAnError) {
  // Each declaration's name is poisoned while its type and initializer
  // resolve; a use of it there was dropped with the poison, along with
  // every output reading it, and the model checked.
  Compiled input("input z: f32[B, 4]\n"
                 "input x: f32[x, 4]\n"
                 "output y = relu(z)\n"
                 "output w = relu(x)\n");
  EXPECT_EQ(input.messages(),
            (Msgs{"2:14: 'x' is used in its own declaration"}));
  Compiled init("input z: f32[B, 4]\n"
                "param w: f32[4] = constant(w)\n"
                "output q = z + w\n");
  EXPECT_EQ(init.messages(),
            (Msgs{"2:28: 'w' is used in its own declaration"}));
  Compiled dim("input x: f32[B, 4]\n"
               "param b: f32[b]\n"
               "output y = x + b\n");
  EXPECT_EQ(dim.messages(), (Msgs{"2:14: 'b' is used in its own declaration"}));
}

TEST(SemaTest, ADeepCallChainIsCutToItsEnds) {
  // Ten layers each calling the next, the last with a shape error: the
  // three innermost instances, then the outermost with the levels between,
  // where every level used to get a note of its own.
  std::string source = "input x: f32[B, 4]\n";
  for (int i = 0; i < 9; ++i)
    source += "layer l" + std::to_string(i) + "(a) { return l" +
              std::to_string(i + 1) + "(a) }\n";
  source += "layer l9(a) { return a @ a }\noutput y = l0(x)\n";
  Compiled c(source);
  EXPECT_EQ(c.messages(),
            (Msgs{"11:24: matmul: cannot multiply [?, 4] by [?, 4]: inner "
                  "extents 4 and ? differ",
                  "note 10:22: in the layer instance created here",
                  "note 9:22: in the layer instance created here",
                  "note 8:22: in the layer instance created here",
                  "note 12:12: in the layer instance created here, 7 levels "
                  "out"}));
}

TEST(SemaTest, TheBatchStaysTheFirstAxisOfAModelThatHasOne) {
  // Both passed sema: the first was refused by the dialect's verifier in
  // its own words, the second only when a command specialised the batch.
  Compiled moved("input x: f32[B, 4]\noutput y = reshape(x, shape=[4, -1])\n");
  EXPECT_EQ(moved.messages(),
            (Msgs{"2:12: reshape: the batch dimension would be axis 1 of the "
                  "result [4, ?]; it must stay the first axis (the batch is "
                  "one leading dimension)"}));
  Compiled none("input x: f32[4]\n"
                "output y = broadcast_to(x, shape=[-1, 4])\n");
  EXPECT_EQ(none.messages(),
            (Msgs{"2:12: broadcast_to: the result [?, 4] has a batch "
                  "dimension (-1), but no input of the model has one to give "
                  "it a size"}));
}

TEST(SemaTest, TheTrainBatchIsBoundedAsAnExtent) {
  // Accepted by check, it failed at some matmul once a command made the
  // batch, in the verifier's words.
  Compiled c(std::string(kHeader) + "loss = reduce_mean(x)\n" +
             "train { batch = 1099511627777 }\n");
  EXPECT_EQ(c.messages(),
            (Msgs{"3:17: 'batch' must be an integer of at least 1 and at most "
                  "1099511627776, got 1099511627777"}));
}

TEST(SemaTest, AListAttributeNamesItsBadElementOnce) {
  // It also reported the attribute missing, and did not say which element.
  Compiled c(std::string(kHeader) +
             "output y = reshape(x, shape=[-1, 2.0, 2])\n");
  EXPECT_EQ(c.messages(),
            (Msgs{"2:29: reshape: attribute 'shape' must be a list of "
                  "integers, got a list whose element 2 is the number 2.0"}));
}

TEST(SemaTest, NamesAndNumbersInMessagesSayWhatTheyAre) {
  Compiled repeat(std::string(kHeader) + "repeat n { let x = relu(x) }\n" +
                  "output y = x\n");
  EXPECT_EQ(repeat.messages(), (Msgs{"2:8: unknown name 'n'"}));
  Compiled optimizer(std::string(kHeader) + "loss = reduce_mean(x)\n" +
                     "train { optimizer = 3 }\n");
  EXPECT_EQ(optimizer.messages(),
            (Msgs{"3:21: 'optimizer' must be an optimizer's name (sgd, "
                  "momentum, nesterov, adam, adamw), optionally with its "
                  "settings"}));
}
