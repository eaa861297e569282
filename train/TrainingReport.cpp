//===- TrainingReport.cpp - nnc train --report: one HTML page -------------===//

#include "train/TrainingReport.h"

#include "runtime/Counted.h"
#include "runtime/SvgPlot.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <thread>
#include <tuple>

namespace nnc::train {

namespace {

/// An SVG document as an element of the page: without its XML prolog.
std::string inlineSvg(const std::string &svg) {
  size_t start = svg.find("<svg");
  return start == std::string::npos ? svg : svg.substr(start);
}

std::string number(double value, const char *format = "{0:F4}") {
  return std::isfinite(value) ? llvm::formatv(format, value).str() : "";
}

bool anyFinite(const std::vector<double> &values) {
  for (double v : values)
    if (std::isfinite(v))
      return true;
  return false;
}

/// A chart of `series` by step, each a field of the curve's points; series
/// with no value at all are left out. `stepsAtChanges`: the learning rate,
/// which holds between its jumps, drawn as steps up or down at each
/// recorded jump rather than as a slope between curve points.
std::string curveChart(
    const TrainingState &state, const std::string &title,
    const std::string &yLabel,
    const std::vector<
        std::pair<std::string, double TrainingState::CurvePoint::*>> &fields,
    bool stepsAtChanges = false) {
  const std::vector<TrainingState::CurvePoint> &curve = state.curve;
  static const char *const kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c"};
  std::vector<rt::PlotSeries> series;
  for (size_t f = 0; f < fields.size(); ++f) {
    rt::PlotSeries s;
    s.name = fields[f].first;
    s.color = kColors[f % 3];
    size_t change = 0;
    for (const TrainingState::CurvePoint &point : curve) {
      for (; stepsAtChanges && change < state.lrChanges.size() &&
             state.lrChanges[change].step <= point.step;
           ++change) {
        const TrainingState::LrChange &jump = state.lrChanges[change];
        if (!s.x.empty() && jump.step <= s.x.back())
          continue;
        for (double value : {jump.from, jump.to}) {
          s.x.push_back(static_cast<double>(jump.step));
          s.values.push_back(value);
        }
      }
      s.x.push_back(static_cast<double>(point.step));
      s.values.push_back(point.*fields[f].second);
    }
    if (anyFinite(s.values))
      series.push_back(std::move(s));
  }
  if (series.empty())
    return "";
  rt::PlotOptions options;
  options.title = title;
  options.xLabel = "step";
  options.yLabel = yLabel;
  // Learning-rate changes are marked where they fall among the points.
  for (const TrainingState::LrChange &change : state.lrChanges)
    options.markers.push_back(
        {static_cast<double>(change.step),
         "lr " + shortNumber(change.from) + " to " + shortNumber(change.to)});
  return "<figure>" + inlineSvg(rt::renderLineChart(series, options)) +
         "</figure>\n";
}

std::string profileTable(const rt::GraphProfile &profile) {
  std::string html =
      "<p>" +
      llvm::formatv("{0} on {1}: {2:F3} ms a step, {3:F3} ms "
                    "of it on the critical path, {4:F1}% of thread time "
                    "idle, {5:F3} ms with no kernel running.",
                    rt::counted(profile.steps, "step"),
                    rt::counted(profile.threads, "thread"),
                    profile.stepUs / 1000, profile.criticalPathUs / 1000,
                    profile.idlePercent, profile.overheadUs / 1000)
          .str() +
      (profile.peakGflops > 0
           ? llvm::formatv(" % of peak: of the fp32 FMA peak measured now, "
                           "{0:F1} GFLOP/s on {1}.",
                           profile.peakGflops,
                           rt::counted(profile.threads, "thread"))
                 .str()
           : std::string()) +
      "</p>\n<table class=\"profile\">\n<tr><th>kernel</th><th>calls</th>"
      "<th>total ms</th><th>mean us</th><th>%</th><th>GFLOP/s</th>"
      "<th>% of peak</th><th>bytes</th><th>source</th><th>ops</th>"
      "<th>backend</th></tr>\n";
  for (const rt::KernelProfileRow &row : profile.rows)
    html += "<tr><td>" + std::to_string(row.kernel) + "</td><td>" +
            std::to_string(row.calls) + "</td><td>" +
            number(row.totalMs, "{0:F3}") + "</td><td>" +
            number(row.meanUs, "{0:F1}") + "</td><td>" +
            number(row.sharePercent, "{0:F1}") + "</td><td>" +
            number(row.gflops, "{0:F2}") + "</td><td>" +
            (profile.peakGflops > 0 && row.flops > 0
                 ? number(100 * row.gflops / profile.peakGflops, "{0:F0}")
                 : std::string()) +
            "</td><td>" + std::to_string(row.bytes) + "</td><td>" +
            rt::escapeXml(row.location) + "</td><td>" + rt::escapeXml(row.ops) +
            "</td><td>" + rt::escapeXml(row.backendSummary) + "</td></tr>\n";
  return html + "</table>\n";
}

} // namespace

std::string describeMachine() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, model = "an unknown CPU";
  while (std::getline(cpuinfo, line))
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      if (colon != std::string::npos)
        model = line.substr(line.find_first_not_of(' ', colon + 1));
      break;
    }
  return model + ", " + std::to_string(std::thread::hardware_concurrency()) +
         " logical cores";
}

