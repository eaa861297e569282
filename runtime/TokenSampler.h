//===- TokenSampler.h - Picking the next token from logits ------*- C++ -*-===//
//
// Sampling for text generation, as PyTorch users know it: logits divided by
// a temperature, cut to the k most likely tokens, then a draw from their
// softmax. Temperature 0 is greedy: the most likely token, always.
//
// The draws come from the runtime's seeded SplitMix64 (SplitMix64.h), not
// <random>'s distributions, whose results differ between standard
// libraries, so a seed gives the same text on every machine.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_TOKENSAMPLER_H
#define NNC_RUNTIME_TOKENSAMPLER_H

#include "runtime/SplitMix64.h"
#include "runtime/Status.h"

#include <cstdint>
#include <vector>

namespace nnc::rt {

struct SamplingOptions {
  /// Divides the logits; 0 picks the most likely token.
  double temperature = 1.0;
  /// Draws among the k most likely tokens; 0 among all.
  int64_t topK = 0;
  uint64_t seed = 0;
};

class TokenSampler {
public:
  explicit TokenSampler(const SamplingOptions &options);

  /// The next token given one position's logits over the vocabulary. Ties
  /// go to the lower token id. A -inf logit is a token never drawn, a +inf
  /// one certain (a draw among the +inf tokens when there are several); a
  /// NaN, or every logit -inf, is an error, not a token made up.
  Expected<int64_t> next(const float *logits, int64_t vocabulary);

private:
  SamplingOptions options;
  SplitMix64 random;
  std::vector<int64_t> order;
  std::vector<double> weights;
};

} // namespace nnc::rt

#endif // NNC_RUNTIME_TOKENSAMPLER_H
