//===- SessionGraphSource.cpp - Graphs compiled in this process ----------===//

#include "tools/nnc/SessionGraphSource.h"

namespace nnc::cli {

CompiledGraph *SessionGraphSource::compileOnce(Cache &cache,
                                               GraphRequest request,
                                               int64_t size) {
  std::unique_ptr<CompiledGraph> &slot = cache[size];
  if (!slot) {
    // A model without a batch dimension has one graph for every size.
    request.batch = session.program().batchSymbol.empty() ? 0 : size;
    slot = session.compile(request);
  }
  return slot.get();
}

CompiledGraph *SessionGraphSource::trainingStep(int64_t size) {
  GraphRequest request = stepRequest;
  request.kind = GraphKind::TrainingStep;
  return compileOnce(steps, request, size);
}

CompiledGraph *SessionGraphSource::trainingGradients(int64_t size) {
  GraphRequest request = stepRequest;
  request.kind = GraphKind::TrainingGradients;
  return compileOnce(gradients, request, size);
}

CompiledGraph *SessionGraphSource::trainingUpdate() {
  GraphRequest request = stepRequest;
  request.kind = GraphKind::TrainingUpdate;
  // The update reads no batched value: one graph serves every size.
  return compileOnce(updates, request, 1);
}

CompiledGraph *SessionGraphSource::forward(int64_t size) {
  return compileOnce(forwards, GraphRequest(), size);
}

} // namespace nnc::cli