rt::Expected<std::string> renderDot(const std::string &dot) {
  llvm::ErrorOr<std::string> program = llvm::sys::findProgramByName("dot");
  if (!program)
    return rt::Error::failure("Graphviz's dot is not installed");
  llvm::SmallString<128> input, output;
  if (llvm::sys::fs::createTemporaryFile("nnc-graph", "dot", input) ||
      llvm::sys::fs::createTemporaryFile("nnc-graph", "svg", output))
    return rt::Error::failure("no temporary file for Graphviz's dot");
  {
    std::ofstream file(input.c_str(), std::ios::binary);
    file << dot;
  }
  std::optional<llvm::StringRef> redirects[] = {
      llvm::StringRef(input), llvm::StringRef(output), llvm::StringRef("")};
  std::string message;
  bool failed = false;
  int status = llvm::sys::ExecuteAndWait(*program, {*program, "-Tsvg"},
                                         std::nullopt, redirects, kDotSeconds,
                                         /*MemoryLimit=*/0, &message, &failed);
  rt::Expected<std::string> svg = rt::Error::failure(
      status == -2
          ? "Graphviz's dot took over " + std::to_string(kDotSeconds) + " s"
      : failed || status < 0
          ? "Graphviz's dot could not run" +
                (message.empty() ? std::string() : ": " + message)
          : "Graphviz's dot failed (exit " + std::to_string(status) + ")");
  if (status == 0)
    if (auto buffer = llvm::MemoryBuffer::getFile(output))
      svg = (*buffer)->getBuffer().str();
  llvm::sys::fs::remove(input);
  llvm::sys::fs::remove(output);
  return svg;
}

