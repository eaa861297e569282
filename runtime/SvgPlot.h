//===- SvgPlot.h - SVG line charts of training curves -----------*- C++ -*-===//
//
// Renders the loss per epoch of training (and evaluation, when there is
// any) as a self-contained SVG: title, axes with "nice" ticks (1, 2 or 5
// times a power of ten), axis labels, a polyline with point markers per
// series and a legend. The output is well-formed XML (text is escaped) and
// opens in any browser.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_SVGPLOT_H
#define NNC_RUNTIME_SVGPLOT_H

#include "runtime/Status.h"

#include <string>
#include <vector>

namespace nnc::rt {

/// One line of the chart: values[i] is the value at x[i], or with no x at
/// epoch i + 1. NaN or infinite values are gaps (an epoch without
/// evaluation, a diverged run).
struct PlotSeries {
  std::string name;
  /// A CSS colour, e.g. "#1f77b4".
  std::string color;
  std::vector<double> values;
  /// Where each value lies on the x axis (a training step); empty: 1, 2, ...
  std::vector<double> x;
};

/// An event at one place on the x axis (a learning-rate change), drawn
/// as a dashed vertical line with its label.
struct PlotMarker {
  double x = 0;
  std::string label;
};

/// Text and size of the chart.
struct PlotOptions {
  std::string title = "loss per epoch";
  std::string xLabel = "epoch";
  std::string yLabel = "loss";
  int width = 640;
  int height = 400;
  /// Where the first value of a series without x lies (epoch 1, or the
  /// first epoch of a resumed run's history).
  double firstX = 1;
  std::vector<PlotMarker> markers;
};

/// `text` with &, <, >, " and ' escaped, for XML and HTML text and
/// attribute values.
std::string escapeXml(const std::string &text);

/// Steps of 1, 2 or 5 times a power of ten covering [low, high] with about
/// `targetCount` ticks; returns the tick values, first <= low and last >=
/// high. A degenerate range is widened around its value.
std::vector<double> niceTicks(double low, double high, int targetCount = 6);

/// The chart as SVG text. Series without any finite value are left out of
/// the plot area but still listed in the legend; with no finite value at
/// all, the axes span [0, 1].
std::string renderLineChart(const std::vector<PlotSeries> &series,
                            const PlotOptions &options = {});

/// The usual training chart: "train" loss and, when `evalLoss` is not
/// empty, "eval" loss.
std::string renderLossChart(const std::vector<double> &trainLoss,
                            const std::vector<double> &evalLoss,
                            const PlotOptions &options = {});

/// Writes renderLineChart(...) to `path` atomically (temporary file, fsync,
/// rename). Errors start with the path.
Error writeLineChart(const std::string &path,
                     const std::vector<PlotSeries> &series,
                     const PlotOptions &options = {});

/// Writes renderLossChart(...) to `path` atomically (temporary file,
/// fsync, rename). Errors start with the path.
Error writeLossChart(const std::string &path,
                     const std::vector<double> &trainLoss,
                     const std::vector<double> &evalLoss,
                     const PlotOptions &options = {});

} // namespace nnc::rt

#endif // NNC_RUNTIME_SVGPLOT_H
