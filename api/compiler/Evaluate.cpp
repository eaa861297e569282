//===- Evaluate.cpp - Mean loss and accuracy over a dataset ---------------===//
//
// What train::Evaluator computes for `nnc eval`, over the caller's memory:
// the forward function with its loss runs on consecutive slices of the
// batched inputs, read in place (a slice of rows in C order is contiguous),
// with a graph for the full batch size and one for the last, partial batch.
// It scores predictions with the evaluator's countCorrect. The evaluator
// itself reads a dataset of its own tensors and prints its errors.
//
//===----------------------------------------------------------------------===//

#include "api/compiler/CompiledModelImpl.h"

#include "train/Accuracy.h"
#include "train/OutputWriter.h"

#include <algorithm>
#include <cstring>

using namespace nnc;

namespace {

/// Rows [start, start + size) of a batched input.
TensorView rows(const TensorView &view, int64_t start, int64_t size) {
  int64_t rowElements = 1;
  for (size_t d = 1; d < view.shape.size(); ++d)
    rowElements *= view.shape[d];
  size_t rowBytes =
      static_cast<size_t>(rowElements) * rt::dtypeSize(toRuntime(view.dtype));
  TensorView slice = view;
  slice.shape[0] = size;
  if (view.data)
    slice.data = static_cast<const std::byte *>(view.data) +
                 static_cast<size_t>(start) * rowBytes;
  return slice;
}

} // namespace

Status CompiledModel::evaluate(const std::map<std::string, TensorView> &data,
                               Metrics &metrics, int64_t batch) {
  std::lock_guard<std::mutex> turn(impl->turn);
  const frontend::Program &program = impl->session->program();
  if (!program.hasLoss)
    return Status::failure("the model has no loss to evaluate");
  if (batch < 0)
    return Status::failure("the batch size must not be negative");
  if (Status checked = impl->checkInputs(data); !checked)
    return checked;
  if (Status complete = impl->checkAllInputs(data); !complete)
    return complete;
  int64_t samples = 0;
  if (Status sized = impl->batchOf(data, samples); !sized)
    return sized;
  if (batch == 0)
    batch = trainBatchOf(program, 256);
  // A model without a batch dimension is one batch of one sample.
  bool batched = samples != 0;
  if (!batched)
    samples = batch = 1;

  const std::optional<train::AccuracySpec> &accuracy =
      impl->session->accuracy();
  double lossSum = 0;
  int64_t correct = 0, scored = 0;
  for (int64_t start = 0; start < samples; start += batch) {
    int64_t size = std::min(batch, samples - start);
    std::map<std::string, TensorView> slice = data;
    if (batched)
      for (const Port &port : impl->inputs)
        if (port.batched)
          slice[port.name] = rows(data.at(port.name), start, size);
    Status status;
    train::CompiledGraph *graph =
        impl->forwardGraph(batched ? size : 0, /*withLoss=*/true, status);
    if (!graph)
      return status;
    std::vector<rt::Tensor> made;
    if (Status ran = impl->runGraph(*graph, slice, made); !ran)
      return ran;
    const rt::Tensor *loss = nullptr, *predictions = nullptr;
    for (size_t i = 0; i < made.size(); ++i) {
      const train::CompiledGraph::Result &result = graph->results()[i];
      if (result.role == rt::BindingRole::Loss)
        loss = &made[i];
      else if (accuracy && result.role == rt::BindingRole::Output &&
               result.name == accuracy->outputName)
        predictions = &made[i];
    }
    if (!loss)
      return Status::failure("the model has no loss to evaluate");
    lossSum += train::scalarValue(*loss) * static_cast<double>(size);
    if (!predictions)
      continue;
    // countCorrect reads the labels as a tensor of their own.
    const TensorView &labelView = slice.at(accuracy->labelInput);
    rt::Expected<rt::Tensor> labels = rt::Tensor::create(
        toRuntime(labelView.dtype),
        rt::Shape(labelView.shape.begin(), labelView.shape.end()));
    if (!labels.ok())
      return Status::failure(labels.message());
    if (labels->byteSize() != 0)
      std::memcpy(labels->rawData(), labelView.data, labels->byteSize());
    auto [right, total] = train::countCorrect(*accuracy, *predictions, *labels);
    correct += right;
    scored += total;
  }
  metrics = Metrics();
  metrics.samples = samples;
  metrics.loss = lossSum / static_cast<double>(samples);
  if (scored)
    metrics.accuracy = static_cast<double>(correct) / scored;
  return Status();
}
