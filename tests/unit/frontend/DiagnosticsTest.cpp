//===- DiagnosticsTest.cpp - Diagnostic formatting and the error cap ------===//

#include "frontend/Diagnostics.h"

#include <gtest/gtest.h>

#include <sstream>

using namespace nnc::frontend;

namespace {

std::string printed(const DiagnosticEngine &diags) {
  std::ostringstream os;
  diags.print(os);
  return os.str();
}

TEST(DiagnosticsTest, HeaderSourceLineAndCaret) {
  DiagnosticEngine diags("model.nn", "input x: f32[B, 64]\n\nlet h = x @ w3\n");
  diags.error({3, 13}, "unknown name 'w3'");
  EXPECT_EQ(printed(diags), "model.nn:3:13: error: unknown name 'w3'\n"
                            "  let h = x @ w3\n"
                            "              ^\n");
  EXPECT_EQ(diags.errorCount(), 1u);
}

TEST(DiagnosticsTest, NotesUseTheSameFormat) {
  DiagnosticEngine diags("m.nn", "abc\r\ndef");
  diags.note({2, 2}, "here");
  EXPECT_EQ(printed(diags), "m.nn:2:2: note: here\n  def\n   ^\n");
  EXPECT_FALSE(diags.hasErrors());
}

TEST(DiagnosticsTest, TabsArePreservedForAlignment) {
  DiagnosticEngine diags("m.nn", "\tlet\tx = 1");
  diags.error({1, 6}, "e");
  EXPECT_EQ(printed(diags), "m.nn:1:6: error: e\n  \tlet\tx = 1\n  \t   \t^\n");
}

TEST(DiagnosticsTest, NonPrintableBytesShowAsQuestionMarks) {
  DiagnosticEngine diags("m.nn", std::string("a\x01\xff\x1b[31m b", 10));
  diags.error({1, 10}, "e");
  EXPECT_EQ(printed(diags),
            "m.nn:1:10: error: e\n  a???[31m b\n           ^\n");
}

TEST(DiagnosticsTest, MultiByteCharactersTakeOneColumnOfCaret) {
  DiagnosticEngine diags("m.nn", "# é\nlet s = \"é\" + x");
  // "x" is byte column 16 (é is two bytes) but the 15th character.
  diags.error({2, 16}, "e");
  EXPECT_EQ(printed(diags),
            "m.nn:2:16: error: e\n  let s = \"é\" + x\n                ^\n");
}

TEST(DiagnosticsTest, CaretAfterTheEndOfTheLine) {
  DiagnosticEngine diags("m.nn", "let x = (1");
  diags.error({1, 11}, "expected ')'");
  EXPECT_EQ(printed(diags),
            "m.nn:1:11: error: expected ')'\n  let x = (1\n            ^\n");
}

TEST(DiagnosticsTest, LongLinesAreCutAroundTheColumn) {
  std::string line(300, 'a');
  line[200] = 'X';
  DiagnosticEngine diags("m.nn", line);
  diags.error({1, 201}, "e");
  std::string expectedEcho =
      "  ..." + std::string(50, 'a') + "X" + std::string(49, 'a') + "...";
  std::string expectedCaret = "  " + std::string(3 + 50, ' ') + "^";
  EXPECT_EQ(printed(diags), "m.nn:1:201: error: e\n" + expectedEcho + "\n" +
                                expectedCaret + "\n");
}

TEST(DiagnosticsTest, LongLineStartIsNotCutBeforeTheColumn) {
  std::string line(300, 'b');
  DiagnosticEngine diags("m.nn", line);
  diags.error({1, 3}, "e");
  EXPECT_EQ(printed(diags),
            "m.nn:1:3: error: e\n  " + std::string(100, 'b') + "...\n    ^\n");
}

TEST(DiagnosticsTest, NoPositionPrintsTheFileOnly) {
  DiagnosticEngine diags("m.nn", "x");
  diags.error({}, "cannot read");
  EXPECT_EQ(printed(diags), "m.nn: error: cannot read\n");
}

TEST(DiagnosticsTest, LinePastTheEndPrintsTheHeaderOnly) {
  DiagnosticEngine diags("m.nn", "x");
  diags.error({5, 1}, "stale");
  EXPECT_EQ(printed(diags), "m.nn:5:1: error: stale\n");
}

TEST(DiagnosticsTest, ErrorLimitDropsTheRestWithOneNote) {
  DiagnosticEngine diags("m.nn", "x");
  diags.setErrorLimit(2);
  diags.error({1, 1}, "one");
  diags.note({1, 1}, "kept");
  diags.error({1, 1}, "two");
  EXPECT_TRUE(diags.limitReached());
  diags.error({1, 1}, "three");
  diags.note({1, 1}, "dropped");
  diags.error({1, 1}, "four");
  EXPECT_EQ(diags.errorCount(), 2u);
  ASSERT_EQ(diags.diagnostics().size(), 4u);
  EXPECT_EQ(diags.diagnostics()[1].message, "kept");
  EXPECT_EQ(diags.diagnostics()[3].message,
            "too many errors; stopping after 2");
  EXPECT_EQ(diags.diagnostics()[3].severity, Diagnostic::Severity::Note);
}

TEST(DiagnosticsTest, PrintOneFormatsAnOutsideDiagnostic) {
  DiagnosticEngine diags("m.nn", "let y = relu(x)\n");
  std::ostringstream os;
  diags.printOne(os, {Diagnostic::Severity::Error, {1, 9}, "bad op"});
  EXPECT_EQ(os.str(), "m.nn:1:9: error: bad op\n  let y = relu(x)\n"
                      "          ^\n");
}

} // namespace
