//===- SemaLayerTest.cpp - Layers, their instances, and repeat ------------===//

#include "SemaTestSupport.h"

#include <gtest/gtest.h>

#include <string>

using namespace nnc::frontend;
using namespace nnc::frontend::test;
using nnc::shape::Shape;

namespace {

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
                  "repeat (more than 1000 nodes, arguments and steps)"}));
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

} // namespace
