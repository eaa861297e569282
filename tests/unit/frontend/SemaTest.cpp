//===- SemaTest.cpp - Names, numbers, ops, attributes, shapes -------------===//

#include "SemaTestSupport.h"

#include <gtest/gtest.h>

using namespace nnc::frontend;
using namespace nnc::frontend::test;
using nnc::shape::kDynamic;
using nnc::shape::Shape;

namespace {

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
  EXPECT_EQ(two.constantFloats, (std::vector<double>{2.5}));
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

TEST(SemaTest, PoolsNeedAFloatOperand) {
  // max_pool2d used to let an integer tensor through to the dialect's
  // verifier, whose message is in MLIR's terms.
  Compiled c("input a: i32[2, 4, 4, 4]\noutput m = max_pool2d(a, kernel=2)\n"
             "output v = avg_pool2d(a, kernel=2)\n");
  EXPECT_EQ(c.messages(),
            (Msgs{"2:12: max_pool2d: expects a float (f32 or f64) tensor as "
                  "the operand, got i32",
                  "3:12: avg_pool2d: expects a float (f32 or f64) tensor as "
                  "the operand, got i32"}));
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

} // namespace
