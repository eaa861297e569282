//===- SessionGraphSource.cpp - Graphs compiled in this process ----------===//

#include "driver/SessionGraphSource.h"

namespace nnc::driver {

rt::Expected<train::CompiledGraph *>
SessionGraphSource::compileOnce(Cache &cache, GraphRequest request,
                                int64_t size) {
  std::unique_ptr<train::CompiledGraph> &slot = cache[size];
  if (!slot) {
    // A model without a batch dimension has one graph for every size.
    request.batch = session.program().batchSymbol.empty() ? 0 : size;
    rt::Expected<std::unique_ptr<train::CompiledGraph>> graph =
        session.compile(request);
    if (!graph.ok())
      return graph.takeError();
    slot = std::move(*graph);
  }
  return slot.get();
}

rt::Expected<train::CompiledGraph *>
SessionGraphSource::trainingStep(int64_t size) {
  GraphRequest request = stepRequest;
  request.kind = GraphKind::TrainingStep;
  return compileOnce(steps, request, size);
}

rt::Expected<train::CompiledGraph *>
SessionGraphSource::trainingGradients(int64_t size) {
  GraphRequest request = stepRequest;
  request.kind = GraphKind::TrainingGradients;
  return compileOnce(gradients, request, size);
}

rt::Expected<train::CompiledGraph *> SessionGraphSource::trainingUpdate() {
  GraphRequest request = stepRequest;
  request.kind = GraphKind::TrainingUpdate;
  // The update reads no batched value: one graph serves every size.
  return compileOnce(updates, request, 1);
}

rt::Expected<train::CompiledGraph *> SessionGraphSource::forward(int64_t size) {
  return compileOnce(forwards, GraphRequest(), size);
}

rt::Expected<train::CompiledGraph *> SessionGraphSource::predict(int64_t size) {
  GraphRequest request;
  request.withoutLoss = true;
  return compileOnce(predicts, request, size);
}

rt::Expected<train::CompiledGraph *>
SessionGraphSource::gradient(int64_t size, bool trainingMode) {
  GraphRequest request;
  request.kind = GraphKind::Gradient;
  request.trainingMode = trainingMode;
  return compileOnce(trainingMode ? trainingModeGradients
                                  : evaluationModeGradients,
                     request, size);
}

} // namespace nnc::driver
