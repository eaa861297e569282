//===- TokenSamplerTest.cpp - Temperature and top-k sampling --------------===//

#include "runtime/TokenSampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace nnc::rt;

namespace {

int64_t nextOf(TokenSampler &sampler, const float *logits, int64_t vocabulary) {
  Expected<int64_t> token = sampler.next(logits, vocabulary);
  EXPECT_TRUE(token.ok()) << token.message();
  return token.ok() ? *token : -1;
}

TEST(TokenSamplerTest, TemperatureZeroIsTheArgmaxAndTiesGoLow) {
  TokenSampler sampler({/*temperature=*/0, /*topK=*/0, /*seed=*/3});
  std::vector<float> logits = {0.5f, 2.0f, -1.0f, 2.0f};
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(nextOf(sampler, logits.data(), 4), 1);
}

TEST(TokenSamplerTest, TopOneIsGreedyAtAnyTemperature) {
  TokenSampler sampler({/*temperature=*/5, /*topK=*/1, /*seed=*/9});
  std::vector<float> logits = {0.1f, 0.2f, 3.0f};
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(nextOf(sampler, logits.data(), 3), 2);
}

TEST(TokenSamplerTest, TopKNeverDrawsOutsideTheK) {
  TokenSampler sampler({/*temperature=*/1, /*topK=*/2, /*seed=*/1});
  std::vector<float> logits = {1.0f, 0.0f, 1.1f, 0.9f, -INFINITY};
  for (int i = 0; i < 500; ++i) {
    int64_t token = nextOf(sampler, logits.data(), 5);
    EXPECT_TRUE(token == 0 || token == 2) << token;
  }
}

TEST(TokenSamplerTest, FrequenciesFollowTheSoftmax) {
  // p = softmax(log [1, 2, 7] / 1) = [0.1, 0.2, 0.7]; 20,000 draws put each
  // frequency within 0.015 of it (more than 4 standard deviations).
  TokenSampler sampler({/*temperature=*/1, /*topK=*/0, /*seed=*/42});
  std::vector<float> logits = {std::log(1.0f), std::log(2.0f),
                               std::log(7.0f)};
  std::vector<int> counts(3, 0);
  constexpr int kDraws = 20000;
  for (int i = 0; i < kDraws; ++i)
    ++counts[nextOf(sampler, logits.data(), 3)];
  EXPECT_NEAR(counts[0] / double(kDraws), 0.1, 0.015);
  EXPECT_NEAR(counts[1] / double(kDraws), 0.2, 0.015);
  EXPECT_NEAR(counts[2] / double(kDraws), 0.7, 0.015);
}

TEST(TokenSamplerTest, ASeedGivesTheSameDrawsAndAnotherSeedOthers) {
  std::vector<float> logits(256, 0.0f);
  auto draws = [&](uint64_t seed) {
    TokenSampler sampler({1, 0, seed});
    std::vector<int64_t> out;
    for (int i = 0; i < 64; ++i)
      out.push_back(nextOf(sampler, logits.data(), 256));
    return out;
  };
  EXPECT_EQ(draws(7), draws(7));
  EXPECT_NE(draws(7), draws(8));
}

TEST(TokenSamplerTest, AnInfiniteLogitIsCertainGreedyOrSampled) {
  std::vector<float> logits = {0.0f, INFINITY, 5.0f, INFINITY, -INFINITY};
  TokenSampler greedy({/*temperature=*/0, /*topK=*/0, /*seed=*/1});
  EXPECT_EQ(nextOf(greedy, logits.data(), 5), 1);
  // Sampled, the two +inf tokens share every draw between them.
  TokenSampler sampled({/*temperature=*/1, /*topK=*/0, /*seed=*/2});
  std::vector<int> counts(5, 0);
  for (int i = 0; i < 400; ++i)
    ++counts[nextOf(sampled, logits.data(), 5)];
  EXPECT_EQ(counts[1] + counts[3], 400);
  EXPECT_GT(counts[1], 100);
  EXPECT_GT(counts[3], 100);
}

TEST(TokenSamplerTest, NaNOrNoPossibleTokenIsAnError) {
  TokenSampler sampler({/*temperature=*/1, /*topK=*/0, /*seed=*/1});
  std::vector<float> nan = {0.0f, NAN, 1.0f};
  Expected<int64_t> token = sampler.next(nan.data(), 3);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.message(), "the model's logit for token 1 is NaN");
  std::vector<float> none = {-INFINITY, -INFINITY};
  token = sampler.next(none.data(), 2);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.message(),
            "every token's logit is -inf: no token is possible");
  EXPECT_FALSE(sampler.next(nullptr, 0).ok());
}

} // namespace
