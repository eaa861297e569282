//===- ArtifactTest.cpp - Reading, writing and loading .nnx artifacts -----===//
//
// Round trips, the committed golden artifact of format version 1 (which
// must keep loading and running to its recorded outputs; its ref code was
// recompiled from the same parameters when ref's own format became 2, and
// still gives those outputs bit for bit), and hostile
// files: every truncation and many bit flips of a real artifact must give
// an error or a file that loads and runs, never a crash; a newer format
// version, an unknown backend and an unknown role are clear errors, and so
// is a damaged weight.
//
//===----------------------------------------------------------------------===//

#include "runtime/Artifact.h"
#include "runtime/ArtifactLoader.h"
#include "runtime/FileIO.h"
#include "runtime/Npy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

using namespace nnc::rt;

namespace {

const std::string kGolden = NNC_ARTIFACT_GOLDEN_DIR;

std::string readBytes(const std::string &path) {
  Expected<InputFile> file = InputFile::open(path);
  EXPECT_TRUE(file.ok()) << file.message();
  Expected<std::string> bytes = file->readAll();
  EXPECT_TRUE(bytes.ok());
  return *bytes;
}

/// `bytes` parsed from an 8-aligned copy, as readArtifact does.
Expected<Artifact> parse(const std::string &bytes) {
  std::vector<uint64_t> aligned((bytes.size() + 7) / 8 + 1);
  std::memcpy(aligned.data(), bytes.data(), bytes.size());
  return parseArtifact(aligned.data(), bytes.size());
}

PluginSet refPlugin() {
  Expected<PluginSet> plugins = discoverPlugins({}, {NNC_REF_PLUGIN});
  EXPECT_TRUE(plugins.ok()) << plugins.message();
  return std::move(*plugins);
}

Tensor npy(const std::string &name) {
  Expected<Tensor> tensor = readNpy(kGolden + "/" + name);
  EXPECT_TRUE(tensor.ok()) << tensor.message();
  return std::move(*tensor);
}

/// Loads every graph of `artifact` and runs it on zero inputs; returns the
/// first error. Exercises whatever a corrupted file managed to pass.
Error loadAndRunAll(const Artifact &artifact, const PluginSet &plugins) {
  Expected<const LoadedPlugin *> plugin =
      findArtifactBackend(artifact, plugins);
  if (!plugin.ok())
    return plugin.takeError();
  for (const ArtifactGraph &graph : artifact.graphs) {
    Expected<Function> loaded = loadArtifactGraph(graph, **plugin);
    if (!loaded.ok())
      return loaded.takeError();
    std::vector<Tensor> zeros;
    zeros.reserve(graph.plan.inputs.size());
    std::vector<std::pair<std::string, const Tensor *>> feeds;
    for (const ExternalBinding &binding : graph.plan.inputs) {
      const PlanValue &value = graph.plan.values[binding.value];
      if (value.bytes > (uint64_t(1) << 26))
        return Error::failure("input too large for the test");
      Expected<Tensor> tensor = Tensor::create(value.dtype, value.shape);
      if (!tensor.ok())
        return tensor.takeError();
      zeros.push_back(std::move(*tensor));
      feeds.emplace_back(binding.name, &zeros.back());
    }
    Expected<std::vector<Tensor>> results =
        runFunction(*loaded, artifactLookup(artifact, feeds));
    if (!results.ok())
      return results.takeError();
  }
  return Error::success();
}

TEST(ArtifactTest, GoldenVersion1Loads) {
  Expected<Artifact> artifact = readArtifact(kGolden + "/mlp_digits_v1.nnx");
  ASSERT_TRUE(artifact.ok()) << artifact.message();
  EXPECT_EQ(artifact->formatVersion, 1u);
  EXPECT_EQ(artifact->backendName, "ref");
  EXPECT_EQ(artifact->modelName, "mlp_digits");
  EXPECT_EQ(artifact->batchSize, 3);
  ASSERT_NE(artifact->graph("forward"), nullptr);
  ASSERT_NE(artifact->tensor("w1"), nullptr);
  EXPECT_EQ(artifact->tensor("w1")->tensor.shape(), (Shape{64, 128}));
}

TEST(ArtifactTest, GoldenRunsToRecordedOutputs) {
  Expected<Artifact> artifact = readArtifact(kGolden + "/mlp_digits_v1.nnx");
  ASSERT_TRUE(artifact.ok()) << artifact.message();
  PluginSet plugins = refPlugin();
  Expected<const LoadedPlugin *> plugin =
      findArtifactBackend(*artifact, plugins);
  ASSERT_TRUE(plugin.ok()) << plugin.message();
  const ArtifactGraph *graph = artifact->graph("forward");
  ASSERT_NE(graph, nullptr);
  Expected<Function> loaded = loadArtifactGraph(*graph, **plugin);
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  Tensor x = npy("x.npy"), labels = npy("labels.npy");
  Expected<std::vector<Tensor>> results = runFunction(
      *loaded, artifactLookup(*artifact, {{"x", &x}, {"labels", &labels}}));
  ASSERT_TRUE(results.ok()) << results.message();
  ASSERT_EQ(results->size(), graph->plan.outputs.size());
  for (size_t i = 0; i < results->size(); ++i) {
    Tensor expected = npy("expected/" + graph->plan.outputs[i].name + ".npy");
    const Tensor &got = (*results)[i];
    ASSERT_EQ(got.shape(), expected.shape());
    EXPECT_EQ(std::memcmp(got.rawData(), expected.rawData(), got.byteSize()), 0)
        << graph->plan.outputs[i].name;
  }
}

TEST(ArtifactTest, RoundTripIsByteIdentical) {
  // The golden file predates the tensors' checksums, which a write adds:
  // from the second write on, the bytes are the same.
  Expected<Artifact> golden = parse(readBytes(kGolden + "/mlp_digits_v1.nnx"));
  ASSERT_TRUE(golden.ok()) << golden.message();
  Expected<std::string> bytes = serializeArtifact(*golden);
  ASSERT_TRUE(bytes.ok()) << bytes.message();
  Expected<Artifact> artifact = parse(*bytes);
  ASSERT_TRUE(artifact.ok()) << artifact.message();
  Expected<std::string> again = serializeArtifact(*artifact);
  ASSERT_TRUE(again.ok()) << again.message();
  EXPECT_EQ(*again, *bytes);

  // And through a file, written atomically.
  std::string path = ::testing::TempDir() + "/roundtrip.nnx";
  ASSERT_TRUE(writeArtifact(path, *artifact).ok());
  Expected<Artifact> reread = readArtifact(path);
  ASSERT_TRUE(reread.ok()) << reread.message();
  EXPECT_EQ(reread->graphHash, artifact->graphHash);
  EXPECT_EQ(reread->graphs.size(), artifact->graphs.size());
  EXPECT_EQ(reread->graphs[0].executable, artifact->graphs[0].executable);
}

TEST(ArtifactTest, AFlipInAWeightIsAChecksumError) {
  // Weights are most of a file, and a flip in one used to load and give
  // other predictions; each tensor now carries its CRC-32.
  Expected<Artifact> golden = parse(readBytes(kGolden + "/mlp_digits_v1.nnx"));
  ASSERT_TRUE(golden.ok()) << golden.message();
  const Tensor &w1 = golden->tensor("w1")->tensor;
  std::string weights(reinterpret_cast<const char *>(w1.rawData()),
                      w1.byteSize());
  Expected<std::string> bytes = serializeArtifact(*golden);
  ASSERT_TRUE(bytes.ok()) << bytes.message();
  size_t at = bytes->find(weights);
  ASSERT_NE(at, std::string::npos);
  std::string flipped = *bytes;
  flipped[at + weights.size() / 2] ^= 0x10;
  Expected<Artifact> damaged = parse(flipped);
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.message(), "tensor 'w1': checksum mismatch (corrupt file)");
}

