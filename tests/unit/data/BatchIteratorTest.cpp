//===- BatchIteratorTest.cpp - Mini-batches, shuffling and resume ---------===//

#include "runtime/BatchIterator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

using namespace nnc::rt;

namespace {

/// `n` samples: x[i] = {i, 100 + i} (f32) and y[i] = i (i32), so a batch
/// row tells which sample it holds.
Dataset makeDataset(int64_t n) {
  std::vector<float> x;
  std::vector<int32_t> y;
  for (int64_t i = 0; i < n; ++i) {
    x.push_back(static_cast<float>(i));
    x.push_back(static_cast<float>(100 + i));
    y.push_back(static_cast<int32_t>(i));
  }
  Dataset dataset;
  EXPECT_TRUE(
      dataset.addColumn("x", Tensor::fromVector<float>({n, 2}, x)).ok());
  EXPECT_TRUE(dataset.addColumn("y", Tensor::fromVector<int32_t>({n}, y)).ok());
  return dataset;
}

/// Runs one epoch and returns the sample ids in visiting order (read from
/// the gathered data, checked against indices()), plus the batch sizes.
std::vector<int64_t> runEpoch(BatchIterator &it,
                              std::vector<int64_t> *sizes = nullptr) {
  std::vector<int64_t> seen;
  while (true) {
    Expected<bool> more = it.next();
    EXPECT_TRUE(more.ok()) << more.message();
    if (!more.ok() || !*more)
      break;
    const Batch &batch = it.batch();
    if (sizes)
      sizes->push_back(batch.size());
    const Tensor &x = *batch.column("x");
    const Tensor &y = batch.column(1);
    EXPECT_EQ(batch.columnName(1), "y");
    EXPECT_EQ(x.shape(), (Shape{batch.size(), 2}));
    for (int64_t k = 0; k < batch.size(); ++k) {
      int32_t id = y.at<int32_t>(k);
      EXPECT_EQ(batch.indices()[static_cast<size_t>(k)], id);
      EXPECT_EQ(x.at<float>(2 * k), static_cast<float>(id));
      EXPECT_EQ(x.at<float>(2 * k + 1), static_cast<float>(100 + id));
      seen.push_back(id);
    }
  }
  return seen;
}

std::vector<int64_t> iota(int64_t n) {
  std::vector<int64_t> values(static_cast<size_t>(n));
  std::iota(values.begin(), values.end(), int64_t(0));
  return values;
}

} // namespace

TEST(BatchIteratorTest, RejectsNonPositiveBatchSize) {
  Dataset dataset = makeDataset(4);
  EXPECT_EQ(BatchIterator::create(dataset, {0}).message(),
            "batch size must be positive, got 0");
}

TEST(BatchIteratorTest, InOrderWithPartialLastBatch) {
  Dataset dataset = makeDataset(10);
  Expected<BatchIterator> it = BatchIterator::create(dataset, {4});
  ASSERT_TRUE(it.ok());
  EXPECT_EQ(it->batchesPerEpoch(), 3);
  std::vector<int64_t> sizes;
  EXPECT_EQ(runEpoch(*it, &sizes), iota(10));
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4, 2}));
  EXPECT_EQ(it->state().epoch, 1);
  EXPECT_EQ(it->state().position, 0);
}

TEST(BatchIteratorTest, DropLastDropsThePartialBatch) {
  Dataset dataset = makeDataset(10);
  BatchOptions options;
  options.batchSize = 4;
  options.dropLast = true;
  options.shuffle = true;
  Expected<BatchIterator> it = BatchIterator::create(dataset, options);
  ASSERT_TRUE(it.ok());
  EXPECT_EQ(it->batchesPerEpoch(), 2);
  std::vector<int64_t> sizes;
  std::vector<int64_t> seen = runEpoch(*it, &sizes);
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4}));
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());
}

TEST(BatchIteratorTest, EpochDoneAfterTheLastBatchTheEpochTakes) {
  Dataset dataset = makeDataset(10);
  for (bool dropLast : {false, true}) {
    BatchOptions options;
    options.batchSize = 4;
    options.dropLast = dropLast;
    Expected<BatchIterator> it = BatchIterator::create(dataset, options);
    ASSERT_TRUE(it.ok());
    std::vector<bool> done;
    while (*it->next())
      done.push_back(it->epochDone());
    // Dropping the short batch, the epoch is done after the second.
    std::vector<bool> expected = dropLast
                                     ? std::vector<bool>{false, true}
                                     : std::vector<bool>{false, false, true};
    EXPECT_EQ(done, expected);
    EXPECT_FALSE(it->epochDone()) << "the next epoch has its batches";
  }
}

TEST(BatchIteratorTest, ShuffleCoversEverySampleOncePerEpoch) {
  Dataset dataset = makeDataset(103);
  BatchOptions options;
  options.batchSize = 16;
  options.shuffle = true;
  options.seed = 42;
  Expected<BatchIterator> it = BatchIterator::create(dataset, options);
  ASSERT_TRUE(it.ok());
  std::vector<std::vector<int64_t>> epochs;
  for (int e = 0; e < 3; ++e) {
    std::vector<int64_t> seen = runEpoch(*it);
    epochs.push_back(seen);
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, iota(103)) << "epoch " << e;
  }
  // Every epoch has its own permutation, and none is the identity.
  EXPECT_NE(epochs[0], epochs[1]);
  EXPECT_NE(epochs[1], epochs[2]);
  EXPECT_NE(epochs[0], iota(103));
}

