//===- CompiledModelTest.cpp - The C++ compiler API (api/compiler.h) ------===//
//
// libnnc_compiler against independent truths: gradients against central
// differences of the loss that run() gives, evaluation against the loss
// and argmax of one whole-set run, and a saved artifact against the model
// it came from, bit for bit, through libnnc. And its errors: each a Status
// with the compiler's diagnostic, nothing printed.
//
//===----------------------------------------------------------------------===//

#include "api/compiler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <thread>

namespace {

const std::string kExamples = NNC_EXAMPLES_DIR;

nnc::Tensor npy(const std::string &name) {
  nnc::Tensor tensor;
  nnc::Status status = nnc::readNpy(kExamples + "/data/" + name, tensor);
  EXPECT_TRUE(status.ok()) << status.message();
  return tensor;
}

std::unique_ptr<nnc::CompiledModel>
compileExample(const std::string &name, const nnc::CompileOptions &options) {
  nnc::Status status;
  std::unique_ptr<nnc::CompiledModel> model =
      nnc::CompiledModel::compile(kExamples + "/" + name, status, options);
  EXPECT_TRUE(model && status.ok()) << status.message();
  return model;
}

/// A fresh folder under the test's temporary directory.
std::string scratchDir(const std::string &name) {
  std::string dir = ::testing::TempDir() + "nnc-compiler-api-" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

bool sameBytes(const nnc::Tensor &a, const nnc::Tensor &b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.data(), b.data(),
                     static_cast<size_t>(a.numElements()) * 4) == 0;
}

float lossOf(nnc::CompiledModel &model,
             const std::map<std::string, nnc::TensorView> &inputs) {
  std::map<std::string, nnc::Tensor> results;
  nnc::Status status = model.run(inputs, results);
  EXPECT_TRUE(status.ok()) << status.message();
  return results.count("loss") ? *results.at("loss").dataAs<float>() : NAN;
}

TEST(CompiledModelTest, DescribesTheModel) {
  std::unique_ptr<nnc::CompiledModel> model =
      compileExample("mlp_digits.nn", {});
  ASSERT_TRUE(model);
  ASSERT_EQ(model->inputs().size(), 2u);
  EXPECT_EQ(model->inputs()[0].name, "x");
  EXPECT_EQ(model->inputs()[0].shape, (std::vector<int64_t>{-1, 64}));
  EXPECT_TRUE(model->inputs()[0].batched);
  EXPECT_EQ(model->inputs()[1].dtype, nnc::DType::I32);
  ASSERT_EQ(model->outputs().size(), 2u);
  EXPECT_EQ(model->outputs()[0].name, "logits");
  EXPECT_EQ(model->parameterNames(),
            (std::vector<std::string>{"b1", "b2", "w1", "w2"}));
  EXPECT_FALSE(model->backend().empty());
}

TEST(CompiledModelTest, AFailedRunOrGradLeavesNoEarlierResults) {
  std::unique_ptr<nnc::CompiledModel> model =
      compileExample("mlp_digits.nn", {});
  ASSERT_TRUE(model);
  nnc::Tensor x = npy("digits_test_x.npy"), y = npy("digits_test_y.npy");
  std::vector<float> wrong(4 * 63);
  nnc::TensorView bad{wrong.data(), nnc::DType::F32, {4, 63}};
  std::map<std::string, nnc::Tensor> results;
  ASSERT_TRUE(model->run({{"x", x.view()}}, results).ok());
  ASSERT_FALSE(results.empty());
  EXPECT_FALSE(model->run({{"x", bad}}, results).ok());
  EXPECT_TRUE(results.empty());
  ASSERT_TRUE(
      model->grad({{"x", x.view()}, {"labels", y.view()}}, results).ok());
  ASSERT_FALSE(results.empty());
  EXPECT_FALSE(model->grad({{"x", bad}, {"labels", y.view()}}, results).ok());
  EXPECT_TRUE(results.empty());
}

TEST(CompiledModelTest, GradientsMatchCentralDifferencesOfTheRunLoss) {
  std::unique_ptr<nnc::CompiledModel> model = compileExample("sine.nn", {});
  ASSERT_TRUE(model);
  nnc::Tensor x = npy("sine_x.npy"), y = npy("sine_y.npy");
  std::map<std::string, nnc::TensorView> inputs = {{"x", x.view()},
                                                   {"y", y.view()}};
  std::map<std::string, nnc::Tensor> grads;
  nnc::Status status = model->grad(inputs, grads);
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_TRUE(grads.count("loss"));
  EXPECT_NEAR(*grads.at("loss").dataAs<float>(), lossOf(*model, inputs), 1e-6);

  const float eps = 1e-2f;
  int checked = 0;
  for (const std::string &name : model->parameterNames()) {
    ASSERT_TRUE(grads.count("grad_" + name)) << name;
    const nnc::Tensor &grad = grads.at("grad_" + name);
    nnc::Tensor value;
    ASSERT_TRUE(model->parameter(name, value).ok());
    ASSERT_EQ(grad.shape(), value.shape()) << name;
    // The first, middle and last elements.
    int64_t last = value.numElements() - 1;
    for (int64_t i : std::set<int64_t>{0, last / 2, last}) {
      float *element = static_cast<float *>(value.data()) + i;
      float original = *element;
      *element = original + eps;
      ASSERT_TRUE(model->setParameter(name, value.view()).ok());
      float above = lossOf(*model, inputs);
      *element = original - eps;
      ASSERT_TRUE(model->setParameter(name, value.view()).ok());
      float below = lossOf(*model, inputs);
      *element = original;
      ASSERT_TRUE(model->setParameter(name, value.view()).ok());
      double numeric = (double(above) - below) / (2 * eps);
      double analytic = grad.dataAs<float>()[i];
      EXPECT_NEAR(analytic, numeric, 2e-3 + 2e-2 * std::fabs(numeric))
          << name << "[" << i << "]";
      ++checked;
    }
  }
  EXPECT_EQ(checked, 5 * 3 + 1);
}

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

TEST(CompiledModelTest, SavedArtifactRunsBitForBitLikeTheModel) {
  nnc::CompileOptions options;
  options.batch = 359;
  options.seed = 7;
  std::unique_ptr<nnc::CompiledModel> model =
      compileExample("mlp_digits.nn", options);
  ASSERT_TRUE(model);
  std::string path = scratchDir("artifact") + "/mlp.nnx";
  nnc::Status status = model->saveArtifact(path);
  ASSERT_TRUE(status.ok()) << status.message();
  std::unique_ptr<nnc::Model> loaded = nnc::Model::load(path, status);
  ASSERT_TRUE(loaded) << status.message();
  EXPECT_EQ(loaded->batchSize(), 359);

  nnc::Tensor x = npy("digits_test_x.npy"), labels = npy("digits_test_y.npy");
  for (bool withLabels : {false, true}) {
    std::map<std::string, nnc::TensorView> inputs = {{"x", x.view()}};
    if (withLabels)
      inputs["labels"] = labels.view();
    std::map<std::string, nnc::Tensor> compiled, deployed;
    status = model->run(inputs, compiled);
    ASSERT_TRUE(status.ok()) << status.message();
    status = loaded->run(inputs, deployed);
    ASSERT_TRUE(status.ok()) << status.message();
    ASSERT_EQ(compiled.size(), deployed.size());
    for (const auto &[name, tensor] : compiled) {
      ASSERT_TRUE(deployed.count(name)) << name;
      EXPECT_TRUE(sameBytes(tensor, deployed.at(name))) << name;
    }
    EXPECT_EQ(compiled.count("loss"), withLabels ? 1u : 0u);
  }
}

TEST(CompiledModelTest, ParametersRoundTripThroughTheirFiles) {
  std::unique_ptr<nnc::CompiledModel> model =
      compileExample("mlp_digits.nn", {});
  ASSERT_TRUE(model);
  nnc::Tensor x = npy("digits_test_x.npy");
  std::map<std::string, nnc::Tensor> before, after;
  ASSERT_TRUE(model->run({{"x", x.view()}}, before).ok());

  std::string dir = scratchDir("params");
  nnc::Status status = model->saveParameters(dir);
  ASSERT_TRUE(status.ok()) << status.message();
  for (const std::string &name : model->parameterNames())
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + name + ".npy")) << name;
  nnc::Tensor w1;
  ASSERT_TRUE(model->parameter("w1", w1).ok());
  std::vector<float> zeros(static_cast<size_t>(w1.numElements()), 0.0f);
  ASSERT_TRUE(
      model->setParameter("w1", {zeros.data(), nnc::DType::F32, {64, 128}})
          .ok());
  ASSERT_TRUE(model->run({{"x", x.view()}}, after).ok());
  EXPECT_FALSE(sameBytes(before.at("logits"), after.at("logits")));

  status = model->loadParameters(dir);
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_TRUE(model->run({{"x", x.view()}}, after).ok());
  EXPECT_TRUE(sameBytes(before.at("logits"), after.at("logits")));

  // A folder that lacks a file changes nothing.
  std::filesystem::remove(dir + "/w2.npy");
  ASSERT_TRUE(
      model->setParameter("w1", {zeros.data(), nnc::DType::F32, {64, 128}})
          .ok());
  status = model->loadParameters(dir);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("w2.npy"), std::string::npos)
      << status.message();
  nnc::Tensor kept;
  ASSERT_TRUE(model->parameter("w1", kept).ok());
  EXPECT_EQ(static_cast<const float *>(kept.data())[0], 0.0f);
}

