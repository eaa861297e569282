//===- BucketedAllReduce.h - Gradients summed in buckets --------*- C++ -*-===//
//
// The gradient exchange of data-parallel training (train/GradientExchange.h)
// over the ranks of a job, as PyTorch DDP and Horovod do it:
//
//  - The step's values are cut into buckets of about `bucketBytes`, in the
//    order the backward pass produces them (Horovod's tensor fusion: one
//    collective per bucket, not per tensor). A bucket is a run of values
//    of the step's own array, summed where it lies.
//  - When the last value of a bucket is ready, the bucket goes to a
//    communication thread, which all-reduces it while the worker threads
//    carry on with the rest of the backward pass. The thread takes the
//    buckets in their order (the same on every rank, as the order of MPI
//    collectives must be), whatever order they filled in.
//  - Each rank computes its share of every batch: the rows of a batch are
//    split as evenly as possible, the first ranks taking one more.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DISTRIBUTED_BUCKETEDALLREDUCE_H
#define NNC_DISTRIBUTED_BUCKETEDALLREDUCE_H

#include "distributed/Communicator.h"

#include "train/GradientExchange.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace nnc::dist {

/// Where the steps' time went, summed over the exchanges so far but the
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

class BucketedAllReduce final : public train::GradientExchange {
public:
  BucketedAllReduce(Communicator &communicator, size_t bucketBytes);
  ~BucketedAllReduce() override;
  BucketedAllReduce(const BucketedAllReduce &) = delete;
  BucketedAllReduce &operator=(const BucketedAllReduce &) = delete;

  int processes() const override { return communicator.size(); }
  int rank() const override { return communicator.rank(); }
  train::BatchShare shareOf(int64_t size) const override;
  rt::Error prepare(float *values, const std::vector<size_t> &counts) override;
  void beginExchange() override;
  void valueReady(size_t v) override;
  rt::Error finishExchange() override;
  rt::Error sumScalars(double *data, size_t count) override;

  size_t bucketCount() const { return buckets.size(); }
  const CommunicationStats &stats() const { return totals; }

private:
  struct Bucket {
    float *data = nullptr;
    size_t count = 0;  ///< floats
    size_t values = 0; ///< how many values it holds
    std::atomic<size_t> pending{0};
  };
  void enqueue(size_t bucket);
  void communicate();

  Communicator &communicator;
  size_t bucketBytes;
  std::vector<Bucket> buckets;
  std::vector<size_t> bucketOf;

  std::mutex mutex;
  std::condition_variable wake, finished;
  /// Buckets ready this exchange, by index; `reduced` counts those
  /// all-reduced, in index order.
  std::vector<bool> full;
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

#endif // NNC_DISTRIBUTED_BUCKETEDALLREDUCE_H