TEST(BatchIteratorTest, ShuffleIsDeterministic) {
  Dataset dataset = makeDataset(50);
  BatchOptions options{8, true, 7, false};
  Expected<BatchIterator> a = BatchIterator::create(dataset, options);
  Expected<BatchIterator> b = BatchIterator::create(dataset, options);
  options.seed = 8;
  Expected<BatchIterator> c = BatchIterator::create(dataset, options);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  for (int e = 0; e < 2; ++e) {
    std::vector<int64_t> first = runEpoch(*a);
    EXPECT_EQ(first, runEpoch(*b));
    EXPECT_NE(first, runEpoch(*c));
  }
}

TEST(BatchIteratorTest, SplitMix64IsPlatformIndependent) {
  // The reference values of SplitMix64 seeded with 0 (Vigna's splitmix64.c);
  // the shuffle depends on nothing else.
  SplitMix64 rng(0);
  EXPECT_EQ(rng.next(), 0xE220A8397B1DCDAFull);
  EXPECT_EQ(rng.next(), 0x6E789E6AA1B965F4ull);
  EXPECT_EQ(rng.next(), 0x06C45D188009454Full);
  // A pinned permutation: a change here changes every user's training run.
  SplitMix64 shuffleRng(123);
  std::vector<int64_t> order = iota(8);
  fisherYatesShuffle(order, shuffleRng);
  EXPECT_EQ(order, (std::vector<int64_t>{6, 0, 7, 2, 1, 4, 5, 3}));
  for (uint64_t bound : {1ull, 2ull, 3ull, 1000ull})
    for (int i = 0; i < 100; ++i)
      EXPECT_LT(rng.nextBelow(bound), bound);
}

TEST(BatchIteratorTest, BuffersAreReusedBetweenBatches) {
  Dataset dataset = makeDataset(10);
  Expected<BatchIterator> it = BatchIterator::create(dataset, {4, true, 1});
  ASSERT_TRUE(it.ok());
  const std::byte *full = nullptr, *partial = nullptr;
  for (int e = 0; e < 3; ++e) {
    while (true) {
      Expected<bool> more = it->next();
      ASSERT_TRUE(more.ok());
      if (!*more)
        break;
      const std::byte *data = it->batch().column(0).rawData();
      const std::byte *&expected = it->batch().size() == 4 ? full : partial;
      if (!expected)
        expected = data;
      EXPECT_EQ(data, expected);
    }
  }
  EXPECT_NE(full, partial);
}

TEST(BatchIteratorTest, StateRoundTripResumesOnTheSameBatches) {
  Dataset dataset = makeDataset(37);
  BatchOptions options{5, true, 99, false};
  Expected<BatchIterator> original = BatchIterator::create(dataset, options);
  ASSERT_TRUE(original.ok());
  runEpoch(*original);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(*original->next());
  BatchIteratorState saved = original->state();
  EXPECT_EQ(saved, (BatchIteratorState{1, 15, 99, 37}));

  // Through the JSON form a checkpoint stores, with a seed above 2^63.
  JsonObject json;
  saveIteratorState(json, {2, 10, 0xFFFFFFFFFFFFFFF0ull});
  Expected<BatchIteratorState> big = loadIteratorState(json);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->seed, 0xFFFFFFFFFFFFFFF0ull);
  saveIteratorState(json, saved, "train.");
  Expected<BatchIteratorState> loaded = loadIteratorState(
      *JsonObject::parse(json.toJson(), "state.json"), "train.");
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  EXPECT_EQ(*loaded, saved);
  EXPECT_EQ(loadIteratorState(JsonObject()).message(),
            "missing key 'data.epoch'");

  // A fresh iterator, built with another seed, restored from the state.
  Expected<BatchIterator> resumed =
      BatchIterator::create(dataset, {5, true, 1, false});
  ASSERT_TRUE(resumed.ok());
  ASSERT_TRUE(resumed->restore(*loaded).ok());
  EXPECT_EQ(runEpoch(*resumed), runEpoch(*original));

  // Inside the epoch, data of another size would mix two orders; at its
  // end it starts the next, and a state of an nnc that did not record the
  // size (0) is taken as it is.
  Dataset other = makeDataset(36);
  Expected<BatchIterator> elsewhere =
      BatchIterator::create(other, {5, true, 1, false});
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_EQ(elsewhere->restore(saved).message(),
            "cannot resume inside an epoch ordered over 37 samples with data "
            "of 36 (resume with the same data, or from a checkpoint at an "
            "epoch's end)");
  EXPECT_TRUE(elsewhere->restore({1, 0, 99, 37}).ok());
  EXPECT_TRUE(elsewhere->restore({1, 15, 99, 0}).ok());
  EXPECT_EQ(runEpoch(*resumed), runEpoch(*original));

  EXPECT_EQ(resumed->restore({0, 38, 1}).message(),
            "cannot resume at sample 38 of a dataset of 37 samples");
  EXPECT_FALSE(resumed->restore({-1, 0, 1}).ok());
}

TEST(BatchIteratorTest, EmptyDatasetHasNoBatches) {
  Dataset dataset = makeDataset(0);
  Expected<BatchIterator> it = BatchIterator::create(dataset, {4, true, 3});
  ASSERT_TRUE(it.ok());
  EXPECT_EQ(it->batchesPerEpoch(), 0);
  EXPECT_TRUE(runEpoch(*it).empty());
  EXPECT_EQ(it->state().epoch, 1);
}
