//===- CompiledModelTest.cpp - The C++ compiler API (api/compiler.h) ------===//
//
// libnnc_compiler against independent truths: gradients against central
// differences of the loss that run() gives, evaluation against the loss
// and argmax of one whole-set run, parameters through their files, and a
// saved artifact against the model it came from, bit for bit, through
// libnnc. Training is in CompiledModelTrainingTest.cpp, the errors in
// CompiledModelErrorsTest.cpp.
//
//===----------------------------------------------------------------------===//

#include "CompiledModelTestSupport.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>

using namespace nnc::api::test;

namespace {

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

} // namespace
