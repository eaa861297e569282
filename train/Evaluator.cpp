//===- Evaluator.cpp - Loss and accuracy over a dataset -------------------===//

#include "train/Evaluator.h"

#include "train/OutputWriter.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

namespace nnc::train {
namespace {

/// A batch's inputs by name: its columns, and beside them the inputs
/// without a batch dimension, whole.
std::map<std::string, rt::ConstTensorView> inputsOf(const rt::Batch &batch) {
  std::map<std::string, rt::ConstTensorView> inputs;
  for (size_t c = 0; c < batch.numColumns(); ++c)
    inputs.emplace(batch.columnName(c), batch.column(c).view());
  const rt::Dataset &dataset = batch.source();
  for (size_t s = 0; s < dataset.numSharedColumns(); ++s)
    inputs.emplace(dataset.sharedColumnName(s), dataset.sharedColumn(s).view());
  return inputs;
}

} // namespace

std::string formatMetrics(const Metrics &metrics) {
  std::string line;
  llvm::raw_string_ostream os(line);
  os << "samples " << metrics.samples << "  loss "
     << llvm::format("%.6f", metrics.loss);
  if (metrics.accuracy)
    os << "  accuracy " << llvm::format("%.4f", *metrics.accuracy);
  return line;
}

rt::Error
BatchScorer::add(CompiledGraph &graph,
                 const std::map<std::string, rt::ConstTensorView> &inputs,
                 int64_t size) {
  rt::Error ran = graph.runOnViews(
      [&](rt::BindingRole role,
          const std::string &name) -> std::optional<rt::ConstTensorView> {
        if (role != rt::BindingRole::Input) {
          if (const rt::Tensor *state = params.find(name))
            return state->view();
          return std::nullopt;
        }
        auto it = inputs.find(name);
        if (it == inputs.end())
          return std::nullopt;
        return it->second;
      });
  if (!ran.ok())
    return ran;
  CompiledGraph::Result *loss = graph.findResult(rt::BindingRole::Loss, "loss");
  if (!loss)
    return rt::Error::failure("the model has no loss to evaluate");
  double value = scalarValue(loss->tensor);
  samples += size;
  double weight = static_cast<double>(size);
  if (accuracy) {
    CompiledGraph::Result *predictions =
        accuracy->outputName.empty()
            ? nullptr
            : graph.findResult(rt::BindingRole::Output, accuracy->outputName);
    auto labels = inputs.find(accuracy->labelInput);
    if (predictions && labels != inputs.end()) {
      auto [right, total] =
          countCorrect(*accuracy, predictions->tensor.view(), labels->second);
      correct += right;
      scored += total;
    }
    // A cross-entropy's loss is the mean over the positions it scores:
    // batches count by those, so that padding (ignore_index) weighs
    // nothing and the mean does not depend on --batch.
    if (labels != inputs.end() && accuracy->kind == AccuracySpec::Kind::Argmax)
      weight = static_cast<double>(scoredPositions(*accuracy, labels->second));
  }
  lossSum += value * weight;
  lossWeight += weight;
  return rt::Error::success();
}

Metrics BatchScorer::metrics() const {
  Metrics metrics;
  metrics.samples = samples;
  metrics.loss = lossWeight > 0 ? lossSum / lossWeight : 0;
  if (scored)
    metrics.accuracy = static_cast<double>(correct) / scored;
  return metrics;
}

rt::Error Evaluator::runBySample(const rt::Batch &current,
                                 BatchScorer &scorer) {
  if (!graphs.hasForward(1))
    return rt::Error::failure("no forward graph for the last batch of " +
                              std::to_string(current.size()) + " samples");
  rt::Expected<CompiledGraph *> single = graphs.forward(1);
  if (!single.ok())
    return single.takeError();
  std::map<std::string, rt::ConstTensorView> inputs = inputsOf(current);
  for (int64_t row = 0; row < current.size(); ++row) {
    std::map<std::string, rt::ConstTensorView> sample = inputs;
    for (size_t c = 0; c < current.numColumns(); ++c)
      sample.at(current.columnName(c)) =
          rt::rowsOf(current.column(c).view(), row, 1);
    if (rt::Error error = scorer.add(**single, sample, 1); !error.ok())
      return error;
  }
  return rt::Error::success();
}

rt::Expected<Metrics> Evaluator::evaluate(const ParameterStore &params) {
  rt::BatchOptions options;
  options.batchSize = batch;
  rt::Expected<rt::BatchIterator> batches =
      rt::BatchIterator::create(dataset, options);
  if (!batches.ok())
    return batches.takeError();
  BatchScorer scorer(graphs.accuracy(), params);
  while (true) {
    rt::Expected<bool> more = batches->next();
    if (!more.ok())
      return more.takeError();
    if (!*more)
      break;
    const rt::Batch &current = batches->batch();
    if (!graphs.hasForward(current.size())) {
      if (rt::Error error = runBySample(current, scorer); !error.ok())
        return error;
      continue;
    }
    rt::Expected<CompiledGraph *> graph = graphs.forward(current.size());
    if (!graph.ok())
      return graph.takeError();
    if (rt::Error error =
            scorer.add(**graph, inputsOf(current), current.size());
        !error.ok())
      return error;
  }
  return scorer.metrics();
}

} // namespace nnc::train
