//===- GradientAllReducer.h - Bucketed gradient all-reduce ------*- C++ -*-===//
//
// Sums the gradients of a data-parallel step over the ranks while the
// backward pass is still running, as PyTorch DDP and Horovod do:
//
//  - Gradients are packed into buckets of about `bucketBytes`, in the order
//    the step's kernels produce them (Horovod's tensor fusion: one
//    collective per bucket, not per tensor).
//  - The executor reports each finished kernel (rt::Executor's kernel
//    observer). When the last gradient of a bucket is written, the bucket
//    goes to a communication thread, which all-reduces it while the worker
//    threads carry on with the rest of the backward pass. The thread takes
//    the buckets in their order (the same on every rank, as the order of
//    MPI collectives must be), whatever order they filled in.
//  - Each rank's gradient is the mean over its own samples; it is packed
//    times its sample count, and the sum over the ranks is divided by the
//    global count when unpacked, so the result is the mean over the global
//    batch, also when the shards are uneven. Shards of equal size skip the
//    weighting (a weight of 1): the sum is divided by the rank count.
//  - With gradient accumulation, steps without communication add their
//    weighted gradients to the buckets; the last step of the group sends.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DISTRIBUTED_GRADIENTALLREDUCER_H
#define NNC_DISTRIBUTED_GRADIENTALLREDUCER_H

#include "distributed/Communicator.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace nnc::dist {

/// Where one step's values come from: for each value of the reducer's
/// layout, the buffer the step writes it into (null: this rank has none,
/// a rank without samples; GradientAllReducer::valueData(v): the step
/// wrote it into its place in the bucket) and the kernel whose completion
/// makes it final (-1: final only once the whole run is done, a value the
/// executor copies at the end).
struct StepSources {
  std::vector<const float *> data;
  std::vector<int64_t> writers;
  /// The step's result each value is, by index (for the caller's use).
  std::vector<size_t> results;
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
  /// Lays out values of `counts` f32 elements each, in the given order
  /// (the same on every rank; best the order the backward pass produces
  /// them), in buckets of at most `bucketBytes` (at least one value each).
  GradientAllReducer(Communicator &communicator, std::vector<size_t> counts,
                     size_t bucketBytes);
  ~GradientAllReducer();
  GradientAllReducer(const GradientAllReducer &) = delete;
  GradientAllReducer &operator=(const GradientAllReducer &) = delete;

  /// Starts a step that reads `sources` (which must outlive it; its
  /// writers below `kernelCount`), each value multiplied by `weight`.
  /// With `accumulate` the values add to what earlier steps packed
  /// (gradient accumulation), else they replace it; with `communicate`
  /// every bucket is all-reduced as soon as it is packed (the last step of
  /// a group), else nothing is sent.
  void beginStep(const StepSources &sources, size_t kernelCount, float weight,
                 bool accumulate, bool communicate);
  /// The executor's kernel observer: packs what kernel `kernel` finished
  /// and hands full buckets to the communication thread. Thread-safe.
  void kernelDone(int64_t kernel);
  /// After the step's run: packs what remains and, when communicating,
  /// waits for every bucket. A failed collective is the error.
  rt::Error finishStep();
  /// Where value `v` lives in its bucket: a step that writes it there
  /// directly (StepSources::data) spares the copy into the bucket; after
  /// scale(), the value to apply.
  float *valueData(size_t v) {
    return buckets[bucketOf[v]].buffer.data() + offsetOf[v];
  }
  /// Multiplies every packed (after a communicating step: summed over the
  /// ranks) value by `scale` where it lies.
  void scale(float scale);

  size_t bucketCount() const { return buckets.size(); }
  const CommunicationStats &stats() const { return totals; }

private:
  struct Bucket {
    std::vector<float> buffer;
    std::vector<size_t> values; ///< indices into the layout
    std::atomic<size_t> pending{0};
  };

  void pack(size_t value);
  void enqueue(size_t bucket);
  void communicate();

  Communicator &communicator;
  std::vector<size_t> counts;
  std::vector<Bucket> buckets;
  std::vector<size_t> bucketOf, offsetOf;
  std::vector<std::atomic<bool>> packed;

  // The step under way.
  const StepSources *sources = nullptr;
  std::vector<std::vector<size_t>> writtenBy; ///< kernel -> values
  float weight = 1;
  bool accumulating = false, communicating = false;

  std::mutex mutex;
  std::condition_variable wake, finished;
  /// Buckets packed this step, by index; `reduced` counts those
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

#endif // NNC_DISTRIBUTED_GRADIENTALLREDUCER_H
