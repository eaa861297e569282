//===- ParserTest.cpp - Precedence, recovery and the nesting limit --------===//

#include "frontend/Parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

using namespace nnc::frontend;
using ast::Expr;

namespace {

/// Renders an expression as an s-expression, so tests can compare trees
/// as strings.
std::string sexpr(const Expr &e) {
  switch (e.kind) {
  case Expr::Kind::Int:
    return std::to_string(e.intValue);
  case Expr::Kind::Float:
    return std::to_string(e.floatValue);
  case Expr::Kind::Bool:
    return e.boolValue ? "true" : "false";
  case Expr::Kind::String:
    return "\"" + e.name + "\"";
  case Expr::Kind::Name:
    return e.name;
  case Expr::Kind::Neg:
    return "(neg " + sexpr(*e.operands[0]) + ")";
  case Expr::Kind::Binary:
    return std::string("(") + e.op + " " + sexpr(*e.operands[0]) + " " +
           sexpr(*e.operands[1]) + ")";
  case Expr::Kind::List: {
    std::string out = "[";
    for (size_t i = 0; i < e.operands.size(); ++i)
      out += (i ? " " : "") + sexpr(*e.operands[i]);
    return out + "]";
  }
  case Expr::Kind::Call: {
    std::string out = "(call " + e.name;
    for (const ast::CallArg &a : e.args)
      out += " " + (a.keyword.empty() ? "" : a.keyword + "=") + sexpr(*a.value);
    return out + ")";
  }
  }
  return "?";
}

struct Parsed {
  DiagnosticEngine diags;
  ast::Module module;

  explicit Parsed(std::string source, FrontendLimits limits = {})
      : diags("t.nn", std::move(source)) {
    diags.setErrorLimit(limits.maxErrors);
    module = Parser(diags, limits).parseModule();
  }

  std::vector<std::string> messages() const {
    std::vector<std::string> out;
    for (const Diagnostic &d : diags.diagnostics())
      out.push_back(std::to_string(d.loc.line) + ":" +
                    std::to_string(d.loc.col) + ": " + d.message);
    return out;
  }

