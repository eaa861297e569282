//===- BucketedAllReduceTest.cpp - Buckets, their order and the shares ----===//
//
// dist::BucketedAllReduce against a communicator of N ranks that all hold
// the same values: an all-reduce multiplies them by N and records which
// memory it was given, so the buckets, the order of the collectives and
// the sums all have closed forms.

#include "distributed/BucketedAllReduce.h"

#include <gtest/gtest.h>

#include <mutex>
#include <numeric>

using namespace nnc;
using namespace nnc::dist;

namespace {

class RecordingCommunicator final : public Communicator {
public:
  explicit RecordingCommunicator(int ranks, int rank = 0)
      : ranks(ranks), self(rank) {}
  int rank() const override { return self; }
  int size() const override { return ranks; }
  std::string allReduceAlgorithm() const override { return "recorded"; }
  rt::Error allReduceSum(void *data, size_t count, bool isDouble) override {
    std::lock_guard<std::mutex> lock(mutex);
    calls.push_back({data, count});
    for (size_t i = 0; i < count; ++i) {
      if (isDouble)
        static_cast<double *>(data)[i] *= ranks;
      else
        static_cast<float *>(data)[i] *= static_cast<float>(ranks);
    }
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

  std::vector<std::pair<void *, size_t>> recorded() {
    std::lock_guard<std::mutex> lock(mutex);
    return calls;
  }

private:
  int ranks, self;
  std::mutex mutex;
  std::vector<std::pair<void *, size_t>> calls;
};

/// Three values of 4, 2 and 3 floats, one after another.
std::vector<size_t> threeValues() { return {4, 2, 3}; }

TEST(BucketedAllReduceTest,
     BucketsAreAllReducedInTheirOrderWhateverOrderTheyFill) {
  RecordingCommunicator communicator(2);
  // A bucket of 8 bytes holds less than any value: one bucket each.
  BucketedAllReduce exchange(communicator, 8);
  std::vector<float> values(9);
  std::iota(values.begin(), values.end(), 1.0f);
  ASSERT_TRUE(exchange.prepare(values.data(), threeValues()).ok());
  ASSERT_EQ(exchange.bucketCount(), 3u);
  exchange.beginExchange();
  // The last value is ready first, as another rank's threads may finish
  // them in another order.
  exchange.valueReady(2);
  exchange.valueReady(0);
  exchange.valueReady(1);
  ASSERT_TRUE(exchange.finishExchange().ok());
  std::vector<std::pair<void *, size_t>> calls = communicator.recorded();
  ASSERT_EQ(calls.size(), 3u);
  // Each bucket is summed where it lies in the caller's array, in order.
  EXPECT_EQ(calls[0], std::make_pair<void *>(values.data(), size_t(4)));
  EXPECT_EQ(calls[1], std::make_pair<void *>(values.data() + 4, size_t(2)));
  EXPECT_EQ(calls[2], std::make_pair<void *>(values.data() + 6, size_t(3)));
  for (size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(values[i], 2.0f * static_cast<float>(i + 1)) << i;
}

TEST(BucketedAllReduceTest, BucketsGatherValuesUpToTheirSize) {
  RecordingCommunicator communicator(3);
  // 24 bytes: the first two values (16 + 8) share one, the third (12)
  // starts the next.
  BucketedAllReduce exchange(communicator, 24);
  std::vector<float> values(9, 1.0f);
  ASSERT_TRUE(exchange.prepare(values.data(), threeValues()).ok());
  ASSERT_EQ(exchange.bucketCount(), 2u);
  exchange.beginExchange();
  exchange.valueReady(0);
  // The first bucket waits for its second value.
  exchange.valueReady(2);
  exchange.valueReady(1);
  ASSERT_TRUE(exchange.finishExchange().ok());
  std::vector<std::pair<void *, size_t>> calls = communicator.recorded();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].second, 6u);
  EXPECT_EQ(calls[1].second, 3u);
  for (float value : values)
    EXPECT_EQ(value, 3.0f);
}

TEST(BucketedAllReduceTest, OneProcessSendsNothing) {
  RecordingCommunicator communicator(1);
  BucketedAllReduce exchange(communicator, 1 << 20);
  std::vector<float> values(9);
  std::iota(values.begin(), values.end(), 0.0f);
  ASSERT_TRUE(exchange.prepare(values.data(), threeValues()).ok());
  exchange.beginExchange();
  for (size_t v = 0; v < 3; ++v)
    exchange.valueReady(v);
  ASSERT_TRUE(exchange.finishExchange().ok());
  EXPECT_TRUE(communicator.recorded().empty());
  for (size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(values[i], static_cast<float>(i));
}

TEST(BucketedAllReduceTest, EveryStepExchangesAgain) {
  RecordingCommunicator communicator(2);
  BucketedAllReduce exchange(communicator, 8);
  std::vector<float> values(9, 1.0f);
  ASSERT_TRUE(exchange.prepare(values.data(), threeValues()).ok());
  for (int step = 0; step < 3; ++step) {
    exchange.beginExchange();
    for (size_t v = 0; v < 3; ++v)
      exchange.valueReady(v);
    ASSERT_TRUE(exchange.finishExchange().ok());
  }
  EXPECT_EQ(communicator.recorded().size(), 9u);
  EXPECT_EQ(values[8], 8.0f);
  // The first exchange is not counted: it also waits for compiles.
  EXPECT_EQ(exchange.stats().steps, 2);
  EXPECT_EQ(exchange.stats().buckets, 6);
}

TEST(BucketedAllReduceTest, ScalarsAreSummedAsDoubles) {
  RecordingCommunicator communicator(4);
  BucketedAllReduce exchange(communicator, 8);
  double sums[2] = {0.25, 3};
  ASSERT_TRUE(exchange.sumScalars(sums, 2).ok());
  EXPECT_EQ(sums[0], 1.0);
  EXPECT_EQ(sums[1], 12.0);
}

TEST(BucketedAllReduceTest, SharesSplitABatchAsEvenlyAsPossible) {
  // 10 rows over 3 ranks: the first rank takes the extra one.
  std::vector<std::pair<int64_t, int64_t>> expected = {{0, 4}, {4, 3}, {7, 3}};
  for (int rank = 0; rank < 3; ++rank) {
    RecordingCommunicator communicator(3, rank);
    BucketedAllReduce exchange(communicator, 8);
    train::BatchShare share = exchange.shareOf(10);
    EXPECT_EQ(share.begin, expected[rank].first) << "rank " << rank;
    EXPECT_EQ(share.count, expected[rank].second) << "rank " << rank;
    // A batch smaller than the job leaves the last ranks without rows.
    EXPECT_EQ(exchange.shareOf(2).count, rank < 2 ? 1 : 0) << "rank " << rank;
  }
}

} // namespace
