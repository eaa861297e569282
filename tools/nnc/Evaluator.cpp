//===- Evaluator.cpp - Loss and accuracy over a dataset -------------------===//

#include "tools/nnc/Evaluator.h"

#include "tools/nnc/OutputWriter.h"

#include "runtime/BatchIterator.h"

#include "llvm/Support/raw_ostream.h"

namespace nnc::cli {

CompiledGraph *Evaluator::graphFor(int64_t size) {
  std::unique_ptr<CompiledGraph> &slot = size == batch ? full : partial;
  if (slot && (size == batch || partialSize == size))
    return slot.get();
  GraphRequest request;
  request.batch = session.program().batchSymbol.empty() ? 0 : size;
  slot = session.compile(request);
  if (size != batch)
    partialSize = size;
  return slot.get();
}

std::optional<Metrics> Evaluator::evaluate(const ParameterStore &params) {
  rt::BatchOptions options;
  options.batchSize = batch;
  rt::Expected<rt::BatchIterator> batches =
      rt::BatchIterator::create(dataset, options);
  if (!batches.ok()) {
    llvm::errs() << "error: " << batches.message() << "\n";
    return std::nullopt;
  }
  const std::optional<AccuracySpec> &accuracy = session.accuracy();
  double lossSum = 0;
  int64_t samples = 0, correct = 0, scored = 0;
  while (true) {
    rt::Expected<bool> more = batches->next();
    if (!more.ok()) {
      llvm::errs() << "error: " << more.message() << "\n";
      return std::nullopt;
    }
    if (!*more)
      break;
    const rt::Batch &current = batches->batch();
    CompiledGraph *graph = graphFor(current.size());
    if (!graph)
      return std::nullopt;
    bool ran = graph->run(
        [&](const std::string &role, const std::string &name) {
          return role == "input" ? current.column(name) : params.find(name);
        },
        session.threads());
    if (!ran)
      return std::nullopt;
    CompiledGraph::Result *loss = graph->findResult("loss", "loss");
    if (!loss) {
      llvm::errs() << "error: the model has no loss to evaluate\n";
      return std::nullopt;
    }
    lossSum += scalarValue(loss->tensor) * current.size();
    samples += current.size();
    if (accuracy) {
      CompiledGraph::Result *predictions =
          graph->findResult("output", accuracy->outputName);
      const rt::Tensor *labels = current.column(accuracy->labelInput);
      if (predictions && labels) {
        auto [right, total] =
            countCorrect(*accuracy, predictions->tensor, *labels);
        correct += right;
        scored += total;
      }
    }
  }
  Metrics metrics;
  metrics.samples = samples;
  metrics.loss = samples ? lossSum / samples : 0;
  if (scored)
    metrics.accuracy = static_cast<double>(correct) / scored;
  return metrics;
}

} // namespace nnc::cli
