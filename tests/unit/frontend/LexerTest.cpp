//===- LexerTest.cpp - Tokens, locations, numbers and lexical errors ------===//

#include "frontend/Lexer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace nnc::frontend;

namespace {

/// Lexes `source` to the end, keeping the engine for error checks.
struct Lexed {
  DiagnosticEngine diags;
  std::vector<Token> tokens;

  explicit Lexed(std::string source) : diags("t.nn", std::move(source)) {
    Lexer lexer(diags.source(), &diags);
    for (;;) {
      tokens.push_back(lexer.next());
      if (tokens.back().is(TokenKind::Eof))
        break;
    }
  }

  std::vector<TokenKind> kinds() const {
    std::vector<TokenKind> out;
    for (const Token &t : tokens)
      out.push_back(t.kind);
    return out;
  }

  std::vector<std::string> messages() const {
    std::vector<std::string> out;
    for (const Diagnostic &d : diags.diagnostics())
      out.push_back(std::to_string(d.loc.line) + ":" +
                    std::to_string(d.loc.col) + ": " + d.message);
    return out;
  }
};

using K = TokenKind;

TEST(LexerTest, EveryKeyword) {
  Lexed l("model input param buffer layer let repeat return output loss "
          "train freeze true false");
  EXPECT_EQ(l.kinds(),
            (std::vector<K>{K::KwModel, K::KwInput, K::KwParam, K::KwBuffer,
                            K::KwLayer, K::KwLet, K::KwRepeat, K::KwReturn,
                            K::KwOutput, K::KwLoss, K::KwTrain, K::KwFreeze,
                            K::KwTrue, K::KwFalse, K::Eof}));
  EXPECT_FALSE(l.diags.hasErrors());
}

TEST(LexerTest, EveryPunctuation) {
  Lexed l("( ) [ ] { } , : ; = + - * / @ .");
  EXPECT_EQ(l.kinds(),
            (std::vector<K>{K::LParen, K::RParen, K::LBracket, K::RBracket,
                            K::LBrace, K::RBrace, K::Comma, K::Colon,
                            K::Semicolon, K::Equal, K::Plus, K::Minus, K::Star,
                            K::Slash, K::At, K::Dot, K::Eof}));
}

TEST(LexerTest, IdentifiersAreNotKeywordPrefixes) {
  Lexed l("models _x let2 f32 tensor");
  EXPECT_EQ(l.kinds(), (std::vector<K>{K::Ident, K::Ident, K::Ident, K::Ident,
                                       K::Ident, K::Eof}));
  EXPECT_EQ(l.tokens[0].text, "models");
  EXPECT_EQ(l.tokens[1].text, "_x");
  EXPECT_EQ(l.tokens[2].text, "let2");
}

TEST(LexerTest, LocationsCountFromOne) {
  Lexed l("let h = x\n  @ w3");
  ASSERT_EQ(l.tokens.size(), 8u);
  EXPECT_EQ(l.tokens[0].loc.line, 1u);
  EXPECT_EQ(l.tokens[0].loc.col, 1u);
  EXPECT_EQ(l.tokens[3].text, "x");
  EXPECT_EQ(l.tokens[3].loc.col, 9u);
  EXPECT_EQ(l.tokens[4].kind, K::Newline);
  EXPECT_EQ(l.tokens[4].loc.line, 1u);
  EXPECT_EQ(l.tokens[4].loc.col, 10u);
  EXPECT_EQ(l.tokens[5].kind, K::At);
  EXPECT_EQ(l.tokens[5].loc.line, 2u);
  EXPECT_EQ(l.tokens[5].loc.col, 3u);
  EXPECT_EQ(l.tokens[6].text, "w3");
  EXPECT_EQ(l.tokens[6].loc.col, 5u);
}

TEST(LexerTest, Numbers) {
  Lexed l("0 42 0.5 1e-3 2.5E+2 7e2 1.");
  ASSERT_EQ(l.kinds(),
            (std::vector<K>{K::Int, K::Int, K::Float, K::Float, K::Float,
                            K::Float, K::Int, K::Dot, K::Eof}));
  EXPECT_EQ(l.tokens[0].intValue, 0);
  EXPECT_EQ(l.tokens[1].intValue, 42);
  EXPECT_DOUBLE_EQ(l.tokens[2].floatValue, 0.5);
  EXPECT_DOUBLE_EQ(l.tokens[3].floatValue, 1e-3);
  EXPECT_DOUBLE_EQ(l.tokens[4].floatValue, 250.0);
  EXPECT_DOUBLE_EQ(l.tokens[5].floatValue, 700.0);
  EXPECT_EQ(l.tokens[6].intValue, 1);
  EXPECT_FALSE(l.diags.hasErrors());
}

TEST(LexerTest, LargestIntegerIsAccepted) {
  Lexed l("9223372036854775807");
  EXPECT_EQ(l.tokens[0].intValue, INT64_MAX);
  EXPECT_FALSE(l.diags.hasErrors());
}

TEST(LexerTest, IntegerOverflowIsAnError) {
  Lexed l("let x = 9223372036854775808");
  EXPECT_EQ(l.messages(),
            (std::vector<std::string>{
                "1:9: integer '9223372036854775808' is too large (the limit "
                "is 9223372036854775807)"}));
  EXPECT_EQ(l.tokens[3].kind, K::Int);
  EXPECT_EQ(l.tokens[3].intValue, 0);
}

TEST(LexerTest, HugeFloatIsAnError) {
  Lexed l("1e999 2.5");
  EXPECT_EQ(l.messages(),
            (std::vector<std::string>{"1:1: number '1e999' is out of range"}));
  EXPECT_DOUBLE_EQ(l.tokens[1].floatValue, 2.5);
}

TEST(LexerTest, NumberRunIntoLettersIsOneError) {
  Lexed l("3x + 1");
  EXPECT_EQ(l.messages(),
            (std::vector<std::string>{"1:1: invalid number '3x'"}));
  EXPECT_EQ(l.kinds(), (std::vector<K>{K::Int, K::Plus, K::Int, K::Eof}));
}

TEST(LexerTest, Strings) {
  Lexed l(R"("a\"b\\c\n" "é")");
  ASSERT_EQ(l.kinds(), (std::vector<K>{K::String, K::String, K::Eof}));
  EXPECT_EQ(l.tokens[0].stringValue, "a\"b\\c\n");
  EXPECT_EQ(l.tokens[1].stringValue, "é");
  EXPECT_FALSE(l.diags.hasErrors());
}

TEST(LexerTest, UnterminatedString) {
  Lexed l("\"abc\nx");
  EXPECT_EQ(l.messages(),
            (std::vector<std::string>{"1:1: unterminated string"}));
  EXPECT_EQ(l.kinds(),
            (std::vector<K>{K::String, K::Newline, K::Ident, K::Eof}));
}

TEST(LexerTest, CommentsAndNewlines) {
  Lexed l("a # comment ( [\n\n# another\nb;c");
  EXPECT_EQ(l.kinds(), (std::vector<K>{K::Ident, K::Newline, K::Ident,
                                       K::Semicolon, K::Ident, K::Eof}));
}

TEST(LexerTest, NoNewlinesInsideParenthesesAndBrackets) {
  Lexed l("f(a,\n b) [1,\n2]\n{\n}");
  EXPECT_EQ(l.kinds(),
            (std::vector<K>{K::Ident, K::LParen, K::Ident, K::Comma, K::Ident,
                            K::RParen, K::LBracket, K::Int, K::Comma, K::Int,
                            K::RBracket, K::Newline, K::LBrace, K::Newline,
                            K::RBrace, K::Eof}));
}

TEST(LexerTest, StatementKeywordEndsAnUnclosedParenthesis) {
  Lexed l("let a = f(x,\nlet b = 1");
  EXPECT_EQ(l.kinds(),
            (std::vector<K>{K::KwLet, K::Ident, K::Equal, K::Ident, K::LParen,
                            K::Ident, K::Comma, K::Newline, K::KwLet, K::Ident,
                            K::Equal, K::Int, K::Eof}));
}

TEST(LexerTest, BadByteStartingALineKeepsTheBracketOpen) {
  // Only a keyword right after the blank and comment lines ends the
  // statement; a bad byte before it leaves the line inside the parenthesis.
  Lexed l("f(x,\n# c\n\x01let b");
  EXPECT_EQ(l.kinds(), (std::vector<K>{K::Ident, K::LParen, K::Ident, K::Comma,
                                       K::KwLet, K::Ident, K::Eof}));
}

TEST(LexerTest, ManyBlankLinesInsideParenthesesLexInLinearTime) {
  // Each newline inside brackets used to rescan every blank and comment
  // line after it: a million of them took many minutes, past the test
  // timeout, and now take milliseconds.
  constexpr size_t kBlankPairs = size_t(1) << 19;
  std::string source = "relu(";
  for (size_t i = 0; i < kBlankPairs; ++i)
    source += "\n# blank\n";
  source += "x)\nlet y = 1";
  Lexed l(std::move(source));
  EXPECT_EQ(l.messages(), std::vector<std::string>{});
  EXPECT_EQ(l.kinds(), (std::vector<K>{K::Ident, K::LParen, K::Ident, K::RParen,
                                       K::Newline, K::KwLet, K::Ident, K::Equal,
                                       K::Int, K::Eof}));
  EXPECT_EQ(l.tokens[2].loc.line, 2 * kBlankPairs + 1);
}

TEST(LexerTest, BadBytesAreReportedAndSkipped) {
  Lexed l(std::string("a \x01 b \xff c $ d \xc3\xa9 e"));
  EXPECT_EQ(l.messages(),
            (std::vector<std::string>{"1:3: invalid control character 0x01",
                                      "1:7: invalid UTF-8 byte 0xff",
                                      "1:11: unexpected character '$'",
                                      "1:15: unexpected character U+00E9"}));
  EXPECT_EQ(l.kinds(), (std::vector<K>{K::Ident, K::Ident, K::Ident, K::Ident,
                                       K::Ident, K::Eof}));
}

TEST(LexerTest, InvalidUtf8InCommentIsReported) {
  Lexed l(std::string("# ok é but \xc3(\nx"));
  EXPECT_EQ(l.messages(),
            (std::vector<std::string>{"1:13: invalid UTF-8 byte 0xc3"}));
  EXPECT_EQ(l.kinds(), (std::vector<K>{K::Newline, K::Ident, K::Eof}));
}

TEST(LexerTest, NulByteDoesNotEndTheInput) {
  Lexed l(std::string("a\0b", 3));
  EXPECT_EQ(l.messages(),
            (std::vector<std::string>{"1:2: invalid control character 0x00"}));
  EXPECT_EQ(l.kinds(), (std::vector<K>{K::Ident, K::Ident, K::Eof}));
}

TEST(LexerTest, EofIsSticky) {
  DiagnosticEngine diags("t.nn", "");
  Lexer lexer(diags.source(), &diags);
  EXPECT_EQ(lexer.next().kind, K::Eof);
  EXPECT_EQ(lexer.next().kind, K::Eof);
}

TEST(LexerTest, ALeadingByteOrderMarkIsSkipped) {
  // What editors on Windows write first; it was "unexpected character
  // U+FEFF". Columns count from the first character after it.
  Lexed l("\xEF\xBB\xBFinput x");
  EXPECT_EQ(l.messages(), std::vector<std::string>{});
  EXPECT_EQ(l.kinds(),
            (std::vector<TokenKind>{K::KwInput, K::Ident, K::Eof}));
  EXPECT_EQ(l.tokens[0].loc.col, 1u);
}

} // namespace
