//===- BatchIterator.h - Mini-batches over a Dataset ------------*- C++ -*-===//
//
// Walks a Dataset in mini-batches, epoch after epoch. With shuffling, each
// epoch visits the samples in a permutation drawn by Fisher-Yates from
// SplitMix64 seeded with (seed, epoch): the same on every platform and
// standard library (std::shuffle and the std distributions are not), and
// different from epoch to epoch. Without shuffling, samples come in order.
//
// Each batch is gathered into tensors the iterator owns: one set for full
// batches and one for the last partial batch, each allocated when first
// needed and reused after, so steady-state iteration allocates nothing.
//
// The state (epoch, position within the epoch, seed) is three integers, so
// a trainer can store it in a checkpoint and resume mid-epoch on exactly
// the batches it would have seen.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_BATCHITERATOR_H
#define NNC_RUNTIME_BATCHITERATOR_H

#include "runtime/Dataset.h"
#include "runtime/FlatJson.h"
#include "runtime/SplitMix64.h"
#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::rt {

/// Shuffles `indices` in place with Fisher-Yates driven by `rng`.
void fisherYatesShuffle(std::vector<int64_t> &indices, SplitMix64 &rng);

/// How batches are formed.
struct BatchOptions {
  /// Samples per batch; must be positive.
  int64_t batchSize = 32;
  /// Visit samples in a fresh permutation every epoch.
  bool shuffle = false;
  uint64_t seed = 0;
  /// Drop the last batch of an epoch when it is smaller than batchSize
  /// (the default keeps it).
  bool dropLast = false;
};

/// Where an iterator stands: enough to resume on the same batches.
struct BatchIteratorState {
  /// Epochs completed so far (0 during the first epoch).
  int64_t epoch = 0;
  /// Samples of the current epoch already handed out.
  int64_t position = 0;
  uint64_t seed = 0;
  /// Samples of the dataset the epoch's order was drawn over; 0 where not
  /// recorded (a checkpoint of an nnc before it).
  int64_t samples = 0;

  bool operator==(const BatchIteratorState &other) const {
    return epoch == other.epoch && position == other.position &&
           seed == other.seed && samples == other.samples;
  }
};

/// Stores `state` under "PREFIXepoch", "PREFIXposition", "PREFIXseed" and
/// "PREFIXsamples"
/// (the seed's bits as an int64, since JSON integers are signed).
void saveIteratorState(JsonObject &object, const BatchIteratorState &state,
                       const std::string &prefix = "data.");
/// Reads back what saveIteratorState stored; fails on a missing key.
Expected<BatchIteratorState>
loadIteratorState(const JsonObject &object,
                  const std::string &prefix = "data.");

/// One mini-batch: a tensor per dataset column, in dataset order, whose
/// leading extent is the batch's sample count, and the dataset's shared
/// columns whole. Owned by the iterator and overwritten by its next call to
/// next().
class Batch {
public:
  /// Samples in this batch: batchSize, or fewer for a last partial batch.
  int64_t size() const { return static_cast<int64_t>(sampleIndices.size()); }
  size_t numColumns() const { return columnNames->size(); }
  const Tensor &column(size_t index) const;
  /// The column named `name`, or null; a shared column of the dataset
  /// comes whole.
  const Tensor *column(const std::string &name) const;
  const std::string &columnName(size_t index) const;
  /// The dataset the batch is drawn from (for its shared columns).
  const Dataset &source() const { return *dataset; }
  /// The dataset rows gathered into this batch, in batch order.
  const std::vector<int64_t> &indices() const { return sampleIndices; }

private:
  friend class BatchIterator;
  const std::vector<std::string> *columnNames = nullptr;
  const std::vector<Tensor> *tensors = nullptr;
  const Dataset *dataset = nullptr;
  std::vector<int64_t> sampleIndices;
};

/// Mini-batches over a Dataset, which must outlive the iterator and not
/// change while it is used.
class BatchIterator {
public:
  /// Fails when the batch size is not positive.
  static Expected<BatchIterator> create(const Dataset &dataset,
                                        BatchOptions options);

  /// Gathers the next batch of the current epoch and returns true; at the
  /// end of an epoch returns false and moves to the start of the next one,
  /// so `while (*it.next())` walks exactly one epoch. Fails only when
  /// memory for the batch buffers runs out.
  Expected<bool> next();

  /// True when the current epoch has no batch left: the next next() ends
  /// it.
  bool epochDone() const;

  /// The batch filled by the last next() that returned true.
  const Batch &batch() const { return current; }

  /// Batches per epoch under the options (a partial one counts unless
  /// dropped).
  int64_t batchesPerEpoch() const;

  BatchIteratorState state() const {
    return {epoch, position, seed, dataset->numSamples()};
  }

  /// Moves to `state`: its epoch's permutation, from its position. Fails
  /// when the position lies outside the dataset (a different dataset than
  /// the one saved, most likely).
  Error restore(const BatchIteratorState &state);

  const BatchOptions &options() const { return settings; }

private:
  BatchIterator(const Dataset &dataset, BatchOptions options);
  /// Recomputes `order` for the current epoch.
  void computeOrder();
  /// The buffers for batches of `size` samples, allocated on first use.
  Expected<std::vector<Tensor> *> buffersFor(int64_t size);

  const Dataset *dataset;
  BatchOptions settings;
  int64_t epoch = 0, position = 0;
  uint64_t seed = 0;
  std::vector<int64_t> order;
  std::vector<std::string> names;
  std::vector<Tensor> fullBuffers, partialBuffers;
  int64_t partialSize = -1;
  Batch current;
};

} // namespace nnc::rt

#endif // NNC_RUNTIME_BATCHITERATOR_H