TEST(ArtifactTest, EveryTruncationIsAnError) {
  std::string bytes = readBytes(kGolden + "/mlp_digits_v1.nnx");
  for (size_t length = 0; length < bytes.size(); ++length) {
    Expected<Artifact> artifact = parse(bytes.substr(0, length));
    EXPECT_FALSE(artifact.ok()) << "length " << length;
  }
}

TEST(ArtifactTest, BitFlipsAreErrorsOrRunSafely) {
  std::string bytes = readBytes(kGolden + "/mlp_digits_v1.nnx");
  PluginSet plugins = refPlugin();
  std::mt19937_64 random(20240601);
  int rejected = 0;
  for (int trial = 0; trial < 1500; ++trial) {
    std::string flipped = bytes;
    // Mostly the metadata and plans at the front and back of the file,
    // where a flip is most likely to reach an index or a length.
    size_t at = random() % flipped.size();
    flipped[at] = static_cast<char>(flipped[at] ^ (1u << (random() % 8)));
    Expected<Artifact> artifact = parse(flipped);
    if (!artifact.ok()) {
      ++rejected;
      EXPECT_EQ(artifact.message().find('\n'), std::string::npos);
      continue;
    }
    // Whatever passed must load and run or fail cleanly.
    (void)loadAndRunAll(*artifact, plugins);
  }
  EXPECT_GT(rejected, 0);
}

