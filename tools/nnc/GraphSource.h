//===- GraphSource.h - Where the trainer's graphs come from -----*- C++ -*-===//
//
// The trainer and the evaluator run graphs through this interface, so the
// same loop, progress, evaluation and checkpoints serve both sources of
// graphs: a model compiled in this process (SessionGraphSource, below) and
// a compiled artifact loaded without the compiler (ArtifactGraphSource).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_GRAPHSOURCE_H
#define NNC_TOOLS_GRAPHSOURCE_H

#include "tools/nnc/CompiledGraph.h"
#include "tools/nnc/ModelSession.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>

namespace nnc::cli {

class GraphSource {
public:
  virtual ~GraphSource() = default;

  /// The training step for a batch of `size` samples, made on first use and
  /// kept. Prints a one-line error and returns null when there is none.
  virtual CompiledGraph *trainingStep(int64_t size) = 0;

  /// True when forward(size) can be had without an error: a compiling
  /// source makes any size, an artifact holds its batch size and 1.
  virtual bool hasForward(int64_t size) const = 0;

  /// The forward function, with its loss, for `size` samples, made on first
  /// use and kept. Prints a one-line error and returns null on failure.
  virtual CompiledGraph *forward(int64_t size) = 0;

  /// How to score predictions against labels, when the loss tells.
  virtual const std::optional<AccuracySpec> &accuracy() const = 0;

  /// The threads its graphs run on.
  virtual unsigned threads() const = 0;

  /// The backend the graphs run on ("cpu").
  virtual std::string backendName() const = 0;
};

/// Graphs compiled from the model of a ModelSession.
class SessionGraphSource : public GraphSource {
public:
  /// Training steps are compiled from `stepRequest` (its batch set per
  /// size).
  SessionGraphSource(ModelSession &session, GraphRequest stepRequest)
      : session(session), stepRequest(std::move(stepRequest)) {}

  CompiledGraph *trainingStep(int64_t size) override;
  /// The split step of data-parallel training: the gradients of a batch
  /// of `size`, and the update (any size), each made on first use.
  CompiledGraph *trainingGradients(int64_t size);
  CompiledGraph *trainingUpdate();
  bool hasForward(int64_t) const override { return true; }
  CompiledGraph *forward(int64_t size) override;
  const std::optional<AccuracySpec> &accuracy() const override {
    return session.accuracy();
  }
  unsigned threads() const override { return session.threads(); }
  std::string backendName() const override { return session.backend().name(); }

private:
  using Cache = std::map<int64_t, std::unique_ptr<CompiledGraph>>;
  CompiledGraph *compileOnce(Cache &cache, GraphRequest request, int64_t size);

  ModelSession &session;
  GraphRequest stepRequest;
  Cache steps, forwards, gradients, updates;
};

} // namespace nnc::cli

#endif // NNC_TOOLS_GRAPHSOURCE_H
