//===- TrainingReport.h - nnc train --report: one HTML page -----*- C++ -*-===//
//
// A training run as one self-contained HTML page: its loss, accuracy and
// learning-rate curves (SVG drawn by runtime/SvgPlot.h), the model's graph
// with its fusion groups (Graphviz `dot` when installed, else a listing),
// the training step's kernel profile, the settings, the machine, the
// parameter count and what was frozen. No script and no network access:
// styles are inline. Rewritten atomically as training goes; while the run
// lasts the page reloads itself every few seconds.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_TRAININGREPORT_H
#define NNC_TRAIN_TRAININGREPORT_H

#include "train/TrainingState.h"

#include "runtime/KernelProfiler.h"
#include "runtime/Status.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nnc::train {

/// What the page shows besides the run's state, fixed for the run.
struct ReportHeader {
  std::string model;
  /// Settings as (name, value) rows: backend, batch, epochs, optimizer...
  std::vector<std::pair<std::string, std::string>> settings;
  int64_t parameterCount = 0;
  /// Names of the frozen parameters (fine-tuning).
  std::vector<std::string> frozen;
  /// The graph as inline SVG, or as text when `dot` is not installed.
  std::string graphSvg, graphText;
  /// Steps between curve points (--eval-every); 0: no curve.
  int64_t evalEvery = 0;
  /// What the kernel profile covers: the whole training step, or the
  /// gradient step alone when the step is split (--accumulate,
  /// --distributed), as the CLI's table says.
  std::string profiled = "the training step";
};

/// `value` as printf's %g writes it ("0.002", "1e-05"): how the page
/// shows settings and learning rates.
std::string shortNumber(double value);

/// The CPU's model name (from /proc/cpuinfo) and its logical cores.
std::string describeMachine();

/// How long Graphviz may take to draw a model's graph before the report
/// shows the graph as text instead: drawing must never hold up training.
inline constexpr unsigned kDotSeconds = 20;

/// Renders `dot` to SVG with Graphviz's `dot` program; an error saying why
/// not: it is not installed, it failed, or it took over kDotSeconds.
rt::Expected<std::string> renderDot(const std::string &dot);

/// Where the run of a report page stands. Only a page of a run still
/// training asks the browser to reload it.
enum class ReportStatus { Training, Stopped, Finished, Failed };

/// The page for `state`; `profile` adds the kernel table; `status` says
/// whether the run goes on, stopped at --max-steps, ended, or failed with
/// the error `failure`.
std::string renderTrainingReport(const ReportHeader &header,
                                 const TrainingState &state,
                                 const rt::GraphProfile *profile,
                                 ReportStatus status,
                                 const std::string &failure = "");

} // namespace nnc::train

#endif // NNC_TRAIN_TRAININGREPORT_H