TEST(ArtifactTest, ExecutableBitFlipsAreErrorsOrRunSafely) {
  Expected<Artifact> golden = readArtifact(kGolden + "/mlp_digits_v1.nnx");
  ASSERT_TRUE(golden.ok());
  PluginSet plugins = refPlugin();
  std::mt19937_64 random(7);
  const std::string original = golden->graphs[0].executable;
  for (int trial = 0; trial < 400; ++trial) {
    std::string flipped = original;
    size_t at = random() % flipped.size();
    flipped[at] = static_cast<char>(flipped[at] ^ (1u << (random() % 8)));
    golden->graphs[0].executable = flipped;
    (void)loadAndRunAll(*golden, plugins);
  }
  // Every truncation of the executable: the deserializer alone, since
  // none may pass it.
  const LoadedPlugin *ref = plugins.find("ref");
  ASSERT_NE(ref, nullptr);
  for (size_t length = 0; length < original.size(); ++length)
    EXPECT_FALSE(
        PluginExecutable::deserialize(*ref, original.data(), length).ok())
        << length;
}

// A ref artifact of ref's own format 1 (before its FlatBuffers schema): the
// container still reads, and loading its graphs says what to do.
TEST(ArtifactTest, RefFormat1AsksForARecompile) {
  Expected<Artifact> artifact =
      readArtifact(kGolden + "/mlp_digits_v1_ref_format1.nnx");
  ASSERT_TRUE(artifact.ok()) << artifact.message();
  PluginSet plugins = refPlugin();
  Error error = loadAndRunAll(*artifact, plugins);
  ASSERT_FALSE(error.ok());
  EXPECT_NE(error.message().find("format 1, written by an older nnc, is no "
                                 "longer read; compile the model again"),
            std::string::npos)
      << error.message();
  EXPECT_EQ(error.message().find('\n'), std::string::npos);
}

TEST(ArtifactTest, NewerFormatVersionIsRejected) {
  Expected<Artifact> artifact = readArtifact(kGolden + "/mlp_digits_v1.nnx");
  ASSERT_TRUE(artifact.ok());
  artifact->formatVersion = kArtifactFormatVersion + 1;
  Expected<std::string> bytes = serializeArtifact(*artifact);
  ASSERT_TRUE(bytes.ok());
  Expected<Artifact> reread = parse(*bytes);
  ASSERT_FALSE(reread.ok());
  EXPECT_NE(reread.message().find("format version " +
                                  std::to_string(kArtifactFormatVersion + 1) +
                                  " is newer than this runtime reads (" +
                                  std::to_string(kArtifactFormatVersion) + ")"),
            std::string::npos)
      << reread.message();
}

