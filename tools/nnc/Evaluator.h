//===- Evaluator.h - Loss and accuracy over a dataset -----------*- C++ -*-===//

#ifndef NNC_TOOLS_EVALUATOR_H
#define NNC_TOOLS_EVALUATOR_H

#include "tools/nnc/ModelSession.h"
#include "tools/nnc/ParameterStore.h"

#include "runtime/Dataset.h"

#include <memory>
#include <optional>

namespace nnc::cli {

/// Mean loss and accuracy of a model over a dataset.
struct Metrics {
  double loss = 0;
  std::optional<double> accuracy;
  int64_t samples = 0;
};

/// Runs the forward function (with its loss) over a dataset in batches,
/// compiling once per batch size it meets (the full size and the last
/// partial one).
class Evaluator {
public:
  Evaluator(ModelSession &session, const rt::Dataset &dataset, int64_t batch)
      : session(session), dataset(dataset), batch(batch) {}

  /// Prints a one-line error and returns nullopt on failure.
  std::optional<Metrics> evaluate(const ParameterStore &params);

private:
  CompiledGraph *graphFor(int64_t size);

  ModelSession &session;
  const rt::Dataset &dataset;
  int64_t batch;
  std::unique_ptr<CompiledGraph> full, partial;
  int64_t partialSize = 0;
};

} // namespace nnc::cli

#endif // NNC_TOOLS_EVALUATOR_H