  /// The value of the only `let` statement.
  std::string letValue() const {
    EXPECT_EQ(module.statements.size(), 1u);
    if (module.statements.size() != 1 || !module.statements[0].value)
      return "<none>";
    return sexpr(*module.statements[0].value);
  }
};

TEST(ParserTest, MultiplicativeBindsTighterThanAdditive) {
  Parsed p("let y = a + b * c - d");
  EXPECT_EQ(p.letValue(), "(- (+ a (* b c)) d)");
  EXPECT_FALSE(p.diags.hasErrors());
}

TEST(ParserTest, StarSlashAtShareOneLeftAssociativeLevel) {
  EXPECT_EQ(Parsed("let y = a @ b * c").letValue(), "(* (@ a b) c)");
  EXPECT_EQ(Parsed("let y = a * b @ c").letValue(), "(@ (* a b) c)");
  EXPECT_EQ(Parsed("let y = a / b / c").letValue(), "(/ (/ a b) c)");
  EXPECT_EQ(Parsed("let y = a - b - c").letValue(), "(- (- a b) c)");
}

TEST(ParserTest, UnaryMinusBindsTighterThanEverything) {
  EXPECT_EQ(Parsed("let y = -a @ b").letValue(), "(@ (neg a) b)");
  EXPECT_EQ(Parsed("let y = a * --b").letValue(), "(* a (neg (neg b)))");
  EXPECT_EQ(Parsed("let y = a - -1").letValue(), "(- a (neg 1))");
}

TEST(ParserTest, ParenthesesOverridePrecedence) {
  EXPECT_EQ(Parsed("let y = (a + b) * c").letValue(), "(* (+ a b) c)");
}

TEST(ParserTest, CallsListsAndKeywordArguments) {
  Parsed p("let y = conv2d(x, w, stride=[2, 1], padding=1, flag=true, "
           "name=\"s\")");
  EXPECT_EQ(p.letValue(), "(call conv2d x w stride=[2 1] padding=1 "
                          "flag=true name=\"s\")");
  EXPECT_EQ(Parsed("let y = f()").letValue(), "(call f)");
  EXPECT_EQ(Parsed("let y = []").letValue(), "[]");
}

TEST(ParserTest, ArgumentsMaySpanLines) {
  Parsed p("let y = f(a,\n          b)\nlet z = 1");
  EXPECT_FALSE(p.diags.hasErrors());
  ASSERT_EQ(p.module.statements.size(), 2u);
  EXPECT_EQ(sexpr(*p.module.statements[0].value), "(call f a b)");
}

TEST(ParserTest, Declarations) {
  Parsed p("model m\ninput x: f32[B, 64]\nparam w: f64[64, n] = "
           "uniform(-1, high=1, seed=3)\nbuffer s: i32[] ; output y = x\n"
           "output x\nloss = mse(x, x)");
  ASSERT_FALSE(p.diags.hasErrors());
  const auto &s = p.module.statements;
  ASSERT_EQ(s.size(), 7u);
  EXPECT_EQ(s[0].kind, ast::Stmt::Kind::Model);
  EXPECT_EQ(s[0].name, "m");
  EXPECT_EQ(s[1].kind, ast::Stmt::Kind::Input);
  ASSERT_EQ(s[1].type.dims.size(), 2u);
  EXPECT_TRUE(s[1].type.dims[0].isName);
  EXPECT_EQ(s[1].type.dims[0].name, "B");
  EXPECT_EQ(s[1].type.dims[1].value, 64);
  EXPECT_EQ(s[2].type.dtype, DType::F64);
  ASSERT_TRUE(s[2].init);
  EXPECT_EQ(s[2].init->name, "uniform");
  ASSERT_EQ(s[2].init->args.size(), 3u);
  EXPECT_EQ(s[2].init->args[1].keyword, "high");
  EXPECT_EQ(s[3].kind, ast::Stmt::Kind::Buffer);
  EXPECT_TRUE(s[3].type.dims.empty());
  EXPECT_FALSE(s[3].init);
  EXPECT_EQ(s[4].kind, ast::Stmt::Kind::Output);
  EXPECT_TRUE(s[4].value);
  EXPECT_FALSE(s[5].value);
  EXPECT_EQ(s[6].kind, ast::Stmt::Kind::Loss);
}

TEST(ParserTest, LayersRepeatAndTrain) {
  Parsed p("layer dense(x, n: int, s: float, t: tensor) {\n"
           "  param w: f32[n, n]\n"
           "  repeat 2 { let x = x @ w }\n"
           "  return x\n"
           "}\n"
           "repeat n { repeat 0 { } }\n"
           "train {\n"
           "  optimizer = adam(lr=0.001)\n"
           "  epochs = 3; freeze dense_*.w, *.b, enc_0.*\n"
           "}\n");
  ASSERT_EQ(p.messages(), std::vector<std::string>{});
  ASSERT_EQ(p.module.layers.size(), 1u);
  const ast::LayerDecl &layer = p.module.layers[0];
  ASSERT_EQ(layer.params.size(), 4u);
  EXPECT_EQ(layer.params[0].kind, ast::LayerParam::Kind::Any);
  EXPECT_EQ(layer.params[1].kind, ast::LayerParam::Kind::Int);
  EXPECT_EQ(layer.params[2].kind, ast::LayerParam::Kind::Float);
  EXPECT_EQ(layer.params[3].kind, ast::LayerParam::Kind::Tensor);
  ASSERT_EQ(layer.body.size(), 3u);
  EXPECT_EQ(layer.body[1].count, 2);
  ASSERT_EQ(p.module.statements.size(), 1u);
  EXPECT_EQ(p.module.statements[0].countName, "n");
  ASSERT_EQ(p.module.trainBlocks.size(), 1u);
  const auto &items = p.module.trainBlocks[0].items;
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].key, "optimizer");
  EXPECT_EQ(sexpr(*items[0].value), "(call adam lr=0.001000)");
  EXPECT_TRUE(items[2].isFreeze);
  EXPECT_EQ(items[2].patterns,
            (std::vector<std::string>{"dense_*.w", "*.b", "enc_0.*"}));
}

