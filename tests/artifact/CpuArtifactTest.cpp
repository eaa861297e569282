//===- CpuArtifactTest.cpp - The cpu backend's serialized executables -----===//
//
// The committed golden cpu artifact (format version 1, code for x86-64-v3)
// keeps loading through the runtime-only cpu plugin and runs to the
// reference outputs; its executable rejects every bit flip and truncation
// (the code runs as it is, so nothing damaged may load); and the loader
// takes the first target this CPU runs.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/serial/CodeLoader.h"
#include "backends/cpu/serial/CpuSerializer.h"

#include "runtime/Artifact.h"
#include "runtime/ArtifactLoader.h"
#include "runtime/Npy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace nnc;
using namespace nnc::rt;

namespace {

const std::string kGolden = NNC_ARTIFACT_GOLDEN_DIR;
const std::string kCpuGolden = kGolden + "/mlp_digits_cpu_v1.nnx";

bool hostRunsGolden() {
  return checkCpuFeatures({"avx", "avx2", "fma", "bmi", "bmi2"}).ok();
}

Tensor npy(const std::string &name) {
  Expected<Tensor> tensor = readNpy(kGolden + "/" + name);
  EXPECT_TRUE(tensor.ok()) << tensor.message();
  return std::move(*tensor);
}

TEST(CpuArtifactTest, GoldenRunsToTheReferenceOutputs) {
  if (!hostRunsGolden())
    GTEST_SKIP() << "the golden artifact holds x86-64-v3 code";
  Expected<Artifact> artifact = readArtifact(kCpuGolden);
  ASSERT_TRUE(artifact.ok()) << artifact.message();
  EXPECT_EQ(artifact->backendName, "cpu");
  EXPECT_TRUE(artifact->machineCode);
  ASSERT_EQ(artifact->codeTargets.size(), 1u);
  EXPECT_EQ(artifact->codeTargets[0].cpu, "x86-64-v3");
  Expected<PluginSet> plugins = discoverPlugins({}, {NNC_CPU_RT_PLUGIN});
  ASSERT_TRUE(plugins.ok()) << plugins.message();
  Expected<const LoadedPlugin *> plugin =
      findArtifactBackend(*artifact, *plugins);
  ASSERT_TRUE(plugin.ok()) << plugin.message();
  const ArtifactGraph *graph = artifact->graph("forward");
  ASSERT_NE(graph, nullptr);
  Expected<Function> loaded = loadArtifactGraph(*graph, **plugin);
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  Tensor x = npy("x.npy"), labels = npy("labels.npy");
  Expected<std::vector<Tensor>> results = runFunction(
      *loaded, artifactLookup(*artifact, {{"x", &x}, {"labels", &labels}}));
  ASSERT_TRUE(results.ok()) << results.message();
  // The ref golden's outputs, from the same parameters: the cpu backend's
  // tolerance against ref (backends/cpu/README.md).
  for (size_t i = 0; i < results->size(); ++i) {
    const std::string &name = graph->plan.outputs[i].name;
    Tensor expected = npy("expected/" + name + ".npy");
    const Tensor &got = (*results)[i];
    ASSERT_EQ(got.shape(), expected.shape()) << name;
    const float *a = got.data<float>();
    const float *b = expected.data<float>();
    for (int64_t j = 0; j < got.numElements(); ++j)
      EXPECT_LE(std::fabs(a[j] - b[j]), 1e-5 * (1 + std::fabs(b[j])))
          << name << "[" << j << "]";
  }
}

std::string goldenExecutable() {
  Expected<Artifact> artifact = readArtifact(kCpuGolden);
  EXPECT_TRUE(artifact.ok()) << artifact.message();
  return artifact->graph("forward")->executable;
}

/// The golden executable read back, and its kernels as serializeExecutable
/// takes them (tests append their own and write it again).
struct GoldenKernels {
  cpu::SerializedExecutable read;
  std::vector<const cpu::CpuKernel *> kernels;
};

void readGoldenKernels(GoldenKernels &golden) {
  std::string original = goldenExecutable();
  Expected<cpu::SerializedExecutable> read =
      cpu::deserializeExecutable(original.data(), original.size());
  ASSERT_TRUE(read.ok()) << read.message();
  golden.read = std::move(*read);
  for (const auto &kernel : golden.read.kernels)
    golden.kernels.push_back(kernel.get());
}

TEST(CpuArtifactTest, EveryBitFlipIsRejected) {
  std::string original = goldenExecutable();
  ASSERT_TRUE(cpu::deserializeExecutable(original.data(), original.size()).ok());
  std::mt19937_64 random(11);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string flipped = original;
    size_t at = random() % flipped.size();
    flipped[at] = static_cast<char>(flipped[at] ^ (1u << (random() % 8)));
    Expected<cpu::SerializedExecutable> read =
        cpu::deserializeExecutable(flipped.data(), flipped.size());
    EXPECT_FALSE(read.ok()) << "a flip at byte " << at << " passed";
    if (!read.ok())
      EXPECT_EQ(read.message().find('\n'), std::string::npos);
  }
}

