//===- BucketedAllReduce.cpp - Gradients summed over ranks in buckets -----===//

#include "distributed/BucketedAllReduce.h"

#include <algorithm>
#include <chrono>

namespace nnc::dist {
namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

} // namespace

BucketedAllReduce::BucketedAllReduce(Communicator &communicator,
                                     size_t bucketBytes)
    : communicator(communicator), bucketBytes(bucketBytes) {
  worker = std::thread([this] { communicate(); });
}

BucketedAllReduce::~BucketedAllReduce() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  wake.notify_all();
  worker.join();
}

train::BatchShare BucketedAllReduce::shareOf(int64_t size) const {
  int64_t ranks = communicator.size(), rank = communicator.rank();
  int64_t base = size / ranks, extra = size % ranks;
  return {rank * base + std::min(rank, extra), base + (rank < extra ? 1 : 0)};
}

rt::Error BucketedAllReduce::prepare(float *values,
                                     const std::vector<size_t> &counts) {
  // Each bucket holds at least one value, and no more than bucketBytes
  // unless one value alone is larger.
  std::vector<std::pair<size_t, size_t>> extents; // (first float, values)
  std::vector<size_t> sizes;
  size_t filled = 0, offset = 0;
  bucketOf.assign(counts.size(), 0);
  for (size_t v = 0; v < counts.size(); ++v) {
    size_t bytes = counts[v] * sizeof(float);
    if (extents.empty() || (filled > 0 && filled + bytes > bucketBytes)) {
      extents.push_back({offset, 0});
      sizes.push_back(0);
      filled = 0;
    }
    bucketOf[v] = extents.size() - 1;
    extents.back().second += 1;
    sizes.back() += counts[v];
    filled += bytes;
    offset += counts[v];
  }
  std::lock_guard<std::mutex> lock(mutex);
  buckets = std::vector<Bucket>(extents.size());
  for (size_t b = 0; b < extents.size(); ++b) {
    buckets[b].data = values + extents[b].first;
    buckets[b].count = sizes[b];
    buckets[b].values = extents[b].second;
  }
  full.assign(buckets.size(), false);
  return rt::Error::success();
}

void BucketedAllReduce::beginExchange() {
  {
    // The communication thread reads these when it wakes, also spuriously.
    std::lock_guard<std::mutex> lock(mutex);
    reduced = 0;
    full.assign(buckets.size(), false);
  }
  for (Bucket &bucket : buckets)
    bucket.pending.store(bucket.values, std::memory_order_relaxed);
}

void BucketedAllReduce::valueReady(size_t v) {
  size_t b = bucketOf[v];
  if (buckets[b].pending.fetch_sub(1, std::memory_order_acq_rel) == 1)
    enqueue(b);
}

void BucketedAllReduce::enqueue(size_t bucket) {
  // One process has nothing to sum with: the bucket is final as it is.
  // Waking the communication thread for it cost a context switch on the
  // worker's time line (36 us a step on a 2-vCPU guest).
  if (communicator.size() == 1) {
    std::lock_guard<std::mutex> lock(mutex);
    ++reduced;
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    full[bucket] = true;
    // The thread waits for the buckets in their order.
    if (bucket != reduced)
      return;
  }
  wake.notify_one();
}

void BucketedAllReduce::communicate() {
  std::unique_lock<std::mutex> lock(mutex);
  while (true) {
    // Every rank all-reduces the buckets in their order, whatever order
    // its kernels filled them in: collectives must be called in the same
    // order on every rank, and with several threads the kernels of two
    // buckets can finish in either order.
    auto nextIsFull = [&] { return reduced < buckets.size() && full[reduced]; };
    wake.wait(lock, [&] { return stopping || nextIsFull(); });
    if (!nextIsFull())
      return;
    size_t b = reduced;
    lock.unlock();
    auto start = std::chrono::steady_clock::now();
    Bucket &bucket = buckets[b];
    rt::Error error =
        communicator.allReduceSum(bucket.data, bucket.count, false);
    double seconds = secondsSince(start);
    lock.lock();
    stepCommunication += seconds;
    stepBytes += bucket.count * sizeof(float);
    if (!error.ok() && firstError.ok())
      firstError = std::move(error);
    ++reduced;
    finished.notify_all();
  }
}

rt::Error BucketedAllReduce::finishExchange() {
  auto start = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex);
  finished.wait(lock, [&] { return reduced == buckets.size(); });
  // The first step waits for every other rank to compile its graphs;
  // counting it would report compile time as communication.
  if (warmedUp) {
    totals.exposedSeconds += secondsSince(start);
    totals.steps += 1;
    totals.buckets += static_cast<int64_t>(buckets.size());
    totals.communicationSeconds += stepCommunication;
    totals.bytes += stepBytes;
  }
  warmedUp = true;
  stepCommunication = 0;
  stepBytes = 0;
  if (!firstError.ok()) {
    rt::Error error = std::move(firstError);
    firstError = rt::Error::success();
    return error;
  }
  return rt::Error::success();
}

rt::Error BucketedAllReduce::sumScalars(double *data, size_t count) {
  return communicator.allReduceSum(data, count, /*isDouble=*/true);
}

} // namespace nnc::dist