TEST(ArtifactTest, UnknownBackendIsRejected) {
  Expected<Artifact> artifact = readArtifact(kGolden + "/mlp_digits_v1.nnx");
  ASSERT_TRUE(artifact.ok());
  artifact->backendName = "nosuch";
  PluginSet plugins = refPlugin();
  Expected<const LoadedPlugin *> plugin =
      findArtifactBackend(*artifact, plugins);
  ASSERT_FALSE(plugin.ok());
  EXPECT_NE(plugin.message().find("needs backend 'nosuch'"), std::string::npos)
      << plugin.message();
}

TEST(ArtifactTest, OtherBackendVersionIsRejected) {
  Expected<Artifact> artifact = readArtifact(kGolden + "/mlp_digits_v1.nnx");
  ASSERT_TRUE(artifact.ok());
  artifact->backendVersion = "99.0";
  PluginSet plugins = refPlugin();
  EXPECT_FALSE(findArtifactBackend(*artifact, plugins).ok());
}

TEST(ArtifactTest, MissingCpuFeatureIsRejected) {
  EXPECT_FALSE(checkCpuFeatures({"no-such-feature"}).ok());
  EXPECT_TRUE(checkCpuFeatures({}).ok());
}

TEST(ArtifactTest, TensorOfWrongSizeIsRejected) {
  Expected<Artifact> artifact = readArtifact(kGolden + "/mlp_digits_v1.nnx");
  ASSERT_TRUE(artifact.ok());
  // A graph reading a parameter of another shape than the artifact holds.
  Expected<Tensor> small = Tensor::create(DType::F32, {2, 2});
  ASSERT_TRUE(small.ok());
  artifact->tensor("w1")->tensor = std::move(*small);
  Expected<std::string> bytes = serializeArtifact(*artifact);
  ASSERT_TRUE(bytes.ok());
  Expected<Artifact> reread = parse(*bytes);
  ASSERT_FALSE(reread.ok());
  EXPECT_NE(reread.message().find("'w1'"), std::string::npos)
      << reread.message();
}

TEST(ArtifactTest, BindingsOfInputsAndOutputsMustBePorts) {
  // A graph's output named '../pwn' would be written outside --output-dir
  // by nnc run; an input binding that names no port left the loss out of
  // a run that fed the labels; a port of another shape than its binding
  // made run and eval disagree. Each is a corrupt artifact now.
  auto fresh = [] {
    Expected<Artifact> golden = readArtifact(kGolden + "/mlp_digits_v1.nnx");
    EXPECT_TRUE(golden.ok()) << golden.message();
    return std::move(*golden);
  };
  auto reread = [](const Artifact &artifact) {
    Expected<std::string> bytes = serializeArtifact(artifact);
    EXPECT_TRUE(bytes.ok());
    return parse(*bytes);
  };
  auto outputBinding = [](Artifact &artifact) -> ExternalBinding & {
    for (ArtifactGraph &graph : artifact.graphs)
      for (ExternalBinding &binding : graph.plan.outputs)
        if (binding.role == BindingRole::Output)
          return binding;
    ADD_FAILURE() << "no output binding";
    return artifact.graphs[0].plan.outputs[0];
  };
  Artifact escaping = fresh();
  outputBinding(escaping).name = "../pwn";
  Expected<Artifact> bad = reread(escaping);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("binds output '../pwn', which is not one of "
                               "the artifact's outputs"),
            std::string::npos)
      << bad.message();

  Artifact renamed = fresh();
  for (ArtifactGraph &graph : renamed.graphs)
    for (ExternalBinding &binding : graph.plan.inputs)
      if (binding.name == "labels")
        binding.name = "labems";
  bad = reread(renamed);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("binds input 'labems'"), std::string::npos)
      << bad.message();

  Artifact reshaped = fresh();
  ASSERT_FALSE(reshaped.inputs.empty());
  reshaped.inputs[0].shape.back() += 1;
  bad = reread(reshaped);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("the artifact declares"), std::string::npos)
      << bad.message();

  Artifact unsafePort = fresh();
  unsafePort.outputs[0].name = "../" + unsafePort.outputs[0].name;
  bad = reread(unsafePort);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("is not a model name"), std::string::npos)
      << bad.message();
}

