//===- SemaTrainingTest.cpp - The train section and freeze patterns -------===//

#include "SemaTestSupport.h"
#include "frontend/Sema.h"

#include <gtest/gtest.h>

#include <map>

using namespace nnc::frontend;
using namespace nnc::frontend::test;

namespace {

TEST(SemaTest, AFreezePatternMatchingNoParameterSaysWhatItMayHaveMeant) {
  Compiled c("input x: f32[B, 4]\nparam w_1: f32[4, 4] = ones\n"
             "buffer mean: f32[4] = zeros\noutput y = x @ w_1 + mean\n"
             "loss = reduce_sum(y)\n"
             "train {\n  freeze mean, nothing\n}\n");
  EXPECT_EQ(c.messages(),
            (Msgs{"7:10: freeze pattern 'mean' matches no parameter; 'mean' "
                  "is a buffer, which has no gradient to freeze (a "
                  "batch_norm statistic still follows the batches)",
                  "7:16: freeze pattern 'nothing' matches no parameter"}));
  // --freeze patterns come from the command line, where '?' can be typed.
  EXPECT_EQ(unmatchedFreezePattern("w_?", {"mean"}, {"w_1"}),
            "matches no parameter (only * is a wildcard)");
  EXPECT_EQ(unmatchedFreezePattern("block.*", {}, {"block_0_weight"}),
            "matches no parameter; did you mean 'block_*'? (an imported "
            "model's names have '_' for '.')");
  EXPECT_EQ(unmatchedFreezePattern("block.*", {}, {"head_weight"}),
            "matches no parameter");
}

TEST(SemaTest, TrainingSection) {
  Compiled c(std::string(kDense) + kHeader +
             "input l: i32[B]\n"
             "let h = dense(dense(x, 64, 32), 32, 10)\n"
             "loss = softmax_cross_entropy(h, l)\n"
             "train {\n  optimizer = adam(lr=0.01, beta2=0.99)\n"
             "  epochs = 3\n  batch = 16\n  freeze dense_0.*\n}\n");
  ASSERT_EQ(c.messages(), Msgs{});
  const TrainingConfig &t = c.program->training;
  EXPECT_TRUE(t.present);
  EXPECT_EQ(t.optimizer, "adam");
  EXPECT_EQ(t.hyper, (std::map<std::string, double>{{"lr", 0.01},
                                                    {"beta1", 0.9},
                                                    {"beta2", 0.99},
                                                    {"eps", 1e-8},
                                                    {"weight_decay", 0}}));
  EXPECT_EQ(std::get<int64_t>(t.settings.at("epochs")), 3);
  EXPECT_EQ(std::get<int64_t>(t.settings.at("batch")), 16);
  EXPECT_EQ(t.settings.count("seed"), 0u);
  EXPECT_EQ(t.frozenPatterns, (std::vector<std::string>{"dense_0.*"}));
  EXPECT_TRUE(c.arg("dense_0.w").frozen);
  EXPECT_TRUE(c.arg("dense_0.b").frozen);
  EXPECT_FALSE(c.arg("dense_1.w").frozen);
  EXPECT_FALSE(c.arg("x").frozen);
}

TEST(SemaTest, TrainingErrors) {
  Compiled c(std::string(kHeader) +
             "param w: f32[64, 1]\n"
             "loss = reduce_mean(x @ w)\n"
             "train {\n  optimizer = rmsprop(lr=1)\n  epochs = 0\n"
             "  epochs = 2\n  speed = 3\n  freeze nothing_*, w\n}\n"
             "train { }\n");
  EXPECT_EQ(
      c.messages(),
      (Msgs{
          "11:1: only one train block is allowed (the first is at "
          "4:1)",
          "5:15: unknown optimizer 'rmsprop'; valid: sgd, momentum, nesterov, "
          "adam, adamw",
          "6:12: 'epochs' must be an integer of at least 1, got 0",
          "7:3: training setting 'epochs' is already given",
          "8:3: unknown training setting 'speed'; valid settings: "
          "optimizer, epochs, batch, seed",
          "9:10: freeze pattern 'nothing_*' matches no parameter"}));
  Compiled hyper(std::string(kHeader) +
                 "loss = reduce_sum(x)\n"
                 "train { optimizer = sgd(lr=0.1, beta1=0.9) }\n");
  EXPECT_EQ(hyper.messages(),
            (Msgs{"3:33: sgd: unknown hyperparameter 'beta1'; valid: lr, "
                  "momentum, weight_decay"}));
  // Rates of decay of 1 or more, and an eps of 0, are named at the value.
  Compiled ranges(std::string(kHeader) +
                  "loss = reduce_sum(x)\n"
                  "train { optimizer = adamw(lr=0.1, beta1=1.0, eps=0) }\n");
  EXPECT_EQ(ranges.messages(), (Msgs{"3:41: adamw: 'beta1' must be below 1",
                                     "3:50: adamw: eps must be positive"}));
  Compiled momentum(std::string(kHeader) +
                    "loss = reduce_sum(x)\n"
                    "train { optimizer = momentum(lr=0.1, momentum=1.5) }\n");
  EXPECT_EQ(momentum.messages(),
            (Msgs{"3:47: momentum: 'momentum' must be below 1"}));
  Compiled noLoss("train { epochs = 1 }\n");
  EXPECT_EQ(noLoss.messages(),
            (Msgs{"1:1: the train block needs a loss (loss = ...)"}));
}

TEST(SemaTest, GlobMatching) {
  EXPECT_TRUE(matchesGlob("*", "a.b"));
  EXPECT_TRUE(matchesGlob("block_*.w", "block_12.w"));
  EXPECT_TRUE(matchesGlob("*.w", "outer_0.inner_1.w"));
  EXPECT_FALSE(matchesGlob("*.w", "outer_0.w1"));
  EXPECT_TRUE(matchesGlob("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(matchesGlob("a*b*c", "aXbYbZ"));
  EXPECT_FALSE(matchesGlob("w", "w1"));
  EXPECT_TRUE(matchesGlob("w**", "w"));
}

TEST(SemaTest, TheTrainBatchIsBoundedAsAnExtent) {
  // Accepted by check, it failed at some matmul once a command made the
  // batch, in the verifier's words.
  Compiled c(std::string(kHeader) + "loss = reduce_mean(x)\n" +
             "train { batch = 1099511627777 }\n");
  EXPECT_EQ(c.messages(),
            (Msgs{"3:17: 'batch' must be an integer of at least 1 and at most "
                  "1099511627776, got 1099511627777"}));
}

} // namespace
