//===- ProgressBarTest.cpp - Progress lines, durations and rates ----------===//

#include "runtime/ProgressBar.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

using namespace nnc::rt;

TEST(ProgressBarTest, FormatDuration) {
  EXPECT_EQ(formatDuration(0), "0.00s");
  EXPECT_EQ(formatDuration(0.25), "0.25s");
  EXPECT_EQ(formatDuration(0.999), "1s");
  EXPECT_EQ(formatDuration(3.4), "3s");
  EXPECT_EQ(formatDuration(59.6), "1m00s");
  EXPECT_EQ(formatDuration(187), "3m07s");
  EXPECT_EQ(formatDuration(3600 * 2 + 5 * 60 + 10), "2h05m");
  EXPECT_EQ(formatDuration(86400 * 3 + 3600 * 4), "3d04h");
  EXPECT_EQ(formatDuration(-1), "?");
  EXPECT_EQ(formatDuration(NAN), "?");
  EXPECT_EQ(formatDuration(INFINITY), "?");
}

TEST(ProgressBarTest, FormatRate) {
  EXPECT_EQ(formatRate(0.5), "0.5");
  EXPECT_EQ(formatRate(95.34), "95.3");
  EXPECT_EQ(formatRate(950), "950");
  EXPECT_EQ(formatRate(999.6), "1.0e3");
  EXPECT_EQ(formatRate(12000), "1.2e4");
  EXPECT_EQ(formatRate(99600), "1.0e5");
  EXPECT_EQ(formatRate(-3), "?");
  EXPECT_EQ(formatRate(INFINITY), "?");
}

namespace {

/// A clock the test moves by hand.
struct FakeClock {
  double now = 100;
  std::function<double()> function() {
    return [this] { return now; };
  }
};

} // namespace

TEST(ProgressBarTest, TerminalRedrawsOneLine) {
  std::ostringstream out;
  FakeClock clock;
  ProgressOptions options;
  options.terminal = true;
  options.barWidth = 10;
  options.clock = clock.function();
  ProgressBar bar(out, options);
  bar.startEpoch(3, 10, 1438);
  clock.now += 512.0 / 12000;
  bar.update(512, {0.4321, 0.912});
  EXPECT_EQ(out.str(), "\repoch 3/10 [===>      ] 512/1438 loss 0.4321 acc "
                       "0.912 1.2e4 samples/s ETA 0.08s");
  // Too soon after the last redraw: nothing drawn.
  clock.now += 0.01;
  bar.update(600, {0.4, 0.9});
  EXPECT_EQ(out.str().find("600/"), std::string::npos);

  out.str("");
  clock.now = 100 + 1438.0 / 1000;
  bar.update(1438, {0.3, std::nullopt});
  // Spaces erase the rest of the longer previous line.
  std::string last = "\repoch 3/10 [==========] 1438/1438 loss 0.3000 1.0e3 "
                     "samples/s";
  ASSERT_EQ(out.str().substr(0, last.size()), last);
  EXPECT_EQ(out.str().find_first_not_of(' ', last.size()), std::string::npos);
  EXPECT_GT(out.str().size(), last.size());
  out.str("");
  bar.finishEpoch({0.3, 0.95}, ProgressMetrics{0.35, 0.93});
  // Longer than the bar line: no padding; then a newline.
  std::string expected = "\repoch 3/10 done 1438 samples in 1s loss 0.3000 "
                         "acc 0.950 val_loss 0.3500 val_acc 0.930 1.0e3 "
                         "samples/s\n";
  EXPECT_EQ(out.str(), expected);
}

TEST(ProgressBarTest, EndLineClosesABarLeftOpen) {
  std::ostringstream out;
  FakeClock clock;
  ProgressOptions options;
  options.terminal = true;
  options.clock = clock.function();
  ProgressBar bar(out, options);
  bar.startEpoch(1, 1, 100);
  clock.now += 1;
  bar.update(50, {0.5, std::nullopt});
  ASSERT_NE(out.str().back(), '\n');
  // A run stopped mid-epoch: what is printed next needs a line of its own.
  bar.endLine();
  EXPECT_EQ(out.str().back(), '\n');
  // Once: a closed line is not closed again.
  std::string closed = out.str();
  bar.endLine();
  EXPECT_EQ(out.str(), closed);
}

