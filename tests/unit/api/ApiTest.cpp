//===- ApiTest.cpp - The C++ API (api/nnc.h) ------------------------------===//
//
// libnnc against the committed golden artifact and its recorded outputs,
// and its errors: every failure a Status with one line, nothing printed.
//
//===----------------------------------------------------------------------===//

#include "api/nnc.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>

namespace {

const std::string kGolden = NNC_ARTIFACT_GOLDEN_DIR;

nnc::Tensor npy(const std::string &name) {
  nnc::Tensor tensor;
  nnc::Status status = nnc::readNpy(kGolden + "/" + name, tensor);
  EXPECT_TRUE(status.ok()) << status.message();
  return tensor;
}

std::unique_ptr<nnc::Model> golden() {
  nnc::Status status;
  std::unique_ptr<nnc::Model> model =
      nnc::Model::load(kGolden + "/mlp_digits_v1.nnx", status);
  EXPECT_TRUE(status.ok()) << status.message();
  return model;
}

TEST(ApiTest, RunsTheGoldenArtifactToItsRecordedOutputs) {
  std::unique_ptr<nnc::Model> model = golden();
  ASSERT_TRUE(model);
  EXPECT_EQ(model->batchSize(), 3);
  ASSERT_EQ(model->inputs().size(), 2u);
  EXPECT_EQ(model->inputs()[0].name, "x");
  EXPECT_EQ(model->inputs()[0].shape, (std::vector<int64_t>{3, 64}));
  nnc::Tensor x = npy("x.npy"), labels = npy("labels.npy");
  std::map<std::string, nnc::Tensor> results;
  nnc::Status status =
      model->run({{"x", x.view()}, {"labels", labels.view()}}, results);
  ASSERT_TRUE(status.ok()) << status.message();
  for (const char *name : {"logits", "probs", "loss"}) {
    nnc::Tensor expected = npy(std::string("expected/") + name + ".npy");
    ASSERT_TRUE(results.count(name)) << name;
    const nnc::Tensor &got = results.at(name);
    ASSERT_EQ(got.shape(), expected.shape()) << name;
    EXPECT_EQ(std::memcmp(got.data(), expected.data(),
                          static_cast<size_t>(got.numElements()) * 4),
              0)
        << name;
  }
  // Without the labels, the loss is left out.
  status = model->run({{"x", x.view()}}, results);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(results.count("loss"), 0u);
  EXPECT_EQ(results.count("logits"), 1u);
}

TEST(ApiTest, AFailedRunLeavesNoEarlierResults) {
  std::unique_ptr<nnc::Model> model = golden();
  ASSERT_TRUE(model);
  nnc::Tensor x = npy("x.npy");
  std::map<std::string, nnc::Tensor> results;
  ASSERT_TRUE(model->run({{"x", x.view()}}, results).ok());
  ASSERT_FALSE(results.empty());
  std::vector<float> wrong(3 * 63);
  nnc::Status status =
      model->run({{"x", {wrong.data(), nnc::DType::F32, {3, 63}}}}, results);
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(results.empty());
}

TEST(ApiTest, ErrorsAreOneLineStatuses) {
  nnc::Status status;
  EXPECT_EQ(nnc::Model::load(kGolden + "/missing.nnx", status), nullptr);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("missing.nnx"), std::string::npos);
  EXPECT_EQ(status.message().find('\n'), std::string::npos);

  EXPECT_EQ(nnc::Model::load(kGolden + "/x.npy", status), nullptr);
  EXPECT_FALSE(status.ok());

  // oneTBB would abort the process for such a count.
  nnc::LoadOptions huge;
  huge.threads = 100000;
  EXPECT_EQ(nnc::Model::load(kGolden + "/mlp_digits_v1.nnx", status, huge),
            nullptr);
  EXPECT_EQ(status.message(), "threads must be from 0 to 4096, got 100000");

