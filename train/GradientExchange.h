//===- GradientExchange.h - Where data parallelism plugs in -----*- C++ -*-===//
//
// The split training step (SplitStep.h) computes the gradients of a batch,
// averages them and applies the update. A gradient exchange, installed in
// TrainingHooks, makes that step data-parallel without the trainer knowing
// of ranks or MPI: it says which rows of each batch this process computes,
// and it sums the step's values over the processes, starting with the
// first value the backward pass finishes (PyTorch DDP's gradient-ready
// hooks play this part there). dist::DataParallel implements it over Open
// MPI; with none installed the step runs on the whole batch alone.
//
// The step lays its values out in one f32 array, in the order the backward
// pass produces them: the gradients from the last parameter to the first,
// then the updated buffers (batch-norm statistics). Every process lays
// them out alike, so the exchange may cut the array into buckets and sum
// each in place.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_GRADIENTEXCHANGE_H
#define NNC_TRAIN_GRADIENTEXCHANGE_H

#include "runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nnc::train {

/// The rows of a batch one process computes: [begin, begin + count).
struct BatchShare {
  int64_t begin = 0;
  int64_t count = 0;
};

class GradientExchange {
public:
  virtual ~GradientExchange() = default;

  /// How many processes share each batch, and which of them this one is
  /// (0 to processes() - 1).
  virtual int processes() const = 0;
  virtual int rank() const = 0;
  /// This process's rows of a batch of `size`; a count of 0 is a process
  /// with no sample of it, which still takes part in the exchange.
  virtual BatchShare shareOf(int64_t size) const = 0;

  /// Once, before the first exchange: the step's values lie one after
  /// another in `values`, `counts[v]` elements for value v. The array
  /// stays where it is for the whole run.
  virtual rt::Error prepare(float *values,
                            const std::vector<size_t> &counts) = 0;
  /// A step whose values are to be summed over the processes starts.
  virtual void beginExchange() = 0;
  /// Value `v` is final on this process and may be sent. Called from the
  /// executor's worker threads while the backward pass runs, each value
  /// once per exchange; thread-safe.
  virtual void valueReady(size_t v) = 0;
  /// Once every value was ready: waits until each holds its sum over the
  /// processes. A failed collective is the error.
  virtual rt::Error finishExchange() = 0;
  /// Sums `count` doubles over the processes, in place: the step's loss,
  /// sample and score counts.
  virtual rt::Error sumScalars(double *data, size_t count) = 0;
};

} // namespace nnc::train

#endif // NNC_TRAIN_GRADIENTEXCHANGE_H
