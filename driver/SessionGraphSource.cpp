//===- SessionGraphSource.cpp - Graphs compiled in this process ----------===//

#include "driver/SessionGraphSource.h"

#include "train/ExitCode.h"

namespace nnc::driver {

train::CompiledGraph *SessionGraphSource::compileOnce(Cache &cache,
                                                      GraphRequest request,
                                                      int64_t size) {
  std::unique_ptr<train::CompiledGraph> &slot = cache[size];
  if (!slot) {
    // A model without a batch dimension has one graph for every size.
    request.batch = session.program().batchSymbol.empty() ? 0 : size;
    rt::Expected<std::unique_ptr<train::CompiledGraph>> graph =
        session.compile(request);
    // GraphSource reports failure as null, so the error is shown here.
    if (!graph.ok()) {
      train::reportError(graph.takeError());
      return nullptr;
    }
    slot = std::move(*graph);
  }
  return slot.get();
}

train::CompiledGraph *SessionGraphSource::trainingStep(int64_t size) {
  GraphRequest request = stepRequest;
  request.kind = GraphKind::TrainingStep;
  return compileOnce(steps, request, size);
}

train::CompiledGraph *SessionGraphSource::trainingGradients(int64_t size) {
  GraphRequest request = stepRequest;
  request.kind = GraphKind::TrainingGradients;
  return compileOnce(gradients, request, size);
}

train::CompiledGraph *SessionGraphSource::trainingUpdate() {
  GraphRequest request = stepRequest;
  request.kind = GraphKind::TrainingUpdate;
  // The update reads no batched value: one graph serves every size.
  return compileOnce(updates, request, 1);
}

train::CompiledGraph *SessionGraphSource::forward(int64_t size) {
  return compileOnce(forwards, GraphRequest(), size);
}

} // namespace nnc::driver
