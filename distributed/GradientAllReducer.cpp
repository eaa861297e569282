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
                                       std::vector<ReducedTensor> tensorList,
                                       size_t bucketBytes, size_t kernelCount)
    : communicator(communicator), tensors(std::move(tensorList)),
      bucketOf(tensors.size()), offsetOf(tensors.size()),
      writtenBy(kernelCount), packed(tensors.size()) {
  size_t bucketCount = 0;
  size_t filled = 0;
  std::vector<size_t> sizes;
  for (size_t t = 0; t < tensors.size(); ++t) {
    size_t bytes = tensors[t].count * sizeof(float);
    if (bucketCount == 0 || (filled > 0 && filled + bytes > bucketBytes)) {
      ++bucketCount;
      sizes.push_back(0);
      filled = 0;
    }
    bucketOf[t] = bucketCount - 1;
    offsetOf[t] = sizes.back();
    sizes.back() += tensors[t].count;
    filled += bytes;
    if (tensors[t].writer >= 0 &&
        static_cast<size_t>(tensors[t].writer) < kernelCount)
      writtenBy[static_cast<size_t>(tensors[t].writer)].push_back(t);
    else
      tensors[t].writer = -1;
  }
  buckets = std::vector<Bucket>(bucketCount);
  for (size_t b = 0; b < bucketCount; ++b)
    buckets[b].buffer.assign(sizes[b], 0.0f);
  for (size_t t = 0; t < tensors.size(); ++t) {
    buckets[bucketOf[t]].tensors.push_back(t);
    buckets[bucketOf[t]].offsets.push_back(offsetOf[t]);
  }
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

void GradientAllReducer::beginStep(float stepWeight) {
  weight = stepWeight;
  reduced = 0;
  for (Bucket &bucket : buckets)
    bucket.pending.store(bucket.tensors.size(), std::memory_order_relaxed);
  for (std::atomic<bool> &flag : packed)
    flag.store(false, std::memory_order_relaxed);
}

void GradientAllReducer::pack(size_t t) {
  // A tensor is packed once, by whoever gets to it first (its kernel's
  // observer, or finishStep for the rest).
  if (packed[t].exchange(true, std::memory_order_acq_rel))
    return;
  const ReducedTensor &tensor = tensors[t];
  Bucket &bucket = buckets[bucketOf[t]];
  float *into = bucket.buffer.data() + offsetOf[t];
  for (size_t i = 0; i < tensor.count; ++i)
    into[i] = tensor.data[i] * weight;
  if (bucket.pending.fetch_sub(1, std::memory_order_acq_rel) == 1)
    enqueue(bucketOf[t]);
}

void GradientAllReducer::enqueue(size_t bucket) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    queue.push_back(bucket);
  }
  wake.notify_one();
}

void GradientAllReducer::kernelDone(int64_t kernel) {
  if (kernel < 0 || static_cast<size_t>(kernel) >= writtenBy.size())
    return;
  for (size_t t : writtenBy[static_cast<size_t>(kernel)])
    pack(t);
}

void GradientAllReducer::communicate() {
  std::unique_lock<std::mutex> lock(mutex);
  while (true) {
    wake.wait(lock, [&] { return stopping || !queue.empty(); });
    if (queue.empty())
      return;
    size_t b = queue.front();
    queue.pop_front();
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
  for (size_t t = 0; t < tensors.size(); ++t)
    pack(t);
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
  lock.unlock();
  for (size_t t = 0; t < tensors.size(); ++t) {
    const float *from = buckets[bucketOf[t]].buffer.data() + offsetOf[t];
    std::copy(from, from + tensors[t].count, tensors[t].data);
  }
  return rt::Error::success();
}

} // namespace nnc::dist
