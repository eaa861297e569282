//===- Evaluator.h - Loss and accuracy over a dataset -----------*- C++ -*-===//

#ifndef NNC_TRAIN_EVALUATOR_H
#define NNC_TRAIN_EVALUATOR_H

#include "train/GraphSource.h"
#include "train/ParameterStore.h"

#include "runtime/BatchIterator.h"
#include "runtime/Dataset.h"

#include <optional>
#include <string>

namespace nnc::train {

/// Mean loss and accuracy of a model over a dataset.
struct Metrics {
  double loss = 0;
  std::optional<double> accuracy;
  int64_t samples = 0;
};

/// `samples N  loss L  accuracy A` (accuracy when scored), the line of
/// `nnc eval`, without its newline.
std::string formatMetrics(const Metrics &metrics);

/// The sums of an evaluation, batch by batch: each batch runs a forward
/// function with its loss, and its loss and score are added. The Evaluator
/// below feeds it a dataset; the C++ API (CompiledModel::evaluate) feeds it
/// slices of the caller's arrays.
class BatchScorer {
public:
  /// Parameters and buffers come from `params`; predictions are scored by
  /// `accuracy` when set. Both must outlive the scorer.
  BatchScorer(const std::optional<AccuracySpec> &accuracy,
              const ParameterStore &params)
      : accuracy(accuracy), params(params) {}

  /// Runs `graph` on a batch of `size` samples whose inputs, by name, are
  /// read in place, and adds its loss and score to the sums.
  rt::Error add(CompiledGraph &graph,
                const std::map<std::string, rt::ConstTensorView> &inputs,
                int64_t size);

  /// The means so far.
  Metrics metrics() const;

private:
  const std::optional<AccuracySpec> &accuracy;
  const ParameterStore &params;
  /// The loss of each batch times its weight: its positions scored, for
  /// a cross-entropy (whose loss is the mean over them, ignore_index left
  /// out), else its samples; the mean over the data is their ratio.
  double lossSum = 0, lossWeight = 0;
  int64_t samples = 0, correct = 0, scored = 0;
};

/// Runs the forward function (with its loss) over a dataset in batches,
/// with a graph per batch size it meets (the full size and the last partial
/// one). When the source has no graph of the partial size (an artifact), the
/// last batch runs sample by sample on the graph of batch 1.
class Evaluator {
public:
  Evaluator(GraphSource &graphs, const rt::Dataset &dataset, int64_t batch)
      : graphs(graphs), dataset(dataset), batch(batch) {}

  /// The metrics of `params` over the dataset, or why they cannot be had.
  rt::Expected<Metrics> evaluate(const ParameterStore &params);

private:
  /// Runs a batch that has no graph of its size one sample at a time.
  rt::Error runBySample(const rt::Batch &current, BatchScorer &scorer);

  GraphSource &graphs;
  const rt::Dataset &dataset;
  int64_t batch;
};

} // namespace nnc::train

#endif // NNC_TRAIN_EVALUATOR_H
