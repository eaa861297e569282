//===- GraphSource.h - Where the trainer's graphs come from -----*- C++ -*-===//
//
// The trainer and the evaluator run graphs through this interface, so the
// same loop, progress, evaluation and checkpoints serve both sources of
// graphs: a model compiled in this process (driver/SessionGraphSource.h) and
// a compiled artifact loaded without the compiler (ArtifactGraphSource).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_GRAPHSOURCE_H
#define NNC_TRAIN_GRAPHSOURCE_H

#include "train/Accuracy.h"
#include "train/CompiledGraph.h"

#include "runtime/Status.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>

namespace nnc::train {

class GraphSource {
public:
  virtual ~GraphSource() = default;

  /// The training step for a batch of `size` samples, made on first use and
  /// kept; an error when there is none. Never null on success.
  virtual rt::Expected<CompiledGraph *> trainingStep(int64_t size) = 0;

  /// True when forward(size) can be had without an error: a compiling
  /// source makes any size, an artifact holds its batch size and 1.
  virtual bool hasForward(int64_t size) const = 0;

  /// The forward function, with its loss, for `size` samples, made on first
  /// use and kept, or why it cannot be had. Never null on success.
  virtual rt::Expected<CompiledGraph *> forward(int64_t size) = 0;

  /// How to score predictions against labels, when the loss tells.
  virtual const std::optional<AccuracySpec> &accuracy() const = 0;

  /// The threads its graphs run on.
  virtual unsigned threads() const = 0;

  /// The backend the graphs run on ("cpu").
  virtual std::string backendName() const = 0;
};

/// A source that also makes the split training step of data-parallel
/// training (SplitStep.h): the gradients of a batch, and the
/// update from all-reduced gradients. Only a compiling source does.
class SplitStepSource : public GraphSource {
public:
  /// The gradients (and loss, outputs, updated buffers) of a batch of
  /// `size`, made on first use and kept, or why it cannot be had.
  virtual rt::Expected<CompiledGraph *> trainingGradients(int64_t size) = 0;
  /// The update of the parameters and optimizer state from given
  /// gradients; one graph serves every batch size.
  virtual rt::Expected<CompiledGraph *> trainingUpdate() = 0;
};

} // namespace nnc::train

#endif // NNC_TRAIN_GRAPHSOURCE_H