TEST(CompiledModelTest, EvaluatesAsOneWholeSetRunScores) {
  std::unique_ptr<nnc::CompiledModel> model =
      compileExample("mlp_digits.nn", {});
  ASSERT_TRUE(model);
  nnc::Tensor x = npy("digits_test_x.npy"), labels = npy("digits_test_y.npy");
  std::map<std::string, nnc::TensorView> data = {{"x", x.view()},
                                                 {"labels", labels.view()}};
  std::map<std::string, nnc::Tensor> whole;
  ASSERT_TRUE(model->run(data, whole).ok());
  const float *logits = whole.at("logits").dataAs<float>();
  const int32_t *truth = labels.dataAs<int32_t>();
  int64_t correct = 0;
  for (int64_t s = 0; s < 359; ++s) {
    int64_t best = 0;
    for (int64_t c = 1; c < 10; ++c)
      if (logits[s * 10 + c] > logits[s * 10 + best])
        best = c;
    correct += best == truth[s];
  }
  // One batch of all, and batches of 100 with a last one of 59.
  for (int64_t batch : {359, 100}) {
    nnc::Metrics metrics;
    nnc::Status status = model->evaluate(data, metrics, batch);
    ASSERT_TRUE(status.ok()) << status.message();
    EXPECT_EQ(metrics.samples, 359);
    EXPECT_NEAR(metrics.loss, *whole.at("loss").dataAs<float>(), 1e-5) << batch;
    ASSERT_TRUE(metrics.accuracy.has_value());
    EXPECT_DOUBLE_EQ(*metrics.accuracy, correct / 359.0) << batch;
  }
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

TEST(CompiledModelTest, NaNIsRefusedInEvaluationDataAndParameters) {
  std::unique_ptr<nnc::CompiledModel> model = compileExample("xor.nn", {});
  ASSERT_TRUE(model);
  std::vector<float> x = {NAN, 0, 0, 1, 1, 0, 1, 1}, y = {0, 1, 1, 0};
  nnc::Metrics metrics;
  nnc::Status status =
      model->evaluate({{"x", {x.data(), nnc::DType::F32, {4, 2}}},
                       {"y", {y.data(), nnc::DType::F32, {4, 1}}}},
                      metrics);
  EXPECT_EQ(status.message(), "data 'x': x: sample 0 holds NaN; training and "
                              "evaluation data must be finite");

  std::vector<float> b2 = {NAN};
  status = model->setParameter("b2", {b2.data(), nnc::DType::F32, {1}});
  EXPECT_EQ(status.message(),
            "parameter 'b2': element 0 holds NaN; parameters must be finite");
  b2[0] = INFINITY;
  status = model->setParameter("b2", {b2.data(), nnc::DType::F32, {1}});
  EXPECT_EQ(
      status.message(),
      "parameter 'b2': element 0 holds an infinity; parameters must be finite");

  std::string dir = scratchDir("nan-parameters");
  ASSERT_TRUE(model->saveParameters(dir).ok());
  b2[0] = NAN;
  ASSERT_TRUE(
      nnc::writeNpy(dir + "/b2.npy", {b2.data(), nnc::DType::F32, {1}}).ok());
  status = model->loadParameters(dir);
  EXPECT_EQ(status.message(), dir + "/b2.npy: parameter 'b2': element 0 "
                                    "holds NaN; parameters must be finite");
  nnc::Tensor kept;
  ASSERT_TRUE(model->parameter("b2", kept).ok());
  EXPECT_EQ(*kept.dataAs<float>(), 0.0f);

  // A buffer (batch_norm's running statistics here) may hold infinities,
  // as a mask's -inf, but not NaN.
  std::unique_ptr<nnc::CompiledModel> withBuffers =
      compileExample("resnet_mlp.nn", {});
  ASSERT_TRUE(withBuffers);
  std::vector<float> mean(32, -INFINITY);
  EXPECT_TRUE(
      withBuffers
          ->setParameter("block_0.mean", {mean.data(), nnc::DType::F32, {32}})
          .ok());
  mean[5] = NAN;
  status = withBuffers->setParameter("block_0.mean",
                                     {mean.data(), nnc::DType::F32, {32}});
  EXPECT_EQ(status.message(),
            "parameter 'block_0.mean': element 5 holds "
            "NaN; only a buffer may hold infinities, and not NaN");
}

TEST(CompiledModelTest, NaNIsRefusedInAnInputWithoutTheBatchDimension) {
  // Such an input (a mask) is part of the model: -inf is what it holds,
  // NaN is refused as nnc run refuses it, from the source and from an
  // artifact alike.
  std::string dir = scratchDir("nan-mask");
  std::string source = dir + "/mask.nn";
  std::ofstream(source) << "input x: f32[B, 2]\ninput mask: f32[2]\n"
                           "output y = x + mask\n";
  nnc::Status status;
  std::unique_ptr<nnc::CompiledModel> model =
      nnc::CompiledModel::compile(source, status, {});
  ASSERT_TRUE(model) << status.message();
  std::vector<float> x = {1, 2}, mask = {-INFINITY, 0};
  std::map<std::string, nnc::TensorView> inputs = {
      {"x", {x.data(), nnc::DType::F32, {1, 2}}},
      {"mask", {mask.data(), nnc::DType::F32, {2}}}};
  std::map<std::string, nnc::Tensor> results;
  EXPECT_TRUE(model->run(inputs, results).ok());
  ASSERT_TRUE(model->saveArtifact(dir + "/mask.nnx").ok());
  mask[1] = NAN;
  const char *refusal = "mask: element 1 holds NaN; an input without the "
                        "batch dimension may hold infinities, not NaN";
  EXPECT_EQ(model->run(inputs, results).message(), refusal);
  std::unique_ptr<nnc::Model> loaded =
      nnc::Model::load(dir + "/mask.nnx", status);
  ASSERT_TRUE(loaded) << status.message();
  EXPECT_EQ(loaded->run(inputs, results).message(), refusal);
}

TEST(CompiledModelTest, BadShapesAreNamedWhereTheyComeIn) {
  std::unique_ptr<nnc::CompiledModel> model =
      compileExample("mlp_digits.nn", {});
  ASSERT_TRUE(model);
  std::vector<float> x(4 * 64, 0.0f);
  std::map<std::string, nnc::Tensor> results;
  nnc::Status status =
      model->run({{"x", {x.data(), nnc::DType::F32, {-3, 64}}}}, results);
  EXPECT_EQ(status.message(),
            "input 'x': negative extent -3 in shape [-3, 64]");
  status = model->run({{"x", {x.data(), nnc::DType::F32, {0, 64}}}}, results);
  EXPECT_EQ(status.message(),
            "input 'x' has no samples (its first dimension is 0)");
  status = model->run({{"x", {x.data(), static_cast<nnc::DType>(77), {4, 64}}}},
                      results);
  EXPECT_EQ(status.message(), "input 'x': unknown dtype 77");
  nnc::Metrics metrics;
  std::vector<int32_t> labels(4, 0);
  status = model->evaluate({{"x", {x.data(), nnc::DType::F32, {0, 64}}},
                            {"labels", {labels.data(), nnc::DType::I32, {0}}}},
                           metrics);
  EXPECT_EQ(status.message(),
            "input 'labels' has no samples (its first dimension is 0)");
  // A label outside the cross-entropy's classes is the data's error, found
  // before any kernel runs, as `nnc eval` finds it.
  labels[2] = 10;
  status = model->evaluate({{"x", {x.data(), nnc::DType::F32, {4, 64}}},
                            {"labels", {labels.data(), nnc::DType::I32, {4}}}},
                           metrics);
  EXPECT_EQ(status.message(),
            "data 'labels': labels: sample 2 holds 10, outside the classes "
            "[0, 10) of the model's cross-entropy");
  // Evaluation data given to train() that lacks a column says it is the
  // evaluation data's, which the training data has.
  labels[2] = 0;
  nnc::TrainOptions options;
  options.epochs = 1;
  options.evalData = {{"x", {x.data(), nnc::DType::F32, {4, 64}}}};
  status = model->train({{"x", {x.data(), nnc::DType::F32, {4, 64}}},
                         {"labels", {labels.data(), nnc::DType::I32, {4}}}},
                        options);
  EXPECT_EQ(status.message(),
            "evalData: missing input 'labels' (inputs: x, labels)");
}

TEST(CompiledModelTest, WarningsAreKeptOnceAndReadWhileOtherThreadsCompile) {
  // `unused` never reaches the loss: each gradient compiled (one per batch
  // size) warns about it again.
  std::string path = scratchDir("warnings") + "/unused.nn";
  std::ofstream(path) << "model unused\n"
                         "input x: f32[B, 2]\n"
                         "input y: f32[B, 1]\n"
                         "param w: f32[2, 1] = zeros\n"
                         "param unused: f32[1] = zeros\n"
                         "loss = mse(x @ w, y)\n";
  nnc::CompileOptions options;
  options.backend = "ref";
  nnc::Status status;
  std::unique_ptr<nnc::CompiledModel> model =
      nnc::CompiledModel::compile(path, status, options);
  ASSERT_TRUE(model) << status.message();
  std::atomic<bool> done{false};
  std::atomic<size_t> readsWithTheWarning{0};
  std::thread reader([&] {
    while (!done.load())
      for (const std::string &warning : model->warnings())
        readsWithTheWarning += warning.find("unused") != std::string::npos;
  });
  std::vector<float> zeros(2 * 64, 0.0f);
  for (int64_t batch = 1; batch <= 64; ++batch) {
    std::map<std::string, nnc::Tensor> results;
    status = model->grad({{"x", {zeros.data(), nnc::DType::F32, {batch, 2}}},
                          {"y", {zeros.data(), nnc::DType::F32, {batch, 1}}}},
                         results);
    ASSERT_TRUE(status.ok()) << status.message();
  }
  done = true;
  reader.join();
  std::vector<std::string> warnings = model->warnings();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("'unused'"), std::string::npos) << warnings[0];
  EXPECT_GT(readsWithTheWarning.load(), 0u);
}

