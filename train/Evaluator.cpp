//===- Evaluator.cpp - Loss and accuracy over a dataset -------------------===//

#include "train/Evaluator.h"

#include "train/OutputWriter.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

namespace nnc::train {
namespace {

/// Row `row` of `column` as a tensor with a leading extent of 1.
rt::Expected<rt::Tensor> sliceRow(const rt::Tensor &column, int64_t row) {
  rt::Shape shape = column.shape();
  if (shape.empty())
    return rt::Error::failure("a batched input has no batch dimension");
  size_t rowBytes =
      column.byteSize() / static_cast<size_t>(std::max<int64_t>(1, shape[0]));
  shape[0] = 1;
  rt::Expected<rt::Tensor> slice = rt::Tensor::create(column.dtype(), shape);
  if (slice.ok())
    std::memcpy(slice->rawData(),
                column.rawData() + static_cast<size_t>(row) * rowBytes,
                rowBytes);
  return slice;
}

/// Binds the inputs without a batch dimension, whole, beside a batch's.
void addSharedColumns(const rt::Dataset &dataset,
                      std::map<std::string, const rt::Tensor *> &columns) {
  for (size_t s = 0; s < dataset.numSharedColumns(); ++s)
    columns[dataset.sharedColumnName(s)] = &dataset.sharedColumn(s);
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
Evaluator::runOn(CompiledGraph &graph,
                 const std::map<std::string, const rt::Tensor *> &columns,
                 int64_t size, const ParameterStore &params) {
  rt::Error ran = graph.run([&](rt::BindingRole role, const std::string &name) {
    if (role != rt::BindingRole::Input)
      return params.find(name);
    auto it = columns.find(name);
    return it == columns.end() ? nullptr : it->second;
  });
  if (!ran.ok())
    return ran;
  CompiledGraph::Result *loss = graph.findResult(rt::BindingRole::Loss, "loss");
  if (!loss)
    return rt::Error::failure("the model has no loss to evaluate");
  lossSum += scalarValue(loss->tensor) * size;
  samples += size;
  const std::optional<AccuracySpec> &accuracy = graphs.accuracy();
  if (!accuracy)
    return rt::Error::success();
  CompiledGraph::Result *predictions =
      graph.findResult(rt::BindingRole::Output, accuracy->outputName);
  auto labels = columns.find(accuracy->labelInput);
  if (predictions && labels != columns.end()) {
    auto [right, total] =
        countCorrect(*accuracy, predictions->tensor, *labels->second);
    correct += right;
    scored += total;
  }
  return rt::Error::success();
}

rt::Error Evaluator::runBySample(const rt::Batch &current,
                                 const ParameterStore &params) {
  if (!graphs.hasForward(1))
    return rt::Error::failure("no forward graph for the last batch of " +
                              std::to_string(current.size()) + " samples");
  rt::Expected<CompiledGraph *> single = graphs.forward(1);
  if (!single.ok())
    return single.takeError();
  for (int64_t row = 0; row < current.size(); ++row) {
    std::vector<rt::Tensor> rows;
    rows.reserve(current.numColumns());
    std::map<std::string, const rt::Tensor *> columns;
    for (size_t c = 0; c < current.numColumns(); ++c) {
      rt::Expected<rt::Tensor> slice = sliceRow(current.column(c), row);
      if (!slice.ok())
        return slice.takeError().withContext(current.columnName(c));
      rows.push_back(std::move(*slice));
      columns[current.columnName(c)] = &rows.back();
    }
    addSharedColumns(current.source(), columns);
    if (rt::Error error = runOn(**single, columns, 1, params); !error.ok())
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
  lossSum = 0;
  samples = correct = scored = 0;
  while (true) {
    rt::Expected<bool> more = batches->next();
    if (!more.ok())
      return more.takeError();
    if (!*more)
      break;
    const rt::Batch &current = batches->batch();
    if (!graphs.hasForward(current.size())) {
      if (rt::Error error = runBySample(current, params); !error.ok())
        return error;
      continue;
    }
    rt::Expected<CompiledGraph *> graph = graphs.forward(current.size());
    if (!graph.ok())
      return graph.takeError();
    std::map<std::string, const rt::Tensor *> columns;
    for (size_t c = 0; c < current.numColumns(); ++c)
      columns[current.columnName(c)] = &current.column(c);
    addSharedColumns(current.source(), columns);
    if (rt::Error error = runOn(**graph, columns, current.size(), params);
        !error.ok())
      return error;
  }
  Metrics metrics;
  metrics.samples = samples;
  metrics.loss = samples ? lossSum / samples : 0;
  if (scored)
    metrics.accuracy = static_cast<double>(correct) / scored;
  return metrics;
}

} // namespace nnc::train
