//===- CompiledModelErrorsTest.cpp - The C++ compiler API's errors --------===//
//
// Each failure of libnnc_compiler is a Status with the compiler's
// diagnostic, nothing printed: NaN refused in data, parameters and mask
// inputs, bad shapes named where they come in, wrong inputs, options and
// models; and warnings, kept once and readable while other threads compile.
//
//===----------------------------------------------------------------------===//

#include "CompiledModelTestSupport.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <fstream>
#include <thread>

using namespace nnc::api::test;

namespace {

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
