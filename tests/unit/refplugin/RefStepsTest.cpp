//===- RefStepsTest.cpp - The ref interpreter's table and its encoding ----===//
//
// Every op the dialect compiles has a row; a step is checked against its
// row (operands, results, attributes) when it is built or read, with a
// message naming the op; and the FlatBuffers encoding round-trips programs
// and refuses what it did not write.
//
//===----------------------------------------------------------------------===//

#include "backends/ref/RefProgram.h"
#include "backends/ref/RefSerializer.h"
#include "ir/NNOpFacts.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

using namespace nnc;
using namespace nnc::ref;

namespace {

TEST(RefStepsTest, EveryCompiledOpHasARow) {
  // nn.constant becomes a constant slot and nn.fusion an outlined kernel
  // function: neither is ever a step.
  const std::set<std::string> notSteps = {"nn.constant", "nn.fusion"};
  int checked = 0;
  for (const char *const *name = nn::compiledOpNames(); *name; ++name) {
    if (notSteps.count(*name))
      continue;
    EXPECT_NE(findStepRow(*name), nullptr) << *name;
    ++checked;
  }
  EXPECT_GT(checked, 40);
}

TEST(RefStepsTest, RowsHaveDistinctNames) {
  std::set<std::string> names;
  for (const StepRow &row : allStepRows())
    EXPECT_TRUE(names.insert(row.op).second) << row.op;
}

/// A conv2d step over slots 0 (x), 1 (w) into 2 with the attributes given.
Step convStep(StepAttrs attrs) {
  Step step;
  step.op = "nn.conv2d";
  step.inputs = {0, 1};
  step.outputs = {2};
  step.attrs = std::move(attrs);
  return step;
}

StepAttrs convAttrs() {
  return {{"stride", std::vector<int64_t>{1, 1}},
          {"padding", std::vector<int64_t>{0, 0}},
          {"dilation", std::vector<int64_t>{1, 1}},
          {"groups", int64_t{1}}};
}

TEST(RefStepsTest, StepsAreCheckedAgainstTheirRow) {
  Step good = convStep(convAttrs());
  EXPECT_TRUE(prepareStep(good).ok());
  EXPECT_EQ(good.row, findStepRow("nn.conv2d"));

  StepAttrs noGroups = convAttrs();
  noGroups.erase("groups");
  Step missing = convStep(noGroups);
  EXPECT_EQ(prepareStep(missing).message(),
            "nn.conv2d: missing attribute 'groups'");

  StepAttrs realStride = convAttrs();
  realStride["stride"] = 2.0;
  Step wrongKind = convStep(realStride);
  EXPECT_EQ(prepareStep(wrongKind).message(),
            "nn.conv2d: attribute 'stride' is not a list of integers");

  StepAttrs longStride = convAttrs();
  longStride["stride"] = std::vector<int64_t>{1, 1, 1};
  Step wrongLength = convStep(longStride);
  EXPECT_EQ(prepareStep(wrongLength).message(),
            "nn.conv2d: attribute 'stride' needs two values, has 3");

  Step oneOperand = convStep(convAttrs());
  oneOperand.inputs = {0};
  EXPECT_EQ(prepareStep(oneOperand).message(),
            "nn.conv2d: takes 1 operands and 1 results, which do not fit the "
            "op");

  Step unknown;
  unknown.op = "nn.nosuch";
  unknown.inputs = {0};
  unknown.outputs = {1};
  EXPECT_EQ(prepareStep(unknown).message(),
            "op 'nn.nosuch' has no kernel in the ref interpreter");
}

/// y = leaky_relu(x + c) over f32[2, 2], c a constant: every slot kind and
/// a real attribute.
Program leakyProgram(std::string op = "nn.leaky_relu") {
  Program program;
  program.name = "kernel_0";
  program.numBuffers = 2;
  rt::Shape shape{2, 2};
  program.slots = {{SlotKind::Buffer, rt::DType::F32, shape, 0},
                   {SlotKind::Constant, rt::DType::F32, shape, 0},
                   {SlotKind::Temp, rt::DType::F32, shape, 0},
                   {SlotKind::Buffer, rt::DType::F32, shape, 1}};
  program.constants.push_back(
      rt::Tensor::fromVector<float>(shape, {1, -1, 2, -2}));
  Step add;
  add.op = "nn.add";
  add.inputs = {0, 1};
  add.outputs = {2};
  Step leaky;
  leaky.op = std::move(op);
  leaky.inputs = {2};
  leaky.outputs = {3};
  leaky.attrs = {{"alpha", 0.5}};
  program.steps = {add, leaky};
  return program;
}

/// The bytes of `program` alone.
std::string serialize(Program program) {
  std::vector<Program> programs;
  programs.push_back(std::move(program));
  return serializePrograms(programs);
}

std::vector<float> run(const Program &program, std::vector<float> x) {
  std::vector<float> y(4, 0.0f);
  void *buffers[] = {x.data(), y.data()};
  rt::Error error = runProgram(program, buffers);
  EXPECT_TRUE(error.ok()) << error.message();
  return y;
}

TEST(RefSerializerTest, RoundTripRunsTheSame) {
  std::string bytes = serialize(leakyProgram());
  rt::Expected<std::vector<Program>> programs =
      deserializePrograms(bytes.data(), bytes.size());
  ASSERT_TRUE(programs.ok()) << programs.message();
  ASSERT_EQ(programs->size(), 1u);
  const Program &read = programs->front();
  EXPECT_EQ(read.name, "kernel_0");
  ASSERT_EQ(read.steps.size(), 2u);
  EXPECT_EQ(std::get<double>(read.steps[1].attrs.at("alpha")), 0.5);
  // (x + c) with leaky slope 0.5 below zero.
  EXPECT_EQ(run(read, {1, 1, -4, 0}), (std::vector<float>{2, 0, -1, -1}));
  // Reserializing gives the same bytes: nothing is lost or reordered.
  EXPECT_EQ(serializePrograms(*programs), bytes);
}

TEST(RefSerializerTest, UnknownOpIsRefusedByName) {
  std::string bytes = serialize(leakyProgram("nn.nosuch"));
  rt::Expected<std::vector<Program>> programs =
      deserializePrograms(bytes.data(), bytes.size());
  ASSERT_FALSE(programs.ok());
  EXPECT_EQ(programs.message(),
            "ref executable: kernel 0: step 1: op 'nn.nosuch' has no kernel "
            "in the ref interpreter");
}

TEST(RefSerializerTest, CorruptionAndTheOldFormatAreRefused) {
  std::string bytes = serialize(leakyProgram());
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x10;
  rt::Expected<std::vector<Program>> corrupt =
      deserializePrograms(flipped.data(), flipped.size());
  ASSERT_FALSE(corrupt.ok());
  EXPECT_NE(corrupt.message().find("digest"), std::string::npos);

  std::string format1("NNCREF\0\0\1\0\0\0", 12);
  format1.append(16, '\0');
  rt::Expected<std::vector<Program>> old =
      deserializePrograms(format1.data(), format1.size());
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.message().find("compile the model again"), std::string::npos);
}

} // namespace
