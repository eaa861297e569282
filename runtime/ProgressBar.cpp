//===- ProgressBar.cpp - Per-epoch training progress ----------------------===//

#include "runtime/ProgressBar.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include <unistd.h>

namespace nnc::rt {

namespace {

std::string printf1(const char *format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

std::string twoUnits(long long high, const char *highUnit, long long low,
                     const char *lowUnit) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%lld%s%02lld%s", high, highUnit, low,
                lowUnit);
  return buffer;
}

} // namespace

std::string formatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0)
    return "?";
  if (seconds < 0.995)
    return printf1("%.2fs", seconds);
  long long total = std::llround(seconds);
  if (total < 60)
    return std::to_string(total) + "s";
  if (total < 3600)
    return twoUnits(total / 60, "m", total % 60, "s");
  long long minutes = std::llround(seconds / 60);
  if (minutes < 24 * 60)
    return twoUnits(minutes / 60, "h", minutes % 60, "m");
  long long hours = std::llround(seconds / 3600);
  return twoUnits(hours / 24, "d", hours % 24, "h");
}

std::string formatRate(double perSecond) {
  if (!std::isfinite(perSecond) || perSecond < 0)
    return "?";
  if (perSecond < 999.5)
    return printf1("%.3g", perSecond);
  int exponent = static_cast<int>(std::floor(std::log10(perSecond)));
  double mantissa = std::round(perSecond / std::pow(10.0, exponent) * 10) / 10;
  if (mantissa >= 10) {
    mantissa /= 10;
    ++exponent;
  }
  return printf1("%.1f", mantissa) + "e" + std::to_string(exponent);
}

bool isTerminal(int fd) { return ::isatty(fd) == 1; }

ProgressBar::ProgressBar(std::ostream &out, ProgressOptions options)
    : out(out), options(std::move(options)) {}

double ProgressBar::now() const {
  if (options.clock)
    return options.clock();
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void ProgressBar::startEpoch(int64_t epochNumber, int64_t epochCount,
                             int64_t totalSamples, int64_t alreadyDone) {
  epoch = epochNumber;
  numEpochs = epochCount;
  total = totalSamples;
  done = doneBefore = alreadyDone;
  batches = 0;
  metrics = {};
  startTime = lastUpdate = now();
  lastDraw = -1e300;
  lastLength = 0;
}

std::string ProgressBar::statusLine(bool withBar) const {
  std::string line =
      "epoch " + std::to_string(epoch) + "/" + std::to_string(numEpochs);
  if (withBar && total > 0 && options.barWidth > 0) {
    int64_t width = options.barWidth;
    int64_t filled = std::min(width, done * width / total);
    line += " [";
    line.append(static_cast<size_t>(filled), '=');
    if (filled < width) {
      line += '>';
      line.append(static_cast<size_t>(width - filled - 1), ' ');
    }
    line += ']';
  }
  line += " " + std::to_string(done);
  if (total > 0)
    line += "/" + std::to_string(total);
  if (metrics.loss)
    line += " loss " + printf1("%.4f", *metrics.loss);
  if (metrics.accuracy)
    line += " acc " + printf1("%.3f", *metrics.accuracy);
  double elapsed = now() - startTime;
  if (elapsed > 0 && done > doneBefore) {
    double rate = static_cast<double>(done - doneBefore) / elapsed;
    line += " " + formatRate(rate) + " samples/s";
    if (total > 0 && done < total)
      line +=
          " ETA " + formatDuration(static_cast<double>(total - done) / rate);
  }
  return line;
}

void ProgressBar::draw(const std::string &line) {
  // Spaces over what is left of a longer previous line.
  std::string padded = line;
  if (padded.size() < lastLength)
    padded.append(lastLength - padded.size(), ' ');
  out << '\r' << padded << std::flush;
  lastLength = line.size();
}

void ProgressBar::update(int64_t samplesDone, const ProgressMetrics &current) {
  done = samplesDone;
  metrics = current;
  ++batches;
  lastUpdate = now();
  if (options.terminal) {
    double time = now();
    bool last = total > 0 && done >= total;
    if (!last && time - lastDraw < options.minRedrawSeconds)
      return;
    lastDraw = time;
    draw(statusLine(true));
    return;
  }
  if (options.linesEveryBatches > 0 && batches % options.linesEveryBatches == 0)
    out << statusLine(false) << '\n' << std::flush;
}

void ProgressBar::endLine() {
  if (!options.terminal || lastLength == 0)
    return;
  out << '\n' << std::flush;
  lastLength = 0;
}

void ProgressBar::note(const std::string &line) {
  if (options.terminal) {
    draw(line);
    lastLength = 0;
    lastDraw = -1e300;
  } else {
    out << line;
  }
  out << '\n' << std::flush;
}

void ProgressBar::finishEpoch(const ProgressMetrics &train,
                              const std::optional<ProgressMetrics> &eval) {
  metrics = train;
  double elapsed = lastUpdate - startTime;
  std::string line = "epoch " + std::to_string(epoch) + "/" +
                     std::to_string(numEpochs) + " done " +
                     std::to_string(done) + " samples in " +
                     formatDuration(elapsed);
  if (train.loss)
    line += " loss " + printf1("%.4f", *train.loss);
  if (train.accuracy)
    line += " acc " + printf1("%.3f", *train.accuracy);
  if (eval && eval->loss)
    line += " val_loss " + printf1("%.4f", *eval->loss);
  if (eval && eval->accuracy)
    line += " val_acc " + printf1("%.3f", *eval->accuracy);
  if (elapsed > 0 && done > doneBefore)
    line += " " + formatRate(static_cast<double>(done - doneBefore) / elapsed) +
            " samples/s";
  if (options.terminal)
    draw(line);
  else
    out << line;
  out << '\n' << std::flush;
  lastLength = 0;
}

} // namespace nnc::rt