TEST(CpuArtifactTest, EveryTruncationIsRejected) {
  std::string original = goldenExecutable();
  for (size_t length = 0; length < original.size(); length += 7)
    EXPECT_FALSE(cpu::deserializeExecutable(original.data(), length).ok())
        << length;
}

TEST(CpuArtifactTest, LoaderTakesTheFirstTargetThisCpuRuns) {
  if (!hostRunsGolden())
    GTEST_SKIP() << "the golden artifact holds x86-64-v3 code";
  std::string original = goldenExecutable();
  Expected<cpu::SerializedExecutable> read =
      cpu::deserializeExecutable(original.data(), original.size());
  ASSERT_TRUE(read.ok()) << read.message();
  // A first target no CPU runs, with the same code.
  cpu::LinkedTarget future = read->targets.front();
  future.target.cpu = "future";
  future.target.features = {"avx1024"};
  read->targets.insert(read->targets.begin(), future);
  std::vector<const cpu::CpuKernel *> kernels;
  for (const auto &kernel : read->kernels)
    kernels.push_back(kernel.get());
  std::string bytes =
      cpu::serializeExecutable(kernels, read->moduleOf, read->targets);
  Expected<cpu::SerializedExecutable> fat =
      cpu::deserializeExecutable(bytes.data(), bytes.size());
  ASSERT_TRUE(fat.ok()) << fat.message();
  Expected<size_t> picked = cpu::loadExecutableCode(*fat);
  ASSERT_TRUE(picked.ok()) << picked.message();
  EXPECT_EQ(*picked, 1u);
  for (const auto &kernel : fat->kernels)
    EXPECT_TRUE(kernel->whole || kernel->chunk ||
                kernel->head.kind != cpu::ContractionHead::Kind::None)
        << kernel->label;

  // Only the target no CPU runs: an error naming it.
  read->targets.resize(1);
  bytes = cpu::serializeExecutable(kernels, read->moduleOf, read->targets);
  Expected<cpu::SerializedExecutable> only =
      cpu::deserializeExecutable(bytes.data(), bytes.size());
  ASSERT_TRUE(only.ok()) << only.message();
  Expected<size_t> none = cpu::loadExecutableCode(*only);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.message().find("no code in it runs on this CPU: future"),
            std::string::npos)
      << none.message();
}

TEST(CpuArtifactTest, ArtifactWithoutARunnableTargetIsRejected) {
  Expected<Artifact> artifact = readArtifact(kCpuGolden);
  ASSERT_TRUE(artifact.ok()) << artifact.message();
  artifact->codeTargets = {{"future", {"avx1024"}}};
  Error error = checkCodeTargets(*artifact);
  ASSERT_FALSE(error.ok());
  EXPECT_NE(error.message().find("the artifact holds code for future"),
            std::string::npos)
      << error.message();
}

/// The golden executable's kernels, with the first matmul head of several
/// rows, to change and serialize again.
struct GoldenMatmul {
  cpu::SerializedExecutable read;
  std::vector<const cpu::CpuKernel *> kernels;
  cpu::CpuKernel *matmul = nullptr;
  size_t index = 0;

  void SetUp() {
    std::string original = goldenExecutable();
    Expected<cpu::SerializedExecutable> executable =
        cpu::deserializeExecutable(original.data(), original.size());
    ASSERT_TRUE(executable.ok()) << executable.message();
    read = std::move(*executable);
    for (const auto &kernel : read.kernels) {
      if (kernel->head.kind == cpu::ContractionHead::Kind::Matmul &&
          kernel->head.m > 1 && !matmul) {
        matmul = kernel.get();
        index = kernels.size();
      }
      kernels.push_back(kernel.get());
    }
    ASSERT_NE(matmul, nullptr) << "the golden MLP has batched matmul heads";
  }

  Expected<cpu::SerializedExecutable> roundTrip() const {
    std::string bytes =
        cpu::serializeExecutable(kernels, read.moduleOf, read.targets);
    return cpu::deserializeExecutable(bytes.data(), bytes.size());
  }
};