TEST(CompiledModelTest, FailuresAreStatusesAndNothingIsPrinted) {
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  nnc::Status status;
  std::unique_ptr<nnc::CompiledModel> model =
      nnc::CompiledModel::compile(kExamples + "/missing.nn", status);
  EXPECT_FALSE(model);
  EXPECT_NE(status.message().find("missing.nn"), std::string::npos)
      << status.message();

  nnc::CompileOptions huge;
  huge.threads = 100000;
  model = nnc::CompiledModel::compile(kExamples + "/xor.nn", status, huge);
  EXPECT_FALSE(model);
  EXPECT_EQ(status.message(), "threads must be from 0 to 4096, got 100000");

  model = nnc::CompiledModel::compile(kExamples + "/bad.nn", status);
  EXPECT_FALSE(model);
  EXPECT_NE(status.message().find("bad.nn:7:16: error: matmul: cannot "
                                  "multiply [?, 64] by [32, 10]"),
            std::string::npos)
      << status.message();

  model = nnc::CompiledModel::compile(kExamples + "/xor.nn", status);
  ASSERT_TRUE(model) << status.message();
  std::vector<float> x(4 * 3, 0.0f);
  std::vector<int32_t> wrongType(4, 0);
  std::map<std::string, nnc::Tensor> results;

  status = model->run({{"x", {x.data(), nnc::DType::F32, {4, 3}}}}, results);
  EXPECT_EQ(status.message(), "input 'x': expected f32[?, 2], got f32[4, 3]");
  status =
      model->run({{"x", {wrongType.data(), nnc::DType::I32, {4, 2}}}}, results);
  EXPECT_EQ(status.message(), "input 'x': expected f32[?, 2], got i32[4, 2]");
  status = model->run({{"z", {x.data(), nnc::DType::F32, {4, 2}}}}, results);
  EXPECT_EQ(status.message(), "the model has no input 'z' (inputs: x, y)");
  status = model->run({{"x", {x.data(), nnc::DType::F32, {4, 2}}},
                       {"y", {x.data(), nnc::DType::F32, {3, 1}}}},
                      results);
  EXPECT_NE(status.message().find("inputs disagree on the batch size"),
            std::string::npos)
      << status.message();
  status = model->grad({{"x", {x.data(), nnc::DType::F32, {4, 2}}}}, results);
  EXPECT_EQ(status.message(), "missing input 'y' (inputs: x, y)");

  nnc::Tensor value;
  status = model->parameter("w9", value);
  EXPECT_EQ(status.message(), "the model has no parameter 'w9'");
  status = model->setParameter("w9", {x.data(), nnc::DType::F32, {2, 8}});
  EXPECT_EQ(status.message(), "the model has no parameter 'w9'");
  status = model->setParameter("w1", {x.data(), nnc::DType::F32, {8, 2}});
  EXPECT_EQ(status.message(),
            "parameter 'w1': expected f32[2, 8], got f32[8, 2]");
  status = model->loadParameters(scratchDir("empty"));
  EXPECT_FALSE(status.ok());

  std::string noLoss = scratchDir("no-loss") + "/identity.nn";
  std::ofstream(noLoss) << "model identity\n"
                           "input x: f32[B, 2]\n"
                           "param w: f32[2, 1] = zeros\n"
                           "output y = x @ w\n";
  model = nnc::CompiledModel::compile(noLoss, status);
  ASSERT_TRUE(model) << status.message();
  status = model->grad({{"x", {x.data(), nnc::DType::F32, {4, 2}}}}, results);
  EXPECT_EQ(status.message(), "the model has no loss to differentiate");
  nnc::Metrics metrics;
  status =
      model->evaluate({{"x", {x.data(), nnc::DType::F32, {4, 2}}}}, metrics);
  EXPECT_EQ(status.message(), "the model has no loss to evaluate");
  status = model->train({{"x", {x.data(), nnc::DType::F32, {4, 2}}}});
  EXPECT_EQ(status.message(), "the model has no loss to train");

  model = nnc::CompiledModel::compile(kExamples + "/xor.nn", status);
  ASSERT_TRUE(model) << status.message();
  std::map<std::string, nnc::TensorView> xor4 = {
      {"x", {x.data(), nnc::DType::F32, {4, 2}}},
      {"y", {x.data(), nnc::DType::F32, {4, 1}}}};
  status = model->train({{"x", {x.data(), nnc::DType::F32, {4, 2}}}});
  EXPECT_EQ(status.message(), "missing input 'y' (inputs: x, y)");
  nnc::TrainOptions noEpochs;
  noEpochs.epochs = 0;
  status = model->train(xor4, noEpochs);
  EXPECT_EQ(status.message(), "--epochs must be at least 1, not 0");
  nnc::TrainOptions unknownOptimizer;
  unknownOptimizer.epochs = 1;
  unknownOptimizer.optimizer = "rmsprop";
  status = model->train(xor4, unknownOptimizer);
  EXPECT_NE(status.message().find("rmsprop"), std::string::npos)
      << status.message();
  // A NaN in the data is named as such, with its sample.
  std::vector<float> bad(4 * 2, 0.0f);
  bad[5] = NAN;
  nnc::TrainOptions oneEpoch;
  oneEpoch.epochs = 1;
  status = model->train({{"x", {bad.data(), nnc::DType::F32, {4, 2}}},
                         {"y", {x.data(), nnc::DType::F32, {4, 1}}}},
                        oneEpoch);
  EXPECT_NE(status.message().find("x: sample 2 holds NaN"), std::string::npos)
      << status.message();

  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

} // namespace
