//===- GradientAllReducerTest.cpp - Buckets, weights and their order ------===//
//
// dist::GradientAllReducer against a communicator of N ranks that all hold
// the same values: an all-reduce multiplies them by N and records which
// bucket it was given, so the order of the collectives, the weighting and
// the scaling all have closed forms.

#include "distributed/GradientAllReducer.h"

#include <gtest/gtest.h>

#include <mutex>
#include <numeric>

using namespace nnc;
using namespace nnc::dist;

namespace {

class RecordingCommunicator final : public Communicator {
public:
  explicit RecordingCommunicator(int ranks) : ranks(ranks) {}
  int rank() const override { return 0; }
  int size() const override { return ranks; }
  std::string allReduceAlgorithm() const override { return "recorded"; }
  rt::Error allReduceSum(void *data, size_t count, bool isDouble) override {
    std::lock_guard<std::mutex> lock(mutex);
    calls.push_back(data);
    if (!isDouble)
      for (size_t i = 0; i < count; ++i)
        static_cast<float *>(data)[i] *= static_cast<float>(ranks);
    return rt::Error::success();
  }
  rt::Error broadcast(void *, size_t, int) override {
    return rt::Error::success();
  }
  rt::Expected<std::vector<std::string>>
  allGather(const std::string &mine) override {
    return std::vector<std::string>(static_cast<size_t>(ranks), mine);
  }
  [[noreturn]] void abortJob(int code) override { std::exit(code); }

  std::vector<void *> recorded() {
    std::lock_guard<std::mutex> lock(mutex);
    return calls;
  }

private:
  int ranks;
  std::mutex mutex;
  std::vector<void *> calls;
};

/// Three values of 4, 2 and 3 floats, each in a bucket of its own (a
/// bucket of 8 bytes holds less than any of them).
std::vector<size_t> threeValues() { return {4, 2, 3}; }

/// A step whose graph wrote value v's results into `results[v]` with
/// kernel `writers[v]`.
StepSources sourcesOf(std::vector<std::vector<float>> &results,
                      std::vector<int64_t> writers) {
  StepSources sources;
  for (size_t v = 0; v < results.size(); ++v) {
    sources.data.push_back(results[v].data());
    sources.writers.push_back(writers[v]);
    sources.results.push_back(v);
  }
  return sources;
}

TEST(GradientAllReducerTest,
     BucketsAreAllReducedInTheirOrderWhateverOrderTheyFill) {
  RecordingCommunicator communicator(2);
  GradientAllReducer reducer(communicator, threeValues(), 8);
  ASSERT_EQ(reducer.bucketCount(), 3u);
  std::vector<std::vector<float>> results = {{1, 2, 3, 4}, {5, 6}, {7, 8, 9}};
  // Kernel 0 finishes the last bucket, kernel 1 the first, kernel 2 the
  // second: another rank's threads may finish them in another order.
  StepSources sources = sourcesOf(results, {1, 2, 0});
  reducer.beginStep(sources, 3, 1.0f, /*accumulate=*/false,
                    /*communicate=*/true);
  reducer.kernelDone(0);
  reducer.kernelDone(1);
  reducer.kernelDone(2);
  ASSERT_TRUE(reducer.finishStep().ok());
  std::vector<void *> calls = communicator.recorded();
  ASSERT_EQ(calls.size(), 3u);
  for (size_t b = 0; b < 3; ++b)
    EXPECT_EQ(calls[b], reducer.valueData(b)) << "collective " << b;
  // Summed over the two ranks.
  EXPECT_EQ(reducer.valueData(2)[2], 18.0f);
}

TEST(GradientAllReducerTest, ValuesAreWeightedAccumulatedAndScaled) {
  RecordingCommunicator communicator(3);
  GradientAllReducer reducer(communicator, {2, 1}, 1 << 20);
  ASSERT_EQ(reducer.bucketCount(), 1u);
  std::vector<std::vector<float>> first = {{1, 2}, {3}};
  std::vector<std::vector<float>> second = {{10, 20}, {30}};
  StepSources a = sourcesOf(first, {0, 0});
  StepSources b = sourcesOf(second, {-1, -1});
  // Two batches of an accumulation group, of 4 and then 2 samples; only
  // the second communicates.
  reducer.beginStep(a, 1, 4.0f, false, false);
  reducer.kernelDone(0);
  ASSERT_TRUE(reducer.finishStep().ok());
  EXPECT_TRUE(communicator.recorded().empty());
  reducer.beginStep(b, 1, 2.0f, true, true);
  ASSERT_TRUE(reducer.finishStep().ok());
  ASSERT_EQ(communicator.recorded().size(), 1u);
  // Each of 3 ranks held 4 * 1 + 2 * 10 = 24 of the first element over 18
  // samples in all.
  reducer.scale(1.0f / 18.0f);
  EXPECT_FLOAT_EQ(reducer.valueData(0)[0], 3 * 24.0f / 18.0f);
  EXPECT_FLOAT_EQ(reducer.valueData(0)[1], 3 * 48.0f / 18.0f);
  EXPECT_FLOAT_EQ(reducer.valueData(1)[0], 3 * 72.0f / 18.0f);
}

TEST(GradientAllReducerTest,
     ValuesWrittenInTheirBucketsWithWeightOneAreLeftAlone) {
  RecordingCommunicator communicator(1);
  GradientAllReducer reducer(communicator, threeValues(), 1 << 20);
  // The step wrote its results where they lie in the bucket.
  StepSources sources;
  for (size_t v = 0; v < 3; ++v) {
    float *into = reducer.valueData(v);
    for (size_t i = 0; i < threeValues()[v]; ++i)
      into[i] = static_cast<float>(10 * v + i);
    sources.data.push_back(into);
    sources.writers.push_back(0);
    sources.results.push_back(v);
  }
  reducer.beginStep(sources, 1, 1.0f, false, true);
  reducer.kernelDone(0);
  ASSERT_TRUE(reducer.finishStep().ok());
  reducer.scale(1.0f);
  // One process has nothing to sum with: no collective, the same bits.
  EXPECT_TRUE(communicator.recorded().empty());
  for (size_t v = 0; v < 3; ++v)
    for (size_t i = 0; i < threeValues()[v]; ++i)
      EXPECT_EQ(reducer.valueData(v)[i], static_cast<float>(10 * v + i));
}

} // namespace
