//===- SvgPlot.cpp - SVG line charts of training curves -------------------===//

#include "runtime/SvgPlot.h"

#include "runtime/FileIO.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace nnc::rt {

namespace {

/// Locale-independent number text (printf would follow LC_NUMERIC and
/// could write "1,5" into the SVG).
std::string fixed2(double value) {
  char buffer[64];
  auto [end, status] = std::to_chars(buffer, buffer + sizeof(buffer), value,
                                     std::chars_format::fixed, 2);
  return status == std::errc() ? std::string(buffer, end) : "0";
}

std::string tickLabel(double value) {
  char buffer[64];
  auto [end, status] = std::to_chars(buffer, buffer + sizeof(buffer), value,
                                     std::chars_format::general, 6);
  return status == std::errc() ? std::string(buffer, end) : "?";
}

/// 1, 2 or 5 times a power of ten, near `rough`.
double niceStep(double rough) {
  double magnitude = std::pow(10.0, std::floor(std::log10(rough)));
  double fraction = rough / magnitude;
  double nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  return nice * magnitude;
}

std::vector<double> ticksWithStep(double low, double high, double step) {
  std::vector<double> ticks;
  double first = std::floor(low / step);
  double last = std::ceil(high / step);
  for (double i = first; i <= last + 0.5 && ticks.size() < 1000; i += 1) {
    double tick = i * step;
    // Products like 3 * 0.1 leave 0.30000000000000004; -0 becomes 0.
    if (std::fabs(tick) < step * 1e-9)
      tick = 0;
    ticks.push_back(tick);
  }
  return ticks;
}

} // namespace

std::string escapeXml(const std::string &text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&apos;";
      break;
    default:
      // Control characters other than tab and newline are not XML.
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n')
        out += ' ';
      else
        out += c;
    }
  }
  return out;
}

std::vector<double> niceTicks(double low, double high, int targetCount) {
  if (!std::isfinite(low) || !std::isfinite(high))
    low = 0, high = 1;
  if (low > high)
    std::swap(low, high);
  if (high - low <= std::fabs(high) * 1e-12) {
    double pad = low == 0 ? 1 : std::fabs(low) * 0.1;
    low -= pad;
    high += pad;
  }
  int intervals = std::max(1, targetCount - 1);
  return ticksWithStep(low, high, niceStep((high - low) / intervals));
}

