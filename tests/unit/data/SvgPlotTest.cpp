//===- SvgPlotTest.cpp - Loss charts as SVG -------------------------------===//

#include "runtime/SvgPlot.h"

#include "TempDir.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <vector>

using namespace nnc::rt;

namespace {

size_t count(const std::string &text, const std::string &what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos;
       pos = text.find(what, pos + 1))
    ++n;
  return n;
}

/// A rough well-formedness check: tags balance as a stack, every tag is
/// closed, and no raw '&' or '<' hides in text.
bool tagsBalance(const std::string &xml, std::string &why) {
  std::vector<std::string> open;
  size_t pos = 0;
  while ((pos = xml.find('<', pos)) != std::string::npos) {
    size_t end = xml.find('>', pos);
    if (end == std::string::npos) {
      why = "unclosed tag";
      return false;
    }
    std::string tag = xml.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    if (tag[0] == '?')
      continue;
    if (tag[0] == '/') {
      std::string name = tag.substr(1);
      if (open.empty() || open.back() != name) {
        why = "mismatched </" + name + ">";
        return false;
      }
      open.pop_back();
      continue;
    }
    if (tag.back() == '/')
      continue;
    open.push_back(tag.substr(0, tag.find(' ')));
  }
  if (!open.empty()) {
    why = "unclosed <" + open.back() + ">";
    return false;
  }
  for (size_t amp = xml.find('&'); amp != std::string::npos;
       amp = xml.find('&', amp + 1))
    if (xml.compare(amp, 5, "&amp;") != 0 && xml.compare(amp, 4, "&lt;") != 0 &&
        xml.compare(amp, 4, "&gt;") != 0 &&
        xml.compare(amp, 6, "&quot;") != 0 &&
        xml.compare(amp, 6, "&apos;") != 0) {
      why = "raw '&'";
      return false;
    }
  return true;
}

/// True when "nan" or "inf" appears as a number (not inside a word such as
/// "dominant").
bool hasNonFiniteNumber(const std::string &svg) {
  for (const char *word : {"nan", "inf"})
    for (size_t pos = svg.find(word); pos != std::string::npos;
         pos = svg.find(word, pos + 1))
      if (pos == 0 || !std::isalpha(static_cast<unsigned char>(svg[pos - 1])))
        return true;
  return false;
}

} // namespace

TEST(SvgPlotTest, NiceTicks) {
  EXPECT_EQ(niceTicks(0.13, 0.92, 6),
            (std::vector<double>{0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0}));
  std::vector<double> ticks = niceTicks(3, 47);
  EXPECT_LE(ticks.front(), 3);
  EXPECT_GE(ticks.back(), 47);
  EXPECT_EQ(ticks[1] - ticks[0], 10);
  std::vector<double> flat = niceTicks(2, 2);
  EXPECT_LT(flat.front(), 2);
  EXPECT_GT(flat.back(), 2);
}

TEST(SvgPlotTest, LossChartIsWellFormed) {
  PlotOptions options;
  options.title = "mnist <mlp> & friends";
  std::string svg =
      renderLossChart({2.3, 1.1, 0.7, 0.5}, {2.0, NAN, 0.8, 0.6}, options);
  std::string why;
  EXPECT_TRUE(tagsBalance(svg, why)) << why << "\n" << svg;
  EXPECT_EQ(svg.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 0),
            0u);
  EXPECT_NE(svg.find("xmlns=\"http://www.w3.org/2000/svg\""),
            std::string::npos);
  EXPECT_NE(svg.find("mnist &lt;mlp&gt; &amp; friends"), std::string::npos);
  EXPECT_NE(svg.find(">train</text>"), std::string::npos);
  EXPECT_NE(svg.find(">eval</text>"), std::string::npos);
  EXPECT_NE(svg.find(">epoch</text>"), std::string::npos);
  EXPECT_NE(svg.find(">loss</text>"), std::string::npos);
  // train: one polyline; eval: broken by the NaN into two.
  EXPECT_EQ(count(svg, "<polyline"), 3u);
  EXPECT_EQ(count(svg, "<circle"), 7u);
  EXPECT_FALSE(hasNonFiniteNumber(svg));
}

TEST(SvgPlotTest, PointsLieAtTheirSteps) {
  // Steps 400, 800 and 1200 on ticks 400 ... 1200: the middle point lies
  // halfway across the plot.
  PlotSeries train{"train", "#1f77b4", {3, 2, 1}, {400, 800, 1200}};
  PlotOptions options;
  options.xLabel = "step";
  std::string svg = renderLineChart({train}, options);
  std::string why;
  EXPECT_TRUE(tagsBalance(svg, why)) << why;
  EXPECT_NE(svg.find(">step</text>"), std::string::npos);
  EXPECT_NE(svg.find(">400</text>"), std::string::npos);
  EXPECT_NE(svg.find(">1200</text>"), std::string::npos);
  // The default chart is 640 wide, the plot from x = 70 to 640 - 130.
  EXPECT_NE(svg.find("<circle cx=\"290.00\""), std::string::npos) << svg;
  EXPECT_FALSE(hasNonFiniteNumber(svg));
}

TEST(SvgPlotTest, MarkersLieAtTheirStepsAndWidenTheAxis) {
  // Points at 400 and 800, a marker at 1200: the axis runs to 1200, the
  // marker's line lies at the plot's right edge and its label is escaped.
  PlotSeries train{"train", "#1f77b4", {3, 2}, {400, 800}};
  PlotOptions options;
  options.markers = {{800, "lr 0.1 to 0.01"}, {1200, "a<b"}};
  std::string svg = renderLineChart({train}, options);
  std::string why;
  EXPECT_TRUE(tagsBalance(svg, why)) << why;
  EXPECT_EQ(count(svg, "class=\"marker\""), 2u);
  EXPECT_NE(svg.find(">1200</text>"), std::string::npos) << svg;
  EXPECT_NE(svg.find("data-x=\"1200\" x1=\"510.00\""), std::string::npos)
      << svg;
  EXPECT_NE(svg.find("data-x=\"800\" x1=\"290.00\""), std::string::npos) << svg;
  EXPECT_NE(svg.find(">lr 0.1 to 0.01</text>"), std::string::npos);
  EXPECT_NE(svg.find(">a&lt;b</text>"), std::string::npos);
  // Without markers, no marker group at all.
  EXPECT_EQ(count(renderLineChart({train}, PlotOptions()), "marker"), 0u);
}

TEST(SvgPlotTest, DegenerateInputs) {
  std::string why;
  for (const std::string &svg :
       {renderLossChart({}, {}), renderLossChart({1.0}, {}),
        renderLossChart({NAN, NAN}, {}), renderLossChart({5, 5, 5}, {5})}) {
    EXPECT_TRUE(tagsBalance(svg, why)) << why;
    EXPECT_FALSE(hasNonFiniteNumber(svg));
  }
}

TEST(SvgPlotTest, WritesAtomically) {
  TempDir tmp;
  std::string path = tmp.path("loss.svg");
  ASSERT_TRUE(writeLossChart(path, {1, 0.5}, {1.2, 0.7}).ok());
  EXPECT_EQ(readText(path), renderLossChart({1, 0.5}, {1.2, 0.7}));
  Error error = writeLossChart(tmp.path("no/such/dir/loss.svg"), {1}, {});
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.message().rfind(tmp.path("no/such/dir/loss.svg") + ": ", 0),
            0u);
}