  std::unique_ptr<nnc::Model> model = golden();
  ASSERT_TRUE(model);
  std::vector<float> wrong(2 * 64, 0.0f);
  std::map<std::string, nnc::Tensor> results;
  status =
      model->run({{"x", {wrong.data(), nnc::DType::F32, {2, 64}}}}, results);
  EXPECT_EQ(status.message(), "input 'x': expected f32[3, 64], got f32[2, 64]");
  status =
      model->run({{"z", {wrong.data(), nnc::DType::F32, {2, 64}}}}, results);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("no input 'z'"), std::string::npos)
      << status.message();

  // Whatever name or path the caller gives, quoted, keeps the message one
  // line of at most 4 KiB and a little.
  status = model->run({{"bad\nname", {wrong.data(), nnc::DType::F32, {2}}}},
                      results);
  EXPECT_NE(status.message().find("no input 'bad name'"), std::string::npos)
      << status.message();
  status = model->run(
      {{std::string(5 << 20, 'a'), {wrong.data(), nnc::DType::F32, {2}}}},
      results);
  EXPECT_LT(status.message().size(), 4100u);
  EXPECT_EQ(nnc::Model::load("no\nsuch.nnx", status), nullptr);
  EXPECT_EQ(status.message().find('\n'), std::string::npos)
      << status.message();
}

TEST(ApiTest, BadViewsAreStatusesNotAborts) {
  // Each once aborted the process, ran as another dtype, or wrote a file
  // no reader accepts (or uninitialised memory).
  std::string path = ::testing::TempDir() + "nnc-api-bad-view.npy";
  std::remove(path.c_str());
  float values[4] = {1, 2, 3, 4};
  std::string tensor = "the tensor for " + path;
  EXPECT_EQ(nnc::writeNpy(path, {values, nnc::DType::F32, {-4}}).message(),
            tensor + ": negative extent -4 in shape [-4]");
  EXPECT_EQ(nnc::writeNpy(path, {values, nnc::DType::F32, {-1, -1}}).message(),
            tensor + ": negative extent -1 in shape [-1, -1]");
  EXPECT_EQ(nnc::writeNpy(path, {nullptr, nnc::DType::F32, {4}}).message(),
            tensor + " has no data");
  auto unknown = static_cast<nnc::DType>(77);
  EXPECT_EQ(nnc::writeNpy(path, {values, unknown, {4}}).message(),
            tensor + ": unknown dtype 77");
  // 4 TiB: more than any test machine can allocate for the image.
  nnc::Status status =
      nnc::writeNpy(path, {values, nnc::DType::F32, {int64_t{1} << 40}});
  EXPECT_EQ(status.message(),
            path + ": cannot allocate the 4398046511104 bytes of its .npy "
                   "image");
  nnc::Tensor read;
  EXPECT_FALSE(nnc::readNpy(path, read).ok());
  // An empty tensor needs no data.
  EXPECT_TRUE(nnc::writeNpy(path, {nullptr, nnc::DType::F32, {0, 4}}).ok());

  std::unique_ptr<nnc::Model> model = golden();
  ASSERT_TRUE(model);
  std::vector<float> x(3 * 64, 0.0f);
  std::map<std::string, nnc::Tensor> results;
  status =
      model->run({{"x", {x.data(), nnc::DType::F32, {-32, -64}}}}, results);
  EXPECT_EQ(status.message(),
            "input 'x': negative extent -32 in shape [-32, -64]");
  status = model->run({{"x", {x.data(), unknown, {3, 64}}}}, results);
  EXPECT_EQ(status.message(), "input 'x': unknown dtype 77");
  status = model->run({{"x", {nullptr, nnc::DType::F32, {3, 64}}}}, results);
  EXPECT_EQ(status.message(), "input 'x' has no data");
}

} // namespace

TEST(ApiTest, ATensorMovedFromIsEmpty) {
  nnc::Tensor a = npy("x.npy");
  int64_t elements = a.numElements();
  ASSERT_GT(elements, 0);
  // Read again after a move, as a loop over a results map does: an empty
  // f32[0], where every accessor dereferenced a null storage.
  nnc::Tensor b = std::move(a);
  EXPECT_EQ(b.numElements(), elements);
  EXPECT_EQ(a.numElements(), 0);
  EXPECT_EQ(a.shape(), std::vector<int64_t>{0});
  EXPECT_EQ(a.dtype(), nnc::DType::F32);
  EXPECT_EQ(a.view().data, nullptr);
  nnc::Tensor c;
  c = std::move(b);
  EXPECT_EQ(c.numElements(), elements);
  EXPECT_EQ(b.numElements(), 0);
  b = c;
  EXPECT_EQ(b.data(), c.data());
}