std::string renderTrainingReport(const ReportHeader &header,
                                 const TrainingState &state,
                                 const rt::GraphProfile *profile,
                                 ReportStatus status,
                                 const std::string &failure) {
  std::string title = "nnc train: " + header.model;
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                     "<meta charset=\"utf-8\">\n";
  if (status == ReportStatus::Training)
    html += "<meta http-equiv=\"refresh\" content=\"5\">\n";
  html += "<title>" + rt::escapeXml(title) +
          "</title>\n<style>\n"
          "body { font-family: sans-serif; margin: 2em; max-width: 70em; }\n"
          "table { border-collapse: collapse; margin: 1em 0; }\n"
          "td, th { border: 1px solid #ccc; padding: 0.2em 0.6em; "
          "text-align: left; }\n"
          "table.profile td:nth-child(-n+7) { text-align: right; }\n"
          "figure { margin: 1em 0; }\n"
          ".graph { overflow: auto; max-height: 60em; border: 1px solid "
          "#ccc; }\n"
          "</style>\n</head>\n<body>\n";
  std::string standing = status == ReportStatus::Finished  ? "Finished"
                         : status == ReportStatus::Stopped ? "Stopped"
                         : status == ReportStatus::Failed
                             ? "Failed"
                             : "Training (this page reloads)";
  html += "<h1>" + rt::escapeXml(title) + "</h1>\n<p class=\"status\">" +
          standing + " after " + rt::counted(state.stepCount, "step") + ", " +
          rt::counted(state.historyStartEpoch +
                          static_cast<int64_t>(state.trainLoss.size()),
                      "epoch") +
          (failure.empty() ? "." : ": " + rt::escapeXml(failure)) + "</p>\n";

  html += "<h2>Run</h2>\n<table class=\"settings\">\n";
  std::vector<std::pair<std::string, std::string>> rows = header.settings;
  rows.emplace_back("machine", describeMachine());
  rows.emplace_back("parameters", std::to_string(header.parameterCount));
  rows.emplace_back("frozen", header.frozen.empty()
                                  ? std::string("none")
                                  : llvm::join(header.frozen, ", "));
  for (const auto &[name, value] : rows)
    html += "<tr><th>" + rt::escapeXml(name) + "</th><td>" +
            rt::escapeXml(value) + "</td></tr>\n";
  html += "</table>\n";

  html += "<h2>Curves</h2>\n";
  if (!state.curve.empty()) {
    using P = TrainingState::CurvePoint;
    html += curveChart(state, "loss by step", "loss",
                       {{"train", &P::trainLoss}, {"eval", &P::evalLoss}});
    html +=
        curveChart(state, "accuracy by step", "accuracy",
                   {{"train", &P::trainAccuracy}, {"eval", &P::evalAccuracy}});
    html += curveChart(state, "learning rate by step", "learning rate",
                       {{"lr", &P::lr}}, /*stepsAtChanges=*/true);
  } else {
    html += header.evalEvery > 0
                ? "<p>No curve point yet: the next is at step " +
                      std::to_string((state.stepCount / header.evalEvery + 1) *
                                     header.evalEvery) +
                      ".</p>\n"
                : std::string("<p>No curve by step: pass --eval-every "
                              "N.</p>\n");
  }
  rt::PlotOptions byEpoch;
  byEpoch.firstX = static_cast<double>(state.historyStartEpoch + 1);
  if (!state.trainLoss.empty())
    html +=
        "<figure>" +
        inlineSvg(rt::renderLossChart(
            state.trainLoss,
            anyFinite(state.evalLoss) ? state.evalLoss : std::vector<double>(),
            byEpoch)) +
        "</figure>\n";
  if (anyFinite(state.trainAccuracy) || anyFinite(state.evalAccuracy)) {
    std::vector<rt::PlotSeries> accuracy;
    for (auto [name, color, values] :
         {std::tuple{"train", "#1f77b4", &state.trainAccuracy},
          std::tuple{"eval", "#ff7f0e", &state.evalAccuracy}})
      if (anyFinite(*values))
        accuracy.push_back({name, color, *values, {}});
    rt::PlotOptions options = byEpoch;
    options.title = "accuracy per epoch";
    options.yLabel = "accuracy";
    html += "<figure>" + inlineSvg(rt::renderLineChart(accuracy, options)) +
            "</figure>\n";
  }
  auto cell = [](const std::vector<double> &values, size_t e) {
    return "<td>" + (e < values.size() ? number(values[e]) : "") + "</td>";
  };
  html += "<table class=\"epochs\">\n<tr><th>epoch</th><th>train loss</th>"
          "<th>eval loss</th><th>train accuracy</th><th>eval accuracy</th>"
          "</tr>\n";
  for (size_t e = 0; e < state.trainLoss.size(); ++e)
    html +=
        "<tr><td>" +
        std::to_string(state.historyStartEpoch + static_cast<int64_t>(e) + 1) +
        "</td>" + cell(state.trainLoss, e) + cell(state.evalLoss, e) +
        cell(state.trainAccuracy, e) + cell(state.evalAccuracy, e) + "</tr>\n";
  html += "</table>\n";

  html += "<h2>Kernel profile of " + rt::escapeXml(header.profiled) + "</h2>\n";
  html += profile ? profileTable(*profile)
                  : std::string("<p>Not measured yet.</p>\n");

  html += "<h2>Graph (forward pass; boxes are fused kernels)</h2>\n";
  if (!header.graphSvg.empty())
    html += "<div class=\"graph\">" + inlineSvg(header.graphSvg) + "</div>\n";
  else
    html +=
        "<pre class=\"graph\">" + rt::escapeXml(header.graphText) + "</pre>\n";
  return html + "</body>\n</html>\n";
}

std::string shortNumber(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

} // namespace nnc::train
