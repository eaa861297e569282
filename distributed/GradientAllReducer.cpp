//===- GradientAllReducer.cpp - Bucketed gradient all-reduce --------------===//

#include "distributed/GradientAllReducer.h"

#include <chrono>

namespace nnc::dist {
namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

} // namespace

GradientAllReducer::GradientAllReducer(Communicator &communicator,
                                       std::vector<size_t> valueCounts,
                                       size_t bucketBytes)
    : communicator(communicator), counts(std::move(valueCounts)),
      bucketOf(counts.size()), offsetOf(counts.size()), packed(counts.size()) {
  std::vector<size_t> sizes;
  size_t filled = 0;
  for (size_t v = 0; v < counts.size(); ++v) {
    size_t bytes = counts[v] * sizeof(float);
    if (sizes.empty() || (filled > 0 && filled + bytes > bucketBytes)) {
      sizes.push_back(0);
      filled = 0;
    }
    bucketOf[v] = sizes.size() - 1;
    offsetOf[v] = sizes.back();
    sizes.back() += counts[v];
    filled += bytes;
  }
  buckets = std::vector<Bucket>(sizes.size());
  for (size_t b = 0; b < sizes.size(); ++b)
    buckets[b].buffer.assign(sizes[b], 0.0f);
  for (size_t v = 0; v < counts.size(); ++v)
    buckets[bucketOf[v]].values.push_back(v);
  full.assign(buckets.size(), false);
  worker = std::thread([this] { communicate(); });
}

GradientAllReducer::~GradientAllReducer() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  wake.notify_all();
  worker.join();
}

void GradientAllReducer::beginStep(const StepSources &stepSources,
                                   size_t kernelCount, float stepWeight,
                                   bool accumulate, bool communicate) {
  sources = &stepSources;
  weight = stepWeight;
  accumulating = accumulate;
  communicating = communicate;
  {
    // The communication thread reads these when it wakes, also spuriously.
    std::lock_guard<std::mutex> lock(mutex);
    reduced = 0;
    full.assign(buckets.size(), false);
  }
  writtenBy.assign(kernelCount, {});
  for (size_t v = 0; v < counts.size(); ++v) {
    int64_t writer =
        v < stepSources.writers.size() ? stepSources.writers[v] : -1;
    if (writer >= 0 && static_cast<size_t>(writer) < kernelCount)
      writtenBy[static_cast<size_t>(writer)].push_back(v);
  }
  for (Bucket &bucket : buckets)
    bucket.pending.store(bucket.values.size(), std::memory_order_relaxed);
  for (std::atomic<bool> &flag : packed)
    flag.store(false, std::memory_order_relaxed);
}

void GradientAllReducer::pack(size_t v) {
  // A value is packed once, by whoever gets to it first (its kernel's
  // observer, or finishStep for the rest).
  if (packed[v].exchange(true, std::memory_order_acq_rel))
    return;
  Bucket &bucket = buckets[bucketOf[v]];
  float *into = bucket.buffer.data() + offsetOf[v];
  const float *from = v < sources->data.size() ? sources->data[v] : nullptr;
  if (!from) {
    if (!accumulating)
      std::fill(into, into + counts[v], 0.0f);
  } else if (accumulating) {
    for (size_t i = 0; i < counts[v]; ++i)
      into[i] += from[i] * weight;
  } else if (from == into) {
    // Written into the bucket by the step itself: weighted where it lies.
    if (weight != 1.0f)
      for (size_t i = 0; i < counts[v]; ++i)
        into[i] *= weight;
  } else {
    for (size_t i = 0; i < counts[v]; ++i)
      into[i] = from[i] * weight;
  }
  if (bucket.pending.fetch_sub(1, std::memory_order_acq_rel) == 1 &&
      communicating)
    enqueue(bucketOf[v]);
}

void GradientAllReducer::enqueue(size_t bucket) {
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

void GradientAllReducer::kernelDone(int64_t kernel) {
  if (kernel < 0 || static_cast<size_t>(kernel) >= writtenBy.size())
    return;
  for (size_t v : writtenBy[static_cast<size_t>(kernel)])
    pack(v);
}

void GradientAllReducer::communicate() {
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
    rt::Error error = communicator.allReduceSum(bucket.buffer.data(),
                                                bucket.buffer.size(), false);
    double seconds = secondsSince(start);
    lock.lock();
    stepCommunication += seconds;
    stepBytes += bucket.buffer.size() * sizeof(float);
    if (!error.ok() && firstError.ok())
      firstError = std::move(error);
    ++reduced;
    finished.notify_all();
  }
}

rt::Error GradientAllReducer::finishStep() {
  auto start = std::chrono::steady_clock::now();
  for (size_t v = 0; v < counts.size(); ++v)
    pack(v);
  if (!communicating)
    return rt::Error::success();
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

void GradientAllReducer::scale(float factor) {
  if (factor == 1.0f)
    return;
  for (Bucket &bucket : buckets)
    for (float &value : bucket.buffer)
      value *= factor;
}

} // namespace nnc::dist