TEST(ParserTest, FreezePatternsNeedCommas) {
  Parsed p("train {\n  freeze a b\n}");
  EXPECT_EQ(p.messages(), (std::vector<std::string>{
                              "2:12: expected end of statement, found 'b'"}));
}

TEST(ParserTest, RecoveryReportsOneErrorPerBadStatement) {
  Parsed p("let = 1\n"
           "let b = (2\n"
           "let c = 3 +\n"
           "param w f32[2]\n"
           "input x: q32[1]\n"
           "let ok = 1\n"
           "let d = f(a=1, 2)\n"
           "let e = 1 2\n");
  EXPECT_EQ(p.messages(),
            (std::vector<std::string>{
                "1:5: expected a name after 'let', found '='",
                "2:11: expected ')', found end of line",
                "3:12: expected an expression, found end of line",
                "4:9: expected ':' before the type, found 'f32'",
                "5:10: expected a dtype (f32, f64, i32 or i64), found 'q32'",
                "7:16: positional argument after a keyword argument",
                "8:11: expected end of statement, found '2'"}));
  // The good statement between the bad ones survives.
  bool sawOk = false;
  for (const ast::Stmt &s : p.module.statements)
    sawOk = sawOk || s.name == "ok";
  EXPECT_TRUE(sawOk);
}

TEST(ParserTest, RecoveryInsideBlocksKeepsTheBlock) {
  Parsed p("layer f(x) {\n  let = 2\n  output y\n  return x\n}\n"
           "repeat 2 {\n  param w: f32[1]\n}\nreturn 1\nlet z = 1\n}\n");
  EXPECT_EQ(p.messages(),
            (std::vector<std::string>{
                "2:7: expected a name after 'let', found '='",
                "3:3: 'output' is not allowed inside a layer",
                "7:3: 'param' is not allowed inside a repeat block",
                "9:1: 'return' is not allowed outside a layer",
                "11:1: unexpected '}' outside a block"}));
  ASSERT_EQ(p.module.layers.size(), 1u);
  EXPECT_EQ(p.module.layers[0].body.size(), 1u);
}

TEST(ParserTest, UnclosedBlockIsReported) {
  Parsed p("repeat 2 {\n  let x = 1\n");
  EXPECT_EQ(p.messages(),
            (std::vector<std::string>{
                "3:1: expected '}' to close the block opened at 1:10"}));
}

TEST(ParserTest, ErrorsStopAtTheLimit) {
  std::string source;
  for (int i = 0; i < 50; ++i)
    source += "let = 1\n";
  FrontendLimits limits;
  limits.maxErrors = 5;
  Parsed p(source, limits);
  EXPECT_EQ(p.diags.errorCount(), 5u);
  EXPECT_EQ(p.diags.diagnostics().back().message,
            "too many errors; stopping after 5");
}

TEST(ParserTest, DeepParenthesesHitTheNestingLimit) {
  std::string source =
      "let x = " + std::string(100000, '(') + "1" + std::string(100000, ')');
  Parsed p(source);
  EXPECT_EQ(p.messages(),
            (std::vector<std::string>{
                "1:265: nesting is too deep (the limit is 256)"}));
}

TEST(ParserTest, DeepCallsListsAndMinusesHitTheNestingLimit) {
  std::string calls = "let x = ";
  for (int i = 0; i < 5000; ++i)
    calls += "f(";
  EXPECT_EQ(Parsed(calls).messages(),
            (std::vector<std::string>{
                "1:521: nesting is too deep (the limit is 256)"}));
  EXPECT_EQ(Parsed("let x = " + std::string(5000, '[')).messages(),
            (std::vector<std::string>{
                "1:265: nesting is too deep (the limit is 256)"}));
  EXPECT_EQ(Parsed("let x = " + std::string(5000, '-') + "1").messages(),
            (std::vector<std::string>{
                "1:265: nesting is too deep (the limit is 256)"}));
}