TEST(ProgressBarTest, NotesGetLinesOfTheirOwn) {
  std::ostringstream out;
  FakeClock clock;
  ProgressOptions options;
  options.terminal = true;
  options.barWidth = 10;
  options.clock = clock.function();
  ProgressBar bar(out, options);
  bar.startEpoch(1, 1, 100);
  clock.now += 1;
  bar.update(50, {0.5, std::nullopt});
  out.str("");
  // The note replaces the bar (padded over it) and ends its line; the next
  // update draws the bar again at once, however soon.
  bar.note("step 5: train loss 0.5000");
  std::string note = "\rstep 5: train loss 0.5000";
  ASSERT_EQ(out.str().substr(0, note.size()), note);
  EXPECT_EQ(out.str().back(), '\n');
  out.str("");
  clock.now += 0.01;
  bar.update(60, {0.4, std::nullopt});
  EXPECT_NE(out.str().find("60/100"), std::string::npos) << out.str();

  std::ostringstream plain;
  ProgressBar lines(plain, ProgressOptions{});
  lines.note("step 5: train loss 0.5000");
  EXPECT_EQ(plain.str(), "step 5: train loss 0.5000\n");
}

TEST(ProgressBarTest, PlainLinesEveryNBatches) {
  std::ostringstream out;
  FakeClock clock;
  ProgressOptions options;
  options.linesEveryBatches = 2;
  options.clock = clock.function();
  ProgressBar bar(out, options);
  bar.startEpoch(1, 2, 100);
  for (int batch = 1; batch <= 4; ++batch) {
    clock.now += 1;
    bar.update(25 * batch, {1.0 / batch, std::nullopt});
  }
  bar.finishEpoch({0.25, std::nullopt});
  EXPECT_EQ(out.str(), "epoch 1/2 50/100 loss 0.5000 25 samples/s ETA 2s\n"
                       "epoch 1/2 100/100 loss 0.2500 25 samples/s\n"
                       "epoch 1/2 done 100 samples in 4s loss 0.2500 25 "
                       "samples/s\n");
  EXPECT_EQ(out.str().find('\r'), std::string::npos);

  // Unknown total: no bar, no ETA.
  out.str("");
  bar.startEpoch(2, 2, 0);
  clock.now += 2;
  bar.update(10, {});
  bar.update(20, {});
  EXPECT_EQ(out.str(), "epoch 2/2 20 10 samples/s\n");
  EXPECT_EQ(bar.statusLine(true), "epoch 2/2 20 10 samples/s");
}

TEST(ProgressBarTest, ARateCountsOnlyWhatThisRunTrains) {
  std::ostringstream out;
  FakeClock clock;
  ProgressOptions options;
  options.linesEveryBatches = 1;
  options.clock = clock.function();
  ProgressBar bar(out, options);
  // Resumed at sample 60 of 100: 20 samples in 2 s is 10 samples/s, and
  // 20 left take 2 s more.
  bar.startEpoch(1, 1, 100, /*alreadyDone=*/60);
  clock.now += 2;
  bar.update(80, {});
  EXPECT_EQ(bar.statusLine(false), "epoch 1/1 80/100 10 samples/s ETA 2s");
  clock.now += 2;
  bar.update(100, {});
  // An evaluation after the last step is not training time.
  clock.now += 100;
  out.str("");
  bar.finishEpoch({0.5, std::nullopt}, ProgressMetrics{0.75, std::nullopt});
  EXPECT_EQ(out.str(), "epoch 1/1 done 100 samples in 4s loss 0.5000 "
                       "val_loss 0.7500 10 samples/s\n");
}