TEST(ArtifactTest, AnInvalidLearningRateIsCorrupt) {
  // A NaN or negative rate was replaced by 0.01 without a word, and an
  // infinite one blamed on a --lr flag the user never gave.
  for (double lr : {std::nan(""), -1.0, HUGE_VAL}) {
    Expected<Artifact> artifact = readArtifact(kGolden + "/mlp_digits_v1.nnx");
    ASSERT_TRUE(artifact.ok());
    artifact->training = ArtifactTraining();
    artifact->training->learningRate = lr;
    Expected<std::string> bytes = serializeArtifact(*artifact);
    ASSERT_TRUE(bytes.ok());
    Expected<Artifact> reread = parse(*bytes);
    ASSERT_FALSE(reread.ok()) << lr;
    EXPECT_NE(reread.message().find("is not a finite number of 0 or more"),
              std::string::npos)
        << reread.message();
  }
}

TEST(ArtifactTest, AFlipInTheTrainingStateIsAChecksumError) {
  // A flipped bit of the rate or a counter resumed another run, silently:
  // 1e-3 became 4e-3 and `nnc train --resume` exited 0.
  Expected<Artifact> artifact = readArtifact(kGolden + "/mlp_digits_v1.nnx");
  ASSERT_TRUE(artifact.ok());
  artifact->training = ArtifactTraining();
  artifact->training->step = 45;
  artifact->training->epoch = 1;
  artifact->training->seed = 7;
  artifact->training->learningRate = 0.0123;
  Expected<std::string> bytes = serializeArtifact(*artifact);
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(parse(*bytes).ok());
  std::string rate(8, '\0');
  std::memcpy(rate.data(), &artifact->training->learningRate, 8);
  size_t at = bytes->find(rate);
  ASSERT_NE(at, std::string::npos);
  std::string flipped = *bytes;
  flipped[at + 7] ^= 0x01;
  Expected<Artifact> damaged = parse(flipped);
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.message(),
            "training state: checksum mismatch (corrupt file)");
}

TEST(ArtifactTest, UnknownRoleIsRejected) {
  // Every "param" string in the file (FlatBuffers strings are a 32-bit
  // length, the bytes and a NUL) becomes a role no runtime knows.
  std::string bytes = readBytes(kGolden + "/mlp_digits_v1.nnx");
  const std::string param("\5\0\0\0param\0", 10);
  const std::string unknown("\5\0\0\0bogus\0", 10);
  size_t replaced = 0;
  for (size_t at = bytes.find(param); at != std::string::npos;
       at = bytes.find(param, at + param.size())) {
    bytes.replace(at, param.size(), unknown);
    ++replaced;
  }
  ASSERT_GT(replaced, 0u);
  Expected<Artifact> artifact = parse(bytes);
  ASSERT_FALSE(artifact.ok());
  EXPECT_NE(artifact.message().find("unknown role 'bogus'"), std::string::npos)
      << artifact.message();
}

TEST(ArtifactTest, NotAnArtifact) {
  EXPECT_FALSE(parse("").ok());
  EXPECT_FALSE(parse("hello world, not flatbuffers").ok());
  Expected<Artifact> missing = readArtifact("/nonexistent/x.nnx");
  ASSERT_FALSE(missing.ok());
}

} // namespace
