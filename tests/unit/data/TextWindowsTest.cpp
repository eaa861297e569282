//===- TextWindowsTest.cpp - Byte windows of a text -----------------------===//

#include "runtime/TextWindows.h"

#include <gtest/gtest.h>

using namespace nnc::rt;

namespace {

TEST(TextWindowsTest, TargetsAreTheIdsShiftedByOneByte) {
  // 8 bytes, context 3, stride 2: windows of 4 bytes start at 0, 2 and 4;
  // one at 6 would run past the end.
  Expected<TextWindows> windows =
      textWindows("abcdefgh", "t.txt", 3, 2, DType::I32);
  ASSERT_TRUE(windows) << windows.message();
  ASSERT_EQ(windows->ids.shape(), (Shape{3, 3}));
  ASSERT_EQ(windows->targets.shape(), (Shape{3, 3}));
  const char *ids = "abccdeefg";
  const char *targets = "bcddeffgh";
  for (int i = 0; i < 9; ++i) {
    EXPECT_EQ(windows->ids.data<int32_t>()[i], ids[i]) << i;
    EXPECT_EQ(windows->targets.data<int32_t>()[i], targets[i]) << i;
  }
}

TEST(TextWindowsTest, OneWindowExactly) {
  Expected<TextWindows> windows =
      textWindows("abcd", "t.txt", 3, 3, DType::I32);
  ASSERT_TRUE(windows) << windows.message();
  EXPECT_EQ(windows->ids.shape(), (Shape{1, 3}));
}

TEST(TextWindowsTest, BytesAboveSevenBitsAreNotSignExtended) {
  std::string text = "\xff\x80\x01";
  Expected<TextWindows> windows = textWindows(text, "t.txt", 2, 1, DType::I64);
  ASSERT_TRUE(windows) << windows.message();
  ASSERT_EQ(windows->ids.shape(), (Shape{1, 2}));
  EXPECT_EQ(windows->ids.data<int64_t>()[0], 255);
  EXPECT_EQ(windows->ids.data<int64_t>()[1], 128);
  EXPECT_EQ(windows->targets.data<int64_t>()[1], 1);
}

TEST(TextWindowsTest, ATextShorterThanOneWindowIsAnError) {
  Expected<TextWindows> windows =
      textWindows("short", "tiny.txt", 64, 32, DType::I32);
  ASSERT_FALSE(windows);
  EXPECT_EQ(windows.message(),
            "tiny.txt: 5 bytes of text, fewer than one window of 65 (the "
            "context of 64 and the byte after it)");
}

TEST(TextWindowsTest, FloatIdsAreRefused) {
  Expected<TextWindows> windows =
      textWindows("abcdef", "t.txt", 2, 1, DType::F32);
  ASSERT_FALSE(windows);
  EXPECT_NE(windows.message().find("i32 or i64"), std::string::npos);
}

TEST(TextWindowsTest, AMissingFileNamesIt) {
  Expected<TextWindows> windows =
      loadTextWindows("/nonexistent/corpus.txt", 8, 4, DType::I32);
  ASSERT_FALSE(windows);
  EXPECT_NE(windows.message().find("/nonexistent/corpus.txt"),
            std::string::npos);
}

} // namespace