TEST(CpuArtifactTest, BlocksOfKOnAnythingButOneRowAreRejected) {
  GoldenMatmul golden;
  ASSERT_NO_FATAL_FAILURE(golden.SetUp());
  cpu::CpuKernel *matmul = golden.matmul;
  for (int64_t parts : {2, 9}) {
    matmul->head.kParts = parts;
    Expected<cpu::SerializedExecutable> bad = golden.roundTrip();
    ASSERT_FALSE(bad.ok()) << parts << " blocks";
    EXPECT_NE(bad.message().find("reduced over blocks of k is not one row"),
              std::string::npos)
        << bad.message();
  }
  // The same executable with the head as compiled loads again.
  matmul->head.kParts = 1;
  EXPECT_TRUE(golden.roundTrip().ok());
}

TEST(CpuArtifactTest, ColumnsSplitInsideSurviveOnlyOnA2DProductOfRows) {
  GoldenMatmul golden;
  ASSERT_NO_FATAL_FAILURE(golden.SetUp());
  golden.matmul->head.splitsInside = true;
  Expected<cpu::SerializedExecutable> kept = golden.roundTrip();
  ASSERT_TRUE(kept.ok()) << kept.message();
  EXPECT_TRUE(kept->kernels[golden.index]->head.splitsInside);
  // One row is split by columns or blocks of k, never this way.
  golden.matmul->head.m = 1;
  Expected<cpu::SerializedExecutable> bad = golden.roundTrip();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("splits its work inside"), std::string::npos)
      << bad.message();
}

TEST(CpuArtifactTest, KernelsWithoutWorkLoadOnlyWithoutCode) {
  GoldenKernels golden;
  ASSERT_NO_FATAL_FAILURE(readGoldenKernels(golden));
  const cpu::SerializedExecutable *read = &golden.read;
  std::vector<const cpu::CpuKernel *> &kernels = golden.kernels;
  // A reshape computed in place: two buffers of 64 bytes, nothing to run.
  cpu::CpuKernel view;
  view.viewOnly = true;
  view.numBuffers = 2;
  view.bufferBytes = {64, 64};
  view.rowBytes = {0, 0};
  view.label = "reshape (in place: moves nothing)";
  kernels.push_back(&view);
  std::vector<int64_t> moduleOf = read->moduleOf;
  moduleOf.push_back(-1);
  std::string bytes =
      cpu::serializeExecutable(kernels, moduleOf, read->targets);
  Expected<cpu::SerializedExecutable> loaded =
      cpu::deserializeExecutable(bytes.data(), bytes.size());
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  const cpu::CpuKernel &back = *loaded->kernels.back();
  EXPECT_TRUE(back.viewOnly);
  EXPECT_EQ(back.whole, nullptr);
  float data[16] = {1.0f};
  void *buffers[] = {data, data};
  nnc_error *error = nullptr;
  EXPECT_EQ(cpu::runCpuKernel(const_cast<cpu::CpuKernel *>(&back), buffers, 0,
                              1, &error),
            NNC_OK);

  // The same kernel with a split, or with code to call, is not one.
  view.range = 2;
  view.rows = 2;
  view.chunkRows = 1;
  bytes = cpu::serializeExecutable(kernels, moduleOf, read->targets);
  Expected<cpu::SerializedExecutable> split =
      cpu::deserializeExecutable(bytes.data(), bytes.size());
  ASSERT_FALSE(split.ok());
  EXPECT_NE(split.message().find("a kernel without work has code or a range"),
            std::string::npos)
      << split.message();
  view.range = 1;
  view.rows = view.chunkRows = 0;
  size_t withCode = 0;
  while (withCode + 1 < read->kernels.size() &&
         read->kernels[withCode]->wholeSymbol.empty())
    ++withCode;
  ASSERT_FALSE(read->kernels[withCode]->wholeSymbol.empty())
      << "the golden MLP has an unsplit kernel with code";
  view.wholeSymbol = read->kernels[withCode]->wholeSymbol;
  moduleOf.back() = moduleOf[withCode];
  bytes = cpu::serializeExecutable(kernels, moduleOf, read->targets);
  Expected<cpu::SerializedExecutable> coded =
      cpu::deserializeExecutable(bytes.data(), bytes.size());
  ASSERT_FALSE(coded.ok());
  EXPECT_NE(coded.message().find("a kernel without work has code or a range"),
            std::string::npos)
      << coded.message();
}

