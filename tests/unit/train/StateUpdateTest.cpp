//===- StateUpdateTest.cpp - Training steps that update state in place ----===//
//
// A training step whose plan computes its parameter and optimizer-slot
// updates in place writes them over the state tensors it is given, and
// gives bitwise the same state as the same step run into its own result
// tensors and swapped in, which leaves the given state as it was.
//
//===----------------------------------------------------------------------===//

#include "driver/ModelSession.h"
#include "train/TrainingState.h"

#include "XorModel.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>

using namespace nnc;

namespace {

class StateUpdateTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(tests::openXorModel(session, data));
    // Adam: two optimizer slots per parameter besides the parameter.
    driver::GraphRequest request;
    request.kind = driver::GraphKind::TrainingStep;
    request.batch = 4;
    request.trainingOptions = {{"optimizer", "adam"}, {"lr", "0.1"}};
    rt::Expected<std::unique_ptr<train::CompiledGraph>> compiled =
        session->compile(request);
    ASSERT_TRUE(compiled.ok()) << compiled.message();
    step = std::move(*compiled);
    for (train::TrainingState *state : {&inPlace, &swapped}) {
      ASSERT_TRUE(state->params.initialize(session->program(), "", 0).ok());
      ASSERT_TRUE(train::zeroOptimizerState(*step, *state).ok());
      ASSERT_TRUE(train::createStepScalars(*state).ok());
      state->lr.data<float>()[0] = 0.1f;
    }
  }

  /// One step on `state`, its updates written in place when `inPlace`.
  void runStep(train::TrainingState &state, bool updateInPlace) {
    state.step.data<int64_t>()[0] += 1;
    auto lookup = [&](rt::BindingRole role,
                      const std::string &name) -> const rt::Tensor * {
      if (role == rt::BindingRole::Input) {
        auto it = data.find(name);
        return it == data.end() ? nullptr : &it->second;
      }
      return train::findStateTensor(state, role, name);
    };
    rt::Error ran =
        step->run(lookup, updateInPlace ? train::statesOf(state)
                                        : train::CompiledGraph::StateLookup());
    ASSERT_TRUE(ran.ok()) << ran.message();
    ASSERT_TRUE(train::swapInUpdates(*step, state).ok());
  }

  /// Every parameter and optimizer slot of `state` by name, with its data.
  static std::map<std::string, const rt::Tensor *>
  tensorsOf(const train::TrainingState &state) {
    std::map<std::string, const rt::Tensor *> tensors;
    for (const auto &[name, tensor] : state.params.values())
      tensors["param." + name] = &tensor;
    for (const auto &[name, tensor] : state.optimizerState)
      tensors["opt." + name] = &tensor;
    return tensors;
  }

  std::unique_ptr<driver::ModelSession> session;
  std::map<std::string, rt::Tensor> data;
  std::unique_ptr<train::CompiledGraph> step;
  train::TrainingState inPlace, swapped;
};

TEST_F(StateUpdateTest, InPlaceUpdatesMatchSwappedOnesBitForBit) {
  std::map<std::string, const void *> storage;
  for (const auto &[name, tensor] : tensorsOf(inPlace))
    storage[name] = tensor->rawData();
  ASSERT_EQ(storage.size(), 12u) << "4 parameters and 8 Adam slots";

  for (int i = 0; i < 3; ++i) {
    runStep(inPlace, true);
    runStep(swapped, false);
  }

  // Every update of this step is computed in place: the state kept its
  // storage, and the results say so.
  int updates = 0;
  for (const train::CompiledGraph::Result &result : step->results())
    if (result.role == rt::BindingRole::ParamUpdate ||
        result.role == rt::BindingRole::OptStateUpdate) {
      ++updates;
      EXPECT_FALSE(result.inPlace) << result.name << ": the last run swapped";
    }
  EXPECT_EQ(updates, 12);
  std::map<std::string, const rt::Tensor *> a = tensorsOf(inPlace),
                                            b = tensorsOf(swapped);
  for (const auto &[name, tensor] : a) {
    EXPECT_EQ(tensor->rawData(), storage[name]) << name << " moved";
    const rt::Tensor &other = *b.at(name);
    ASSERT_EQ(tensor->byteSize(), other.byteSize()) << name;
    EXPECT_EQ(
        std::memcmp(tensor->rawData(), other.rawData(), tensor->byteSize()), 0)
        << name << " differs";
  }
  // The steps did train: w1 moved away from its initial values.
  train::TrainingState fresh;
  ASSERT_TRUE(fresh.params.initialize(session->program(), "", 0).ok());
  const rt::Tensor *w1 = inPlace.params.find("w1");
  ASSERT_NE(w1, nullptr);
  EXPECT_NE(std::memcmp(w1->rawData(), fresh.params.find("w1")->rawData(),
                        w1->byteSize()),
            0);
}

TEST_F(StateUpdateTest, ResultsSayWhichUpdatesWereWrittenInPlace) {
  runStep(inPlace, true);
  for (const train::CompiledGraph::Result &result : step->results()) {
    bool update = result.role == rt::BindingRole::ParamUpdate ||
                  result.role == rt::BindingRole::OptStateUpdate;
    EXPECT_EQ(result.inPlace, update) << result.name;
  }
}

} // namespace
