//===- Accuracy.cpp - Scoring predictions against labels ------------------===//

#include "train/Accuracy.h"

#include <algorithm>

namespace nnc::train {

namespace {

template <typename T> double elementAt(rt::ConstTensorView view, int64_t i) {
  return static_cast<double>(view.data<T>()[i]);
}

double valueAt(rt::ConstTensorView view, int64_t i) {
  switch (view.dtype()) {
  case rt::DType::F32:
    return elementAt<float>(view, i);
  case rt::DType::F64:
    return elementAt<double>(view, i);
  case rt::DType::I32:
    return elementAt<int32_t>(view, i);
  case rt::DType::I64:
    return elementAt<int64_t>(view, i);
  case rt::DType::U8:
    return elementAt<uint8_t>(view, i);
  }
  return 0;
}

} // namespace

std::pair<int64_t, int64_t> countCorrect(const AccuracySpec &spec,
                                         rt::ConstTensorView p,
                                         rt::ConstTensorView l) {
  int64_t correct = 0;
  if (spec.kind == AccuracySpec::Kind::Threshold) {
    int64_t n = std::min(p.numElements(), l.numElements());
    for (int64_t i = 0; i < n; ++i)
      correct += (valueAt(p, i) >= 0.5) == (valueAt(l, i) >= 0.5);
    return {correct, n};
  }
  // Logits [n, ..., c] against one label per position.
  if (p.shape().size() < 2 || p.shape().back() == 0 ||
      l.numElements() * p.shape().back() != p.numElements())
    return {0, 0};
  int64_t rows = l.numElements(), classes = p.shape().back();
  int64_t scored = 0;
  for (int64_t r = 0; r < rows; ++r) {
    if (spec.ignoreIndex &&
        static_cast<int64_t>(valueAt(l, r)) == *spec.ignoreIndex)
      continue;
    ++scored;
    int64_t best = 0;
    for (int64_t c = 1; c < classes; ++c)
      if (valueAt(p, r * classes + c) > valueAt(p, r * classes + best))
        best = c;
    correct += best == static_cast<int64_t>(valueAt(l, r));
  }
  return {correct, scored};
}

int64_t scoredPositions(const AccuracySpec &spec, rt::ConstTensorView labels) {
  int64_t scored = 0;
  for (int64_t i = 0, n = labels.numElements(); i < n; ++i)
    scored += !spec.ignoreIndex ||
              static_cast<int64_t>(valueAt(labels, i)) != *spec.ignoreIndex;
  return scored;
}

} // namespace nnc::train
