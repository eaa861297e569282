//===- ProgressBar.h - Per-epoch training progress --------------*- C++ -*-===//
//
// On a terminal, one line redrawn in place (carriage return, padded to
// erase the previous text):
//   epoch 3/10 [=====>    ] 512/1438 loss 0.4321 acc 0.912 1.2e4 samples/s ETA
//   3s
// Elsewhere (a log file, CI), plain lines: one every N batches and one at
// the end of each epoch, so logs stay short and readable.
//
// Output goes to an injected std::ostream and time comes from an injected
// clock, so tests check the exact text.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_PROGRESSBAR_H
#define NNC_RUNTIME_PROGRESSBAR_H

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

namespace nnc::rt {

/// A duration for humans: under a second "0.25s" (two decimals); then
/// whole seconds "42s"; from a minute "3m07s"; from an hour "2h05m"; from
/// a day "3d04h". Negative, NaN or infinite durations print as "?".
std::string formatDuration(double seconds);

/// A rate for humans: below 1000 three significant digits ("950", "95.3",
/// "0.5"), from 1000 on one decimal of scientific notation ("1.2e4"). NaN,
/// infinite or negative rates print as "?".
std::string formatRate(double perSecond);

/// Metrics shown next to the bar; absent ones are not printed.
struct ProgressMetrics {
  std::optional<double> loss;
  std::optional<double> accuracy;
};

/// How a ProgressBar draws.
struct ProgressOptions {
  /// Redraw one line in place (a terminal) or print plain lines.
  bool terminal = false;
  /// Characters between the brackets of the bar.
  int barWidth = 30;
  /// Plain mode: a line every this many batches (0: only at epoch ends).
  int64_t linesEveryBatches = 100;
  /// Terminal mode: redraw at most this often, in seconds (the last
  /// update of an epoch is always drawn).
  double minRedrawSeconds = 0.1;
  /// Seconds from any fixed origin; a steady clock when empty.
  std::function<double()> clock;
};

/// True when `fd` is a terminal (isatty), to fill ProgressOptions.terminal.
bool isTerminal(int fd);

/// Draws the progress of one epoch after another.
class ProgressBar {
public:
  ProgressBar(std::ostream &out, ProgressOptions options);

  /// Starts epoch `epoch` (1-based, as shown) of `numEpochs` over
  /// `totalSamples` samples (0 when unknown: no bar and no ETA), of which
  /// `alreadyDone` were trained before (a resumed run): the rate and the
  /// ETA count only what this process trains.
  void startEpoch(int64_t epoch, int64_t numEpochs, int64_t totalSamples,
                  int64_t alreadyDone = 0);

  /// Reports that `samplesDone` samples of this epoch are done, after
  /// another batch, with the running metrics.
  void update(int64_t samplesDone, const ProgressMetrics &metrics);

  /// Ends the epoch with its final training metrics and, when given, the
  /// evaluation metrics ("val_loss 0.51 val_acc 0.873"); ends the line.
  /// Its time and rate are the training's, up to the last update: an
  /// evaluation in between is not training throughput.
  void finishEpoch(const ProgressMetrics &train,
                   const std::optional<ProgressMetrics> &eval = std::nullopt);

  /// Prints `line` on a line of its own, between updates: in a terminal it
  /// replaces the bar, which the next update draws again below it.
  void note(const std::string &line);

  /// Ends a bar line a stopped run left open, so that what comes next (an
  /// error) starts a line of its own.
  void endLine();

  /// The text of the in-progress line for the current state (without
  /// carriage return or padding); exposed for tests.
  std::string statusLine(bool withBar) const;

private:
  double now() const;
  void draw(const std::string &line);

  std::ostream &out;
  ProgressOptions options;
  int64_t epoch = 0, numEpochs = 0, total = 0, done = 0, batches = 0;
  int64_t doneBefore = 0;
  ProgressMetrics metrics;
  double startTime = 0, lastDraw = -1e300, lastUpdate = 0;
  size_t lastLength = 0;
};

} // namespace nnc::rt

#endif // NNC_RUNTIME_PROGRESSBAR_H
