//===- TokenSampler.cpp - Picking the next token from logits --------------===//

#include "runtime/TokenSampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

namespace nnc::rt {

TokenSampler::TokenSampler(const SamplingOptions &options)
    : options(options), random(options.seed) {}

Expected<int64_t> TokenSampler::next(const float *logits, int64_t vocabulary) {
  if (vocabulary <= 0)
    return Error::failure("there is no token to sample from");
  for (int64_t token = 0; token < vocabulary; ++token)
    if (std::isnan(logits[token]))
      return Error::failure("the model's logit for token " +
                            std::to_string(token) + " is NaN");
  order.resize(static_cast<size_t>(vocabulary));
  std::iota(order.begin(), order.end(), 0);
  // Most likely first; equal logits by token id, so the order is total.
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  float best = logits[order.front()];
  if (best == -INFINITY)
    return Error::failure("every token's logit is -inf: no token is possible");
  if (options.temperature <= 0 || vocabulary == 1)
    return order.front();
  size_t kept = options.topK > 0
                    ? std::min<size_t>(order.size(),
                                       static_cast<size_t>(options.topK))
                    : order.size();
  // Impossible tokens stay out of the draw, even as the rounding sliver's
  // last resort below.
  while (kept > 1 && logits[order[kept - 1]] == -INFINITY)
    --kept;
  // Infinitely likely tokens leave the others no weight: a draw among them.
  if (best == INFINITY) {
    size_t certain = 0;
    while (certain < kept && logits[order[certain]] == INFINITY)
      ++certain;
    return order[random.nextBelow(certain)];
  }
  weights.resize(kept);
  double total = 0;
  for (size_t i = 0; i < kept; ++i) {
    weights[i] = std::exp((static_cast<double>(logits[order[i]]) - best) /
                          options.temperature);
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
