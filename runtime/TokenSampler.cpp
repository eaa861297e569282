//===- TokenSampler.cpp - Picking the next token from logits --------------===//

#include "runtime/TokenSampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace nnc::rt {

TokenSampler::TokenSampler(const SamplingOptions &options)
    : options(options), random(options.seed) {}

int64_t TokenSampler::next(const float *logits, int64_t vocabulary) {
  auto value = [&](int64_t token) {
    float logit = logits[token];
    return std::isfinite(logit) ? static_cast<double>(logit) : -INFINITY;
  };
  order.resize(static_cast<size_t>(vocabulary));
  std::iota(order.begin(), order.end(), 0);
  // Most likely first; equal logits by token id, so the order is total.
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    double va = value(a), vb = value(b);
    return va > vb || (va == vb && a < b);
  });
  if (options.temperature <= 0 || vocabulary == 1)
    return order.front();
  size_t kept = options.topK > 0
                    ? std::min<size_t>(order.size(),
                                       static_cast<size_t>(options.topK))
                    : order.size();
  double best = value(order.front());
  if (!std::isfinite(best))
    return order.front();
  weights.resize(kept);
  double total = 0;
  for (size_t i = 0; i < kept; ++i) {
    weights[i] = std::exp((value(order[i]) - best) / options.temperature);
    total += weights[i];
  }
  double target = random.nextUnit() * total;
  for (size_t i = 0; i < kept; ++i) {
    target -= weights[i];
    if (target < 0)
      return order[i];
  }
  // Rounding left a sliver past the last weight: the last kept token.
  return order[kept - 1];
}

} // namespace nnc::rt