/// An attention kernel that reads q through a transpose ([B, T, H, D] read
/// as [B, H, T, D]): its layout round-trips, and a layout that would reach
/// past its buffer (read or written), or has an offset per head too few, is
/// refused.
TEST(CpuArtifactTest, AttentionLayoutsRoundTripAndStayInsideTheirBuffers) {
  GoldenKernels golden;
  ASSERT_NO_FATAL_FAILURE(readGoldenKernels(golden));
  const cpu::SerializedExecutable *read = &golden.read;
  std::vector<const cpu::CpuKernel *> &kernels = golden.kernels;
  const int64_t batch = 2, heads = 2, positions = 4, depth = 8;
  const int64_t bytes = batch * heads * positions * depth * 4;
  cpu::CpuKernel attention;
  attention.numBuffers = 4; // q, k, v, out
  attention.bufferBytes.assign(4, bytes);
  attention.label = "transpose+scaled_dot_product_attention (native)";
  attention.rows = batch * heads;
  attention.jitBuffers = {0, 1, 2, -1};
  attention.rowBytes.assign(4, 0);
  cpu::ContractionHead &head = attention.head;
  head.kind = cpu::ContractionHead::Kind::Attention;
  head.rows = batch * heads;
  head.rowElements = positions * depth;
  head.out = 3;
  head.attentionBuffers = {0, 1, 2, -1, -1, -1, -1, -1, -1};
  cpu::AttentionShape &shape = head.attention;
  shape.heads = batch * heads;
  shape.queries = shape.keys = positions;
  shape.depth = shape.valueDepth = depth;
  shape.scale = 0.5f;
  cpu::HeadLayout &q = shape.layouts[0];
  q.rowStride = heads * depth;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h)
      q.headOffset.push_back(b * positions * heads * depth + h * depth);
  kernels.push_back(&attention);
  std::vector<int64_t> moduleOf = read->moduleOf;
  moduleOf.push_back(-1);
  auto load = [&] {
    std::string written =
        cpu::serializeExecutable(kernels, moduleOf, read->targets);
    return cpu::deserializeExecutable(written.data(), written.size());
  };

  Expected<cpu::SerializedExecutable> loaded = load();
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  const cpu::AttentionShape &back = loaded->kernels.back()->head.attention;
  EXPECT_EQ(back.layouts[0].headOffset, q.headOffset);
  EXPECT_EQ(back.layouts[0].rowStride, q.rowStride);
  for (int o = 1; o < cpu::kAttentionOperands; ++o)
    EXPECT_TRUE(back.layouts[o].headOffset.empty()) << "operand " << o;

  // One float more per row: the last head's last row ends past q.
  q.rowStride += 1;
  Expected<cpu::SerializedExecutable> past = load();
  ASSERT_FALSE(past.ok());
  EXPECT_NE(past.message().find("reads or writes past its buffers"),
            std::string::npos)
      << past.message();
  q.rowStride -= 1;
  // The output written through a layout that ends past its buffer.
  cpu::HeadLayout &out = shape.layouts[3];
  out = q;
  out.headOffset.back() += 1;
  Expected<cpu::SerializedExecutable> outPast = load();
  ASSERT_FALSE(outPast.ok());
  EXPECT_NE(outPast.message().find("reads or writes past its buffers"),
            std::string::npos)
      << outPast.message();
  out = cpu::HeadLayout();
  q.headOffset.pop_back();
  Expected<cpu::SerializedExecutable> short_ = load();
  ASSERT_FALSE(short_.ok());
  EXPECT_NE(
      short_.message().find("an attention layout does not match its heads"),
      std::string::npos)
      << short_.message();
}

TEST(CpuArtifactTest, BuffersOtherThanCompiledAreRejected) {
  std::string original = goldenExecutable();
  Expected<cpu::SerializedExecutable> read =
      cpu::deserializeExecutable(original.data(), original.size());
  ASSERT_TRUE(read.ok()) << read.message();
  const cpu::CpuKernel &kernel = *read->kernels.front();
  std::vector<uint64_t> sizes(kernel.bufferBytes.begin(),
                              kernel.bufferBytes.end());
  EXPECT_TRUE(cpu::checkKernelBuffers(kernel, sizes.data(),
                                      static_cast<int64_t>(sizes.size()))
                  .ok());
  ASSERT_FALSE(sizes.empty());
  sizes[0] -= 4;
  EXPECT_FALSE(cpu::checkKernelBuffers(kernel, sizes.data(),
                                       static_cast<int64_t>(sizes.size()))
                   .ok());
  EXPECT_FALSE(cpu::checkKernelBuffers(kernel, sizes.data(),
                                       static_cast<int64_t>(sizes.size()) - 1)
                   .ok());
}

} // namespace