std::string renderLineChart(const std::vector<PlotSeries> &series,
                            const PlotOptions &options) {
  const double width = std::max(options.width, 200);
  const double height = std::max(options.height, 150);
  const double left = 70, right = 130, top = 40, bottom = 55;
  const double plotW = width - left - right, plotH = height - top - bottom;

  // Where value i of a series lies on the x axis.
  auto xOf = [&](const PlotSeries &s, size_t i) {
    return i < s.x.size() ? s.x[i] : options.firstX + static_cast<double>(i);
  };
  size_t epochs = 1;
  bool explicitX = false;
  double xLow = INFINITY, xHigh = -INFINITY;
  double yLow = INFINITY, yHigh = -INFINITY;
  for (const PlotMarker &marker : options.markers) {
    xLow = std::min(xLow, marker.x);
    xHigh = std::max(xHigh, marker.x);
  }
  for (const PlotSeries &s : series) {
    epochs = std::max(epochs, s.values.size());
    explicitX = explicitX || !s.x.empty();
    for (size_t i = 0; i < s.values.size(); ++i) {
      xLow = std::min(xLow, xOf(s, i));
      xHigh = std::max(xHigh, xOf(s, i));
      double v = s.values[i];
      if (std::isfinite(v)) {
        yLow = std::min(yLow, v);
        yHigh = std::max(yHigh, v);
      }
    }
  }
  if (!std::isfinite(yLow))
    yLow = 0, yHigh = 1;
  std::vector<double> yTicks = niceTicks(yLow, yHigh);
  double yMin = yTicks.front(), yMax = yTicks.back();
  double xMin, xMax;
  std::vector<double> xTicks;
  if (explicitX && std::isfinite(xLow)) {
    xTicks = niceTicks(xLow, xHigh, 8);
    xMin = xTicks.front();
    xMax = xTicks.back();
  } else {
    // Epochs are whole numbers: ticks at least 1 apart.
    double xStep = std::max(1.0, niceStep(std::max(1.0, epochs - 1.0) / 8));
    xMin = options.firstX;
    xMax = std::max(xMin + 1, xMin + static_cast<double>(epochs) - 1);
    // Counted as integers: at x beyond 2^53, x + step is x again.
    int64_t ticks = static_cast<int64_t>((xMax - xMin) / xStep + 1e-9) + 1;
    for (int64_t i = 0; i < std::min<int64_t>(ticks, 64); ++i)
      xTicks.push_back(xMin + static_cast<double>(i) * xStep);
  }

  auto px = [&](double x) { return left + (x - xMin) / (xMax - xMin) * plotW; };
  auto py = [&](double y) {
    return top + plotH - (y - yMin) / (yMax - yMin) * plotH;
  };

  std::string svg;
  svg += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fixed2(width) +
         "\" height=\"" + fixed2(height) + "\" viewBox=\"0 0 " + fixed2(width) +
         " " + fixed2(height) +
         "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "  <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "  <text class=\"title\" x=\"" + fixed2(left + plotW / 2) +
         "\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">" +
         escapeXml(options.title) + "</text>\n";

  // Grid, ticks and tick labels.
  svg += "  <g class=\"y-axis\" stroke=\"#ddd\">\n";
  for (double tick : yTicks) {
    std::string y = fixed2(py(tick));
    svg += "    <line x1=\"" + fixed2(left) + "\" y1=\"" + y + "\" x2=\"" +
           fixed2(left + plotW) + "\" y2=\"" + y + "\"/>\n";
    svg += "    <text x=\"" + fixed2(left - 6) + "\" y=\"" + y +
           "\" stroke=\"none\" fill=\"black\" text-anchor=\"end\" "
           "dominant-baseline=\"middle\">" +
           tickLabel(tick) + "</text>\n";
  }
  svg += "  </g>\n  <g class=\"x-axis\" stroke=\"black\">\n";
  for (double tick : xTicks) {
    std::string x = fixed2(px(tick));
    svg += "    <line x1=\"" + x + "\" y1=\"" + fixed2(top + plotH) +
           "\" x2=\"" + x + "\" y2=\"" + fixed2(top + plotH + 5) + "\"/>\n";
    svg += "    <text x=\"" + x + "\" y=\"" + fixed2(top + plotH + 18) +
           "\" stroke=\"none\" text-anchor=\"middle\">" + tickLabel(tick) +
           "</text>\n";
  }
  svg += "  </g>\n";

  // Axes and their labels.
  svg += "  <path class=\"axes\" d=\"M" + fixed2(left) + " " + fixed2(top) +
         " V" + fixed2(top + plotH) + " H" + fixed2(left + plotW) +
         "\" fill=\"none\" stroke=\"black\"/>\n";
  svg += "  <text class=\"x-label\" x=\"" + fixed2(left + plotW / 2) +
         "\" y=\"" + fixed2(height - 12) + "\" text-anchor=\"middle\">" +
         escapeXml(options.xLabel) + "</text>\n";
  svg += "  <text class=\"y-label\" transform=\"translate(18 " +
         fixed2(top + plotH / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
         escapeXml(options.yLabel) + "</text>\n";

  // Markers under the series: a dashed line across the plot, labelled at
  // its top.
  if (!options.markers.empty()) {
    svg += "  <g class=\"markers\" stroke=\"#888\">\n";
    for (const PlotMarker &marker : options.markers) {
      std::string x = fixed2(px(marker.x));
      svg += "    <line class=\"marker\" data-x=\"" + tickLabel(marker.x) +
             "\" x1=\"" + x + "\" y1=\"" + fixed2(top) + "\" x2=\"" + x +
             "\" y2=\"" + fixed2(top + plotH) +
             "\" stroke-dasharray=\"4 3\"/>\n";
      svg += "    <text x=\"" + fixed2(px(marker.x) + 3) + "\" y=\"" +
             fixed2(top + 10) +
             "\" stroke=\"none\" fill=\"#555\" "
             "font-size=\"10\">" +
             escapeXml(marker.label) + "</text>\n";
    }
    svg += "  </g>\n";
  }

  // Series: polylines broken at gaps, with a marker per point.
  for (const PlotSeries &s : series) {
    std::string color = escapeXml(s.color.empty() ? "black" : s.color);
    svg += "  <g class=\"series\" stroke=\"" + color + "\" fill=\"" + color +
           "\">\n";
    std::string points;
    auto flush = [&] {
      if (!points.empty())
        svg += "    <polyline fill=\"none\" stroke-width=\"2\" points=\"" +
               points + "\"/>\n";
      points.clear();
    };
    for (size_t i = 0; i < s.values.size(); ++i) {
      double v = s.values[i];
      if (!std::isfinite(v)) {
        flush();
        continue;
      }
      std::string point = fixed2(px(xOf(s, i))) + "," + fixed2(py(v));
      points += (points.empty() ? "" : " ") + point;
    }
    flush();
    for (size_t i = 0; i < s.values.size(); ++i)
      if (std::isfinite(s.values[i]))
        svg += "    <circle cx=\"" + fixed2(px(xOf(s, i))) + "\" cy=\"" +
               fixed2(py(s.values[i])) + "\" r=\"3\"/>\n";
    svg += "  </g>\n";
  }

  // Legend, right of the plot.
  svg += "  <g class=\"legend\">\n";
  for (size_t i = 0; i < series.size(); ++i) {
    double y = top + 10 + 20 * static_cast<double>(i);
    std::string color =
        escapeXml(series[i].color.empty() ? "black" : series[i].color);
    svg += "    <line x1=\"" + fixed2(left + plotW + 15) + "\" y1=\"" +
           fixed2(y) + "\" x2=\"" + fixed2(left + plotW + 40) + "\" y2=\"" +
           fixed2(y) + "\" stroke=\"" + color + "\" stroke-width=\"2\"/>\n";
    svg += "    <text x=\"" + fixed2(left + plotW + 46) + "\" y=\"" +
           fixed2(y) + "\" dominant-baseline=\"middle\">" +
           escapeXml(series[i].name) + "</text>\n";
  }
  svg += "  </g>\n</svg>\n";
  return svg;
}

std::string renderLossChart(const std::vector<double> &trainLoss,
                            const std::vector<double> &evalLoss,
                            const PlotOptions &options) {
  std::vector<PlotSeries> series;
  series.push_back({"train", "#1f77b4", trainLoss, {}});
  if (!evalLoss.empty())
    series.push_back({"eval", "#ff7f0e", evalLoss, {}});
  return renderLineChart(series, options);
}

Error writeLineChart(const std::string &path,
                     const std::vector<PlotSeries> &series,
                     const PlotOptions &options) {
  return writeFileAtomically(path, renderLineChart(series, options));
}

Error writeLossChart(const std::string &path,
                     const std::vector<double> &trainLoss,
                     const std::vector<double> &evalLoss,
                     const PlotOptions &options) {
  return writeFileAtomically(path,
                             renderLossChart(trainLoss, evalLoss, options));
}

} // namespace nnc::rt