TEST(ParserTest, LongOperatorChainsHitTheHeightLimit) {
  std::string source = "let x = a";
  for (int i = 0; i < 100000; ++i)
    source += "+a";
  Parsed p(source);
  EXPECT_EQ(p.messages(),
            (std::vector<std::string>{
                "1:520: expression is nested too deeply (the limit is 256)"}));
  std::string ok = "let x = a";
  for (int i = 0; i < 255; ++i)
    ok += "+a";
  EXPECT_FALSE(Parsed(ok).diags.hasErrors());
}

TEST(ParserTest, DeepRepeatBlocksHitTheNestingLimit) {
  std::string source;
  for (int i = 0; i < 3000; ++i)
    source += "repeat 1 {\n";
  Parsed p(source);
  EXPECT_EQ(p.messages(),
            (std::vector<std::string>{
                "257:10: nesting is too deep (the limit is 256)"}));
  // Closed blocks too: each block past the limit, and each '}' that then
  // has no block to close, is the same one error.
  std::string closed;
  for (int i = 0; i < 300; ++i)
    closed += "repeat 1 {\n";
  closed += "let y = x\n";
  for (int i = 0; i < 300; ++i)
    closed += "}\n";
  EXPECT_EQ(Parsed(closed).messages(),
            (std::vector<std::string>{
                "257:10: nesting is too deep (the limit is 256)"}));
}

TEST(ParserTest, EmptyAndBlankSourcesParse) {
  EXPECT_FALSE(Parsed("").diags.hasErrors());
  EXPECT_FALSE(Parsed("\n\n  # just a comment\n;;\n").diags.hasErrors());
}

TEST(ParserTest, RandomBytesNeverCrashOrHang) {
  std::mt19937 rng(1234);
  for (int round = 0; round < 200; ++round) {
    std::string source(1 + rng() % 2000, '\0');
    for (char &c : source)
      c = static_cast<char>(rng());
    Parsed p(source);
    (void)p;
  }
}

TEST(ParserTest, RandomTokenSoupNeverCrashesOrHangs) {
  static const char *const pieces[] = {
      "let ", "x",      " = ",       "(",       ")",  "[",  "]",     "{",
      "}",    ",",      "\n",        "@",       "-",  "+",  "*",     "1",
      "2.5",  "layer ", "repeat 3 ", "return ", "f(", "a=", "train", "freeze ",
      "*",    ".",      "input ",    ":",       "f32"};
  std::mt19937 rng(99);
  for (int round = 0; round < 300; ++round) {
    std::string source;
    for (int i = 0; i < 200; ++i)
      source += pieces[rng() % std::size(pieces)];
    Parsed p(source);
    (void)p;
  }
}

TEST(ParserTest, TenMegabyteInputs) {
  std::string random(10u << 20, '\0');
  std::mt19937 rng(7);
  for (char &c : random)
    c = static_cast<char>(rng());
  EXPECT_TRUE(Parsed(random).diags.limitReached());

  std::string valid;
  while (valid.size() < (10u << 20))
    valid += "let a = b @ c + 1\n";
  Parsed p(valid);
  EXPECT_FALSE(p.diags.hasErrors());
  EXPECT_EQ(p.module.statements.size(), valid.size() / 18);
}

TEST(ParserTest, AKeywordIsABareName) {
  // `((axis))=0` parsed to the same Name node as `axis=0`, and passed.
  Parsed p("let y = softmax(x, ((axis))=0)\n");
  EXPECT_EQ(p.messages(),
            std::vector<std::string>{"1:28: expected ',' or ')', found '='"});
}

} // namespace
