//===- GradientAllReducer.h - Bucketed gradient all-reduce ------*- C++ -*-===//
//
// Averages the gradients of a data-parallel step over the ranks while the
// backward pass is still running, as PyTorch DDP and Horovod do:
//
//  - Gradients are packed into buckets of about `bucketBytes`, in the order
//    the step's kernels produce them (Horovod's tensor fusion: one
//    collective per bucket, not per tensor).
//  - The executor reports each finished kernel (rt::Executor's kernel
//    observer). When the last gradient of a bucket is written, the bucket
//    goes to a communication thread, which all-reduces it while the worker
//    threads carry on with the rest of the backward pass.
//  - Each rank's gradient is the mean over its own samples; it is scaled by
//    its share of the global batch while packed, so the sum over ranks is
//    the mean over the global batch, also when the shards are uneven.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DISTRIBUTED_GRADIENTALLREDUCER_H
#define NNC_DISTRIBUTED_GRADIENTALLREDUCER_H

#include "distributed/Communicator.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace nnc::dist {

/// One f32 tensor to average, in a buffer that the step writes in place.
struct ReducedTensor {
  std::string name;
  float *data = nullptr;
  size_t count = 0;
  /// The kernel whose completion makes it final; -1 when it is final only
  /// once the whole run is done (a value the executor copies at the end).
  int64_t writer = -1;
};

/// Where the step's time went, summed over the steps so far but the
/// first (which also waits for the other ranks to compile).
struct CommunicationStats {
  int64_t steps = 0;
  int64_t buckets = 0;
  uint64_t bytes = 0;
  /// Time the communication thread spent in all-reduces.
  double communicationSeconds = 0;
  /// Time the step waited for communication after its kernels were done:
  /// the part of the communication that was not hidden.
  double exposedSeconds = 0;
};

class GradientAllReducer {
public:
  /// Buckets `tensors` (kept in the given order, which should be the order
  /// their writers run in) into buckets of at most `bucketBytes` (at least
  /// one tensor each). `kernelCount` bounds the writers.
  GradientAllReducer(Communicator &communicator,
                     std::vector<ReducedTensor> tensors, size_t bucketBytes,
                     size_t kernelCount);
  ~GradientAllReducer();
  GradientAllReducer(const GradientAllReducer &) = delete;
  GradientAllReducer &operator=(const GradientAllReducer &) = delete;

  /// Starts a step in which this rank's values count with `weight` (its
  /// share of the global batch).
  void beginStep(float weight);
  /// The executor's kernel observer: packs what kernel `kernel` finished
  /// and hands full buckets to the communication thread. Thread-safe.
  void kernelDone(int64_t kernel);
  /// After the step's run: packs what remains, waits for every bucket and
  /// writes the global averages back into the tensors. A failed collective
  /// is the error.
  rt::Error finishStep();

  size_t bucketCount() const { return buckets.size(); }
  const CommunicationStats &stats() const { return totals; }

private:
  struct Bucket {
    std::vector<float> buffer;
    std::vector<size_t> tensors; ///< indices into `tensors`
    std::vector<size_t> offsets; ///< where each starts in `buffer`
    std::atomic<size_t> pending{0};
  };

  void pack(size_t tensor);
  void enqueue(size_t bucket);
  void communicate();

  Communicator &communicator;
  std::vector<ReducedTensor> tensors;
  std::vector<Bucket> buckets;
  std::vector<size_t> bucketOf, offsetOf;
  std::vector<std::vector<size_t>> writtenBy; ///< kernel -> tensors
  std::vector<std::atomic<bool>> packed;
  float weight = 1;

  std::mutex mutex;
  std::condition_variable wake, finished;
  std::deque<size_t> queue;
  size_t reduced = 0;
  bool stopping = false;
  rt::Error firstError;
  CommunicationStats totals;
  double stepCommunication = 0;
  uint64_t stepBytes = 0;
  bool warmedUp = false;
  std::thread worker;
};

} // namespace nnc::dist

#endif // NNC_DISTRIBUTED_GRADIENTALLREDUCER_H
