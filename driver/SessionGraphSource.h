//===- SessionGraphSource.h - Graphs compiled in this process ---*- C++ -*-===//
//
// The GraphSource (train/GraphSource.h) of a model compiled by this process
// through a ModelSession: the one source that needs the compiler.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DRIVER_SESSIONGRAPHSOURCE_H
#define NNC_DRIVER_SESSIONGRAPHSOURCE_H

#include "driver/ModelSession.h"
#include "train/GraphSource.h"

#include <cstdint>
#include <map>
#include <memory>

namespace nnc::driver {

/// Graphs compiled from the model of a ModelSession.
class SessionGraphSource : public train::SplitStepSource {
public:
  /// Training steps are compiled from `stepRequest` (its batch set per
  /// size).
  SessionGraphSource(ModelSession &session, GraphRequest stepRequest)
      : session(session), stepRequest(std::move(stepRequest)) {}

  rt::Expected<train::CompiledGraph *> trainingStep(int64_t size) override;
  /// The split step of data-parallel training: the gradients of a batch
  /// of `size`, and the update (any size), each made on first use.
  rt::Expected<train::CompiledGraph *> trainingGradients(int64_t size) override;
  rt::Expected<train::CompiledGraph *> trainingUpdate() override;
  bool hasForward(int64_t) const override { return true; }
  rt::Expected<train::CompiledGraph *> forward(int64_t size) override;
  /// The forward function without its loss, to run for the outputs alone
  /// (the labels not fed), for `size` samples; made on first use.
  rt::Expected<train::CompiledGraph *> predict(int64_t size);
  /// The gradient of the loss for `size` samples, with batch norm and
  /// dropout as in evaluation or, with `trainingMode`, as in the training
  /// step; made on first use.
  rt::Expected<train::CompiledGraph *> gradient(int64_t size,
                                                bool trainingMode);
  const std::optional<train::AccuracySpec> &accuracy() const override {
    return session.accuracy();
  }
  unsigned threads() const override { return session.threads(); }
  std::string backendName() const override { return session.backend().name(); }

private:
  using Cache = std::map<int64_t, std::unique_ptr<train::CompiledGraph>>;
  rt::Expected<train::CompiledGraph *>
  compileOnce(Cache &cache, GraphRequest request, int64_t size);

  ModelSession &session;
  GraphRequest stepRequest;
  Cache steps, forwards, gradients, updates;
  Cache predicts, evaluationModeGradients, trainingModeGradients;
};

} // namespace nnc::driver

#endif // NNC_DRIVER_SESSIONGRAPHSOURCE_H
