//===- SemaProgramTest.cpp - Whole sources: examples, docs, limits --------===//

#include "SemaTestSupport.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace nnc::frontend;
using namespace nnc::frontend::test;

namespace {

TEST(SemaTest, SyntaxErrorsSkipSema) {
  Compiled c("let a = (\nlet b = nope\n");
  EXPECT_EQ(c.messages(), (Msgs{"1:10: expected an expression, found end of "
                                "line"}));
}

TEST(SemaTest, AModelNeedsAnOutputOrALoss) {
  EXPECT_EQ(Compiled("").messages(),
            (Msgs{"1:1: model has no outputs (declare one with 'output "
                  "NAME')"}));
  EXPECT_EQ(Compiled("input x: f32[1]\nlet y = x\n").messages().size(), 1u);
  Compiled lossOnly("input x: f32[2]\nloss = reduce_sum(x)\n");
  ASSERT_EQ(lossOnly.messages(), Msgs{});
  EXPECT_EQ(lossOnly.program->modelName, "model");
}

TEST(SemaTest, TooLargeSourceIsRejected) {
  FrontendLimits limits;
  limits.maxSourceBytes = 4;
  Compiled c("let a = 1\n", limits);
  EXPECT_EQ(c.messages(), (Msgs{"0:0: the source is too large (10 bytes; the "
                                "limit is 4)"}));
}

TEST(SemaTest, ExamplesCompile) {
  for (const char *name : {"mlp_digits", "lenet", "resnet_mlp", "sine", "xor",
                           "finetune_digits", "tiny_gpt"}) {
    std::ifstream in(std::string(NNC_SOURCE_DIR) + "/examples/" + name + ".nn");
    ASSERT_TRUE(in) << name;
    std::stringstream text;
    text << in.rdbuf();
    Compiled c(text.str());
    EXPECT_EQ(c.messages(), Msgs{}) << name;
  }
}

TEST(SemaTest, DocumentationExamplesCompile) {
  std::ifstream in(std::string(NNC_SOURCE_DIR) + "/docs/dsl.md");
  ASSERT_TRUE(in);
  std::string line, block;
  bool inBlock = false;
  int blocks = 0;
  while (std::getline(in, line)) {
    if (!inBlock && line == "```nn") {
      inBlock = true;
      block.clear();
    } else if (inBlock && line == "```") {
      inBlock = false;
      ++blocks;
      Compiled c(block);
      EXPECT_EQ(c.messages(), Msgs{}) << block;
    } else if (inBlock) {
      block += line + "\n";
    }
  }
  EXPECT_GE(blocks, 6);
}

} // namespace
