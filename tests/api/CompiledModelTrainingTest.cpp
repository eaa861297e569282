//===- CompiledModelTrainingTest.cpp - train() of the C++ compiler API ----===//
//
// train() against the gradient grad() gives: one plain-SGD step over xor's
// four samples, whole, accumulated, clipped and steered by a gradient
// hook; the train section's seed; frozen parameters and each epoch's
// evaluation against evaluate(); and callbacks that throw or call their
// own model, each ending the run with a Status.
//
//===----------------------------------------------------------------------===//

#include "CompiledModelTestSupport.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <stdexcept>

using namespace nnc::api::test;

namespace {

TEST(CompiledModelTest, TheTrainSectionsSeedIsTheDefault) {
  // As `nnc train` does: unset, the seed is the model's train section's,
  // for the parameters drawn at compile and the shuffling of train().
  std::string dir = scratchDir("train-seed");
  std::ifstream in(kExamples + "/mlp_digits.nn");
  std::string source((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
  size_t at = source.find("seed = 0");
  ASSERT_NE(at, std::string::npos);
  source.replace(at, 8, "seed = 5");
  std::ofstream(dir + "/seed5.nn") << source;
  auto w1Of = [&](std::optional<uint64_t> seed,
                  std::optional<uint64_t> trainSeed) {
    nnc::CompileOptions options;
    options.seed = seed;
    nnc::Status status;
    std::unique_ptr<nnc::CompiledModel> model =
        nnc::CompiledModel::compile(dir + "/seed5.nn", status, options);
    EXPECT_TRUE(model) << status.message();
    if (!model)
      return std::vector<float>();
    nnc::Tensor x = npy("digits_test_x.npy"), y = npy("digits_test_y.npy");
    nnc::TrainOptions train;
    train.epochs = 1;
    train.seed = trainSeed;
    EXPECT_TRUE(
        model->train({{"x", x.view()}, {"labels", y.view()}}, train).ok());
    nnc::Tensor w1;
    EXPECT_TRUE(model->parameter("w1", w1).ok());
    return std::vector<float>(w1.dataAs<float>(),
                              w1.dataAs<float>() + w1.numElements());
  };
  std::vector<float> byDefault = w1Of(std::nullopt, std::nullopt);
  EXPECT_EQ(byDefault, w1Of(5, 5));
  EXPECT_NE(byDefault, w1Of(0, 5));
  EXPECT_NE(byDefault, w1Of(5, 0));
}

std::vector<float> valuesOf(const nnc::Tensor &tensor) {
  const float *data = tensor.dataAs<float>();
  return std::vector<float>(data, data + tensor.numElements());
}

/// xor.nn compiled, its four samples, the gradient grad() gives at its
/// initial parameters, and the options of one plain-SGD step over them all.
struct OneSgdStep {
  std::unique_ptr<nnc::CompiledModel> model;
  nnc::Tensor x, y;
  std::map<std::string, nnc::TensorView> data;
  std::map<std::string, nnc::Tensor> grads;
  std::map<std::string, std::vector<float>> before;
  nnc::TrainOptions options;
  static constexpr float kLr = 0.5f;

  void SetUp() {
    model = compileExample("xor.nn", {});
    ASSERT_TRUE(model);
    x = npy("xor_x.npy");
    y = npy("xor_y.npy");
    data = {{"x", x.view()}, {"y", y.view()}};
    nnc::Status status = model->grad(data, grads);
    ASSERT_TRUE(status.ok()) << status.message();
    for (const std::string &name : model->parameterNames()) {
      nnc::Tensor value;
      ASSERT_TRUE(model->parameter(name, value).ok());
      before[name] = valuesOf(value);
    }
    options.epochs = 1;
    options.batch = x.shape()[0];
    options.lr = kLr;
    options.optimizer = "sgd";
    options.shuffle = false;
  }

  /// Every parameter moved by -lr times `scale` times its gradient.
  void expectMovedBy(float scale) {
    for (const auto &[name, start] : before) {
      nnc::Tensor trained;
      ASSERT_TRUE(model->parameter(name, trained).ok());
      std::vector<float> after = valuesOf(trained);
      std::vector<float> grad = valuesOf(grads.at("grad_" + name));
      ASSERT_EQ(after.size(), start.size());
      for (size_t i = 0; i < after.size(); ++i)
        EXPECT_NEAR(after[i], start[i] - scale * kLr * grad[i], 1e-6f)
            << name << "[" << i << "]";
    }
  }
};

// One epoch of plain SGD over one full batch is one step: every parameter
// moves by -lr times the gradient that grad() gives at the start.
TEST(CompiledModelTest, OneFullBatchEpochOfSgdIsOneGradientStep) {
  OneSgdStep s;
  ASSERT_NO_FATAL_FAILURE(s.SetUp());
  std::vector<nnc::EpochResult> epochs;
  nnc::Status status =
      s.model->train(s.data, s.options, [&](const nnc::EpochResult &epoch) {
        epochs.push_back(epoch);
      });
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(epochs.size(), 1u);
  EXPECT_NEAR(epochs[0].loss, *s.grads.at("loss").dataAs<float>(), 1e-6);
  s.expectMovedBy(1.0f);
}

// Two batches of 2 accumulated make one step with the mean gradient of all
// 4 samples: the full batch's step.
TEST(CompiledModelTest, AccumulatedBatchesMakeTheFullBatchStep) {
  OneSgdStep s;
  ASSERT_NO_FATAL_FAILURE(s.SetUp());
  s.options.batch = s.x.shape()[0] / 2;
  s.options.accumulate = 2;
  nnc::Status status = s.model->train(s.data, s.options);
  ASSERT_TRUE(status.ok()) << status.message();
  s.expectMovedBy(1.0f);
}

// A clip below the gradient's global norm scales the whole step down to it.
TEST(CompiledModelTest, AClipScalesTheStepToTheNorm) {
  OneSgdStep s;
  ASSERT_NO_FATAL_FAILURE(s.SetUp());
  double squares = 0;
  for (const std::string &name : s.model->parameterNames())
    for (float g : valuesOf(s.grads.at("grad_" + name)))
      squares += double(g) * g;
  double norm = std::sqrt(squares);
  ASSERT_GT(norm, 0.0);
  s.options.clipNorm = norm / 4;
  nnc::Status status = s.model->train(s.data, s.options);
  ASSERT_TRUE(status.ok()) << status.message();
  s.expectMovedBy(0.25f);
  s.options.clipNorm = -1;
  status = s.model->train(s.data, s.options);
  EXPECT_EQ(status.message(),
            "--clip-norm must be 0 (no clipping) or more, not -1");
}

TEST(CompiledModelTest, AGradientHookSeesTheGradientsAndSteersTheStep) {
  OneSgdStep s;
  ASSERT_NO_FATAL_FAILURE(s.SetUp());
  // A hook that doubles the gradients it is shown, which must be grad()'s:
  // the step moves twice as far.
  std::vector<std::string> seen;
  s.options.afterGradients =
      [&](int64_t step,
          const std::map<std::string, nnc::MutableTensorView> &gradients) {
        EXPECT_EQ(step, 1);
        for (const auto &[name, view] : gradients) {
          seen.push_back(name);
          std::vector<float> expected = valuesOf(s.grads.at("grad_" + name));
          float *values = static_cast<float *>(view.data);
          EXPECT_EQ(view.dtype, nnc::DType::F32);
          for (size_t i = 0; i < expected.size(); ++i) {
            EXPECT_NEAR(values[i], expected[i], 1e-6f) << name;
            values[i] *= 2.0f;
          }
        }
        return nnc::Status();
      };
  std::vector<nnc::StepResult> steps;
  s.options.onStep = [&](const nnc::StepResult &step) {
    steps.push_back(step);
  };
  nnc::Status status = s.model->train(s.data, s.options);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(seen, (std::vector<std::string>{"b1", "b2", "w1", "w2"}));
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].step, 1);
  EXPECT_EQ(steps[0].samples, s.x.shape()[0]);
  EXPECT_NEAR(steps[0].loss, *s.grads.at("loss").dataAs<float>(), 1e-6);
  s.expectMovedBy(2.0f);

  // A failing hook ends training with its status.
  s.options.afterGradients =
      [](int64_t, const std::map<std::string, nnc::MutableTensorView> &) {
        return nnc::Status::failure("stopped by the hook");
      };
  status = s.model->train(s.data, s.options);
  EXPECT_EQ(status.message(), "stopped by the hook");
}

TEST(CompiledModelTest, TrainingLowersTheLossAndHoldsFrozenParameters) {
  std::unique_ptr<nnc::CompiledModel> model =
      compileExample("mlp_digits.nn", {});
  ASSERT_TRUE(model);
  nnc::Tensor x = npy("digits_train_x.npy"), y = npy("digits_train_y.npy");
  nnc::Tensor testX = npy("digits_test_x.npy");
  nnc::Tensor testY = npy("digits_test_y.npy");
  nnc::Tensor w1;
  ASSERT_TRUE(model->parameter("w1", w1).ok());
  std::vector<float> frozen = valuesOf(w1);

  nnc::TrainOptions options;
  options.epochs = 3;
  options.freeze = {"w1"};
  options.evalData = {{"x", testX.view()}, {"labels", testY.view()}};
  std::vector<nnc::EpochResult> epochs;
  nnc::Status status = model->train(
      {{"x", x.view()}, {"labels", y.view()}}, options,
      [&](const nnc::EpochResult &epoch) { epochs.push_back(epoch); });
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(epochs.size(), 3u);
  for (size_t i = 0; i < epochs.size(); ++i) {
    EXPECT_EQ(epochs[i].epoch, static_cast<int64_t>(i) + 1);
    ASSERT_TRUE(epochs[i].evalLoss && epochs[i].accuracy);
  }
  EXPECT_LT(epochs[2].loss, epochs[0].loss);
  ASSERT_TRUE(model->parameter("w1", w1).ok());
  EXPECT_EQ(valuesOf(w1), frozen);

  // The last epoch's evaluation is what evaluate() says of the model now.
  nnc::Metrics metrics;
  status =
      model->evaluate({{"x", testX.view()}, {"labels", testY.view()}}, metrics);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_NEAR(metrics.loss, *epochs[2].evalLoss, 1e-5);
  EXPECT_NEAR(*metrics.accuracy, *epochs[2].evalAccuracy, 1e-9);
}

/// xor's four samples, as the views train() and run() take.
struct XorData {
  std::vector<float> x = {0, 0, 0, 1, 1, 0, 1, 1}, y = {0, 1, 1, 0};
  std::map<std::string, nnc::TensorView> views = {
      {"x", {x.data(), nnc::DType::F32, {4, 2}}},
      {"y", {y.data(), nnc::DType::F32, {4, 1}}}};
};

TEST(CompiledModelTest, AThrowingCallbackEndsTrainingWithAStatus) {
  std::unique_ptr<nnc::CompiledModel> model = compileExample("xor.nn", {});
  ASSERT_TRUE(model);
  XorData xor4;
  const std::map<std::string, nnc::TensorView> &data = xor4.views;
  nnc::Tensor before;
  ASSERT_TRUE(model->parameter("w1", before).ok());
  // Each exception stops training at once and comes back as the call's
  // status; the model stays usable (a second call once waited forever on
  // its lock).
  int calls = 0;
  nnc::TrainOptions onStep;
  onStep.epochs = 3;
  onStep.onStep = [&](const nnc::StepResult &) {
    ++calls;
    throw std::runtime_error("from onStep");
  };
  nnc::Status status = model->train(data, onStep);
  EXPECT_EQ(status.message(), "the onStep callback threw: from onStep");
  EXPECT_EQ(calls, 1);
  // The step taken before the throw stays in the parameters (a failed call
  // used to leave the values it began with).
  nnc::Tensor after;
  ASSERT_TRUE(model->parameter("w1", after).ok());
  ASSERT_EQ(after.numElements(), before.numElements());
  EXPECT_NE(std::memcmp(after.data(), before.data(),
                        sizeof(float) * before.numElements()),
            0);

  nnc::TrainOptions twoEpochs;
  twoEpochs.epochs = 2;
  calls = 0;
  status = model->train(data, twoEpochs, [&](const nnc::EpochResult &) {
    ++calls;
    throw 42;
  });
  EXPECT_EQ(status.message(), "the onEpoch callback threw an exception");
  EXPECT_EQ(calls, 1);

  nnc::TrainOptions afterGradients;
  afterGradients.epochs = 1;
  afterGradients.afterGradients =
      [](int64_t,
         const std::map<std::string, nnc::MutableTensorView> &) -> nnc::Status {
    throw std::logic_error("from afterGradients");
  };
  status = model->train(data, afterGradients);
  EXPECT_EQ(status.message(),
            "the afterGradients callback threw: from afterGradients");

  std::map<std::string, nnc::Tensor> results;
  status = model->run(data, results);
  EXPECT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(model->parameterNames().size(), 4u);
}

TEST(CompiledModelTest, ACallbackCallingItsOwnModelIsRefusedNotDeadlocked) {
  // train() holds the model while its callbacks run; a call on the same
  // model from one of them waited for ever on that lock.
  std::unique_ptr<nnc::CompiledModel> model = compileExample("xor.nn", {});
  ASSERT_TRUE(model);
  XorData xor4;
  const std::map<std::string, nnc::TensorView> &data = xor4.views;
  nnc::Status fromRun, fromParameter;
  size_t names = 0;
  nnc::TrainOptions options;
  options.epochs = 1;
  options.onStep = [&](const nnc::StepResult &) {
    std::map<std::string, nnc::Tensor> results;
    fromRun = model->run(data, results);
    nnc::Tensor w1;
    fromParameter = model->parameter("w1", w1);
    names = model->parameterNames().size();
  };
  nnc::Status status = model->train(data, options);
  EXPECT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(fromRun.message(),
            "run was called from inside the model's own train() callback, "
            "which holds the model until training ends; use what the "
            "callback is given, or call it after train() returns");
  EXPECT_FALSE(fromParameter.ok());
  EXPECT_EQ(names, 4u);
  // After train() returns the model takes calls again.
  std::map<std::string, nnc::Tensor> results;
  EXPECT_TRUE(model->run(data, results).ok());
}

} // namespace
