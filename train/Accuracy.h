//===- Accuracy.h - Scoring predictions against labels ----------*- C++ -*-===//
//
// How training and evaluation count correct predictions, from what the
// model's loss says about its outputs (the compiler reads it off the loss;
// an artifact stores it).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_ACCURACY_H
#define NNC_TRAIN_ACCURACY_H

#include "runtime/Tensor.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace nnc::train {

/// How to score predictions against labels, read off the loss: the
/// softmax cross-entropy of an output scores its argmax, the binary
/// cross-entropy of an output its 0.5 threshold.
struct AccuracySpec {
  enum class Kind { Argmax, Threshold };
  Kind kind = Kind::Argmax;
  /// The scored output (logits or probabilities); empty when the loss's
  /// predictions are no output of the model: no accuracy then, but a
  /// cross-entropy's batches are still weighed by their scored positions.
  std::string outputName;
  std::string labelInput; ///< the input holding the labels
  /// Argmax: positions with this label are not scored (the loss's
  /// ignore_index, padding).
  std::optional<int64_t> ignoreIndex;
};

/// Correct predictions in `predictions` against `labels`, and how many were
/// scored (positions for argmax: samples, or the tokens of [n, t, c]
/// logits; elements for a threshold).
std::pair<int64_t, int64_t> countCorrect(const AccuracySpec &spec,
                                         rt::ConstTensorView predictions,
                                         rt::ConstTensorView labels);

/// For argmax: the positions of `labels` a cross-entropy scores (those not
/// at the ignore_index), which its mean loss is taken over.
int64_t scoredPositions(const AccuracySpec &spec, rt::ConstTensorView labels);

} // namespace nnc::train

#endif // NNC_TRAIN_ACCURACY_H
