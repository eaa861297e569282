//===- ShortTextTest.cpp - Messages cut to a length and kept to a line ----===//

#include "support/ShortText.h"

#include <gtest/gtest.h>

#include <string>

using namespace nnc;

TEST(ShortTextTest, ALongTextIsCutAtACharacterBoundary) {
  EXPECT_EQ(shortened("abc", 3), "abc");
  EXPECT_EQ(shortened("abcd", 3), "abc...");
  // "é" is two bytes; a cut inside it goes back to its start.
  EXPECT_EQ(shortened("ab\xc3\xa9z", 3), "ab...");
}

TEST(ShortTextTest, ControlCharactersAreWrittenAsEscapes) {
  // A string from a damaged file: a newline, a NUL, an escape and DEL
  // would break the line or the terminal; UTF-8 text stays as it is.
  std::string damaged("a\nb", 3);
  damaged += std::string(1, '\0') + "\x1b[2J\x7f" + "\xc3\xa9";
  EXPECT_EQ(oneLine(damaged), "a\\x0ab\\x00\\x1b[2J\\x7f\xc3\xa9");
  EXPECT_EQ(oneLine("plain text"), "plain text");
}
