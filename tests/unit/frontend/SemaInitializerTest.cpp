//===- SemaInitializerTest.cpp - Initializers and their seeds -------------===//

#include "SemaTestSupport.h"
#include "frontend/Sema.h"

#include <gtest/gtest.h>

#include <map>

using namespace nnc::frontend;
using namespace nnc::frontend::test;

namespace {

TEST(SemaTest, InitializersAndSeeds) {
  Compiled c("param a: f32[2, 3] = glorot(seed=1)\nparam b: f32[3]\n"
             "param c: f32[3] = uniform(-1, high=2)\n"
             "param d: f32[3] = normal(std=0.5)\n"
             "param e: f32[3] = constant(0.25)\nparam f: f32[2, 2] = kaiming\n"
             "param g: f32[2, 2] = xavier\noutput a\n");
  ASSERT_EQ(c.messages(), Msgs{});
  EXPECT_EQ(c.arg("a").init.kind, "glorot");
  EXPECT_EQ(c.arg("a").init.seed, 1);
  EXPECT_EQ(c.arg("b").init.kind, "zeros");
  EXPECT_EQ(c.arg("b").init.seed, defaultInitSeed("b"));
  EXPECT_EQ(c.arg("c").init.args,
            (std::map<std::string, double>{{"low", -1}, {"high", 2}}));
  EXPECT_EQ(c.arg("d").init.args,
            (std::map<std::string, double>{{"mean", 0}, {"std", 0.5}}));
  EXPECT_EQ(c.arg("e").init.args,
            (std::map<std::string, double>{{"value", 0.25}}));
  EXPECT_EQ(c.arg("f").init.kind, "he");
  EXPECT_EQ(c.arg("g").init.kind, "glorot");
}

TEST(SemaTest, DefaultSeedIsFnv1aOfTheQualifiedName) {
  // Reference values of 64-bit FNV-1a.
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(defaultInitSeed("a"),
            static_cast<int64_t>(0xaf63dc4c8601ec8cull & INT64_MAX));
  Compiled c(std::string(kDense) + kHeader + "output y = dense(x, 64, 2)\n");
  ASSERT_TRUE(c.program);
  EXPECT_EQ(c.arg("dense_0.w").init.seed, defaultInitSeed("dense_0.w"));
}

TEST(SemaTest, InitializerErrors) {
  Compiled c("param a: f32[2] = glorot\nparam b: f32[2] = magic\n"
             "param c: f32[2] = uniform(1, 2, 3)\n"
             "param d: f32[2] = normal(sd=1)\nparam e: f32[2] = constant\n"
             "param f: f32[2] = ones(seed=-1)\n"
             "param g: f32[2] = uniform(low=1, high=0)\n");
  EXPECT_EQ(c.messages(),
            (Msgs{"1:19: glorot: needs a tensor of rank 2 or more (for fan_in "
                  "and fan_out), got shape [2]",
                  "2:19: unknown initializer 'magic'; valid: zeros, ones, "
                  "constant, uniform, normal, glorot, xavier, he, kaiming, "
                  "tril, causal_mask",
                  "3:33: uniform: too many positional arguments (it takes 2)",
                  "4:26: normal: unknown argument 'sd'; valid arguments: "
                  "mean, std, seed",
                  "5:19: constant: missing argument 'value'",
                  "6:29: ones: seed must be a non-negative integer, got the "
                  "integer -1",
                  "7:19: uniform: low must not exceed high"}));
}

TEST(SemaTest, InitializersMustFitTheirTensorsType) {
  Compiled c("param a: i32[2] = constant(1.5)\n"
             "param b: i32[2] = normal\n"
             "param c: f32[2] = constant(1e300)\n"
             "param d: i32[2] = constant(2147483648)\n"
             "param e: i64[2] = constant(2147483648)\n"
             "param f: i32[2] = ones\n"
             "param g: f64[2] = constant(1e300)\n");
  EXPECT_EQ(c.messages(),
            (Msgs{"1:19: constant: 'value' 1.5 does not fit i32[2]",
                  "2:19: normal: needs a float tensor, got i32[2] (an integer "
                  "tensor takes zeros, ones or constant)",
                  "3:19: constant: 'value' 1e+300 does not fit f32[2]",
                  "4:19: constant: 'value' 2147483648 does not fit i32[2]"}));
}

} // namespace
