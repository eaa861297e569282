//===- Evaluate.cpp - Mean loss and accuracy over a dataset ---------------===//
//
// `nnc eval` over the caller's memory: the forward function with its loss
// runs on consecutive slices of the batched inputs, read in place (a slice
// of rows in C order is contiguous), with a graph for the full batch size
// and one for the last, partial batch. The sums are train::BatchScorer's,
// the evaluator's own, so both give the same metrics.
//
//===----------------------------------------------------------------------===//

#include "api/compiler/CompiledModelImpl.h"

#include "train/DataArguments.h"
#include "train/Evaluator.h"

#include <algorithm>

using namespace nnc;

Status CompiledModel::evaluate(const std::map<std::string, TensorView> &data,
                               Metrics &metrics, int64_t batch) {
  if (Status reentered = impl->checkNotInTrain("evaluate"); !reentered)
    return reentered;
  std::lock_guard<std::mutex> turn(impl->turn);
  const frontend::Program &program = impl->session->program();
  if (!program.hasLoss)
    return failureLine("the model has no loss to evaluate");
  if (batch < 0)
    return failureLine("the batch size must not be negative");
  if (Status checked = impl->checkInputs(data); !checked)
    return checked;
  if (Status complete = impl->checkAllInputs(data); !complete)
    return complete;
  // `nnc eval`'s checks of its data, and train's, named as train names
  // them: a stray label would otherwise fail in the loss kernel.
  train::InputDeclarations declared = train::inputDeclarations(program);
  for (const Port &port : impl->inputs) {
    rt::ConstTensorView column = TensorAccess::view(data.at(port.name));
    if (rt::Error finite =
            train::checkFiniteData(column, port.name, port.batched);
        !finite.ok())
      return failureLine("data '" + port.name + "': " + finite.message());
    if (const train::InputDeclaration *input =
            train::findInput(declared, port.name))
      if (rt::Error labels = train::checkLabels(column, *input); !labels.ok())
        return failureLine("data '" + port.name + "': " + labels.message());
  }
  int64_t samples = 0;
  if (Status sized = impl->batchOf(data, samples); !sized)
    return sized;
  if (batch == 0)
    batch = trainBatchOf(program, 256);
  // A model without a batch dimension is one batch of one sample.
  bool batched = samples != 0;
  if (!batched)
    samples = batch = 1;

  std::map<std::string, rt::ConstTensorView> whole;
  for (const auto &[name, view] : data)
    whole.emplace(name, TensorAccess::view(view));
  train::BatchScorer scorer(impl->session->accuracy(), impl->params);
  for (int64_t start = 0; start < samples; start += batch) {
    int64_t size = std::min(batch, samples - start);
    std::map<std::string, rt::ConstTensorView> slice = whole;
    if (batched)
      for (const Port &port : impl->inputs)
        if (port.batched)
          slice.at(port.name) = rt::rowsOf(whole.at(port.name), start, size);
    Status status;
    train::CompiledGraph *graph =
        impl->forwardGraph(batched ? size : 0, /*withLoss=*/true, status);
    if (!graph)
      return status;
    if (rt::Error error = scorer.add(*graph, slice, size); !error.ok())
      return failureOf(error);
  }
  train::Metrics sums = scorer.metrics();
  metrics = Metrics();
  metrics.samples = sums.samples;
  metrics.loss = sums.loss;
  metrics.accuracy = sums.accuracy;
  return Status();
}
