//===- BatchIterator.cpp - Mini-batches over a Dataset --------------------===//

#include "runtime/BatchIterator.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <utility>

namespace nnc::rt {

void fisherYatesShuffle(std::vector<int64_t> &indices, SplitMix64 &rng) {
  for (size_t i = indices.size(); i > 1; --i) {
    size_t j = static_cast<size_t>(rng.nextBelow(i));
    std::swap(indices[i - 1], indices[j]);
  }
}

void saveIteratorState(JsonObject &object, const BatchIteratorState &state,
                       const std::string &prefix) {
  object.setInteger(prefix + "epoch", state.epoch);
  object.setInteger(prefix + "position", state.position);
  object.setInteger(prefix + "seed", static_cast<int64_t>(state.seed));
  object.setInteger(prefix + "samples", state.samples);
}

Expected<BatchIteratorState> loadIteratorState(const JsonObject &object,
                                               const std::string &prefix) {
  BatchIteratorState state;
  Expected<int64_t> epoch = object.getInteger(prefix + "epoch");
  if (!epoch)
    return epoch.takeError();
  Expected<int64_t> position = object.getInteger(prefix + "position");
  if (!position)
    return position.takeError();
  Expected<int64_t> seed = object.getInteger(prefix + "seed");
  if (!seed)
    return seed.takeError();
  state.epoch = *epoch;
  state.position = *position;
  state.seed = static_cast<uint64_t>(*seed);
  if (object.contains(prefix + "samples")) {
    Expected<int64_t> samples = object.getInteger(prefix + "samples");
    if (!samples)
      return samples.takeError();
    state.samples = *samples;
  }
  return state;
}

const Tensor &Batch::column(size_t index) const {
  assert(tensors && index < tensors->size() && "batch column out of range");
  return (*tensors)[index];
}

const Tensor *Batch::column(const std::string &name) const {
  for (size_t i = 0; i < columnNames->size(); ++i)
    if ((*columnNames)[i] == name)
      return &(*tensors)[i];
  return dataset ? dataset->sharedColumn(name) : nullptr;
}

const std::string &Batch::columnName(size_t index) const {
  assert(index < columnNames->size() && "batch column out of range");
  return (*columnNames)[index];
}

BatchIterator::BatchIterator(const Dataset &dataset, BatchOptions options)
    : dataset(&dataset), settings(options), seed(options.seed) {
  for (size_t i = 0; i < dataset.numColumns(); ++i)
    names.push_back(dataset.columnName(i));
  computeOrder();
}

Expected<BatchIterator> BatchIterator::create(const Dataset &dataset,
                                              BatchOptions options) {
  if (options.batchSize <= 0)
    return Error::failure("batch size must be positive, got " +
                          std::to_string(options.batchSize));
  return BatchIterator(dataset, options);
}

void BatchIterator::computeOrder() {
  order.resize(static_cast<size_t>(dataset->numSamples()));
  std::iota(order.begin(), order.end(), int64_t(0));
  if (!settings.shuffle)
    return;
  // Hash the seed, then mix in the epoch and hash again, so that nearby
  // seeds and nearby epochs give unrelated permutations.
  uint64_t epochSeed =
      SplitMix64(SplitMix64(seed).next() ^ static_cast<uint64_t>(epoch)).next();
  SplitMix64 rng(epochSeed);
  fisherYatesShuffle(order, rng);
}

int64_t BatchIterator::batchesPerEpoch() const {
  int64_t samples = dataset->numSamples();
  int64_t full = samples / settings.batchSize;
  bool partial = samples % settings.batchSize != 0;
  return full + (partial && !settings.dropLast ? 1 : 0);
}

Expected<std::vector<Tensor> *> BatchIterator::buffersFor(int64_t size) {
  bool full = size == settings.batchSize;
  std::vector<Tensor> &buffers = full ? fullBuffers : partialBuffers;
  if (!buffers.empty() && (full || partialSize == size))
    return &buffers;
  buffers.clear();
  for (size_t i = 0; i < dataset->numColumns(); ++i) {
    Shape shape = dataset->column(i).shape();
    shape[0] = size;
    Expected<Tensor> tensor = Tensor::create(dataset->column(i).dtype(), shape);
    if (!tensor) {
      buffers.clear();
      return tensor.takeError().withContext("batch column '" + names[i] + "'");
    }
    buffers.push_back(std::move(*tensor));
  }
  if (!full)
    partialSize = size;
  return &buffers;
}

bool BatchIterator::epochDone() const {
  int64_t remaining = dataset->numSamples() - position;
  return remaining <= 0 ||
         (settings.dropLast && remaining < settings.batchSize);
}

Expected<bool> BatchIterator::next() {
  int64_t samples = dataset->numSamples();
  int64_t remaining = samples - position;
  int64_t size = std::min(remaining, settings.batchSize);
  if (epochDone()) {
    ++epoch;
    position = 0;
    computeOrder();
    return false;
  }
  Expected<std::vector<Tensor> *> buffers = buffersFor(size);
  if (!buffers)
    return buffers.takeError();

  // assign() reuses the vector's capacity after the first full batch.
  current.sampleIndices.assign(order.begin() + position,
                               order.begin() + position + size);
  for (size_t c = 0; c < dataset->numColumns(); ++c) {
    const Tensor &source = dataset->column(c);
    Tensor &target = (**buffers)[c];
    size_t rowBytes = source.byteSize() / static_cast<size_t>(samples);
    const std::byte *from = source.rawData();
    std::byte *to = target.rawData();
    if (rowBytes == 0)
      continue;
    for (int64_t k = 0; k < size; ++k)
      std::memcpy(to + static_cast<size_t>(k) * rowBytes,
                  from +
                      static_cast<size_t>(current.sampleIndices[k]) * rowBytes,
                  rowBytes);
  }
  current.columnNames = &names;
  current.tensors = *buffers;
  current.dataset = dataset;
  position += size;
  return true;
}

Error BatchIterator::restore(const BatchIteratorState &state) {
  if (state.epoch < 0)
    return Error::failure("cannot resume at negative epoch " +
                          std::to_string(state.epoch));
  if (state.position < 0 || state.position > dataset->numSamples())
    return Error::failure("cannot resume at sample " +
                          std::to_string(state.position) + " of a dataset of " +
                          std::to_string(dataset->numSamples()) + " samples");
  // Inside an epoch, the rest of its order is a permutation of the samples
  // it was drawn over: other data would mix two orders, repeating some
  // samples and never reaching others.
  if (state.position > 0 && state.samples > 0 &&
      state.samples != dataset->numSamples())
    return Error::failure(
        "cannot resume inside an epoch ordered over " +
        std::to_string(state.samples) + " samples with data of " +
        std::to_string(dataset->numSamples()) +
        " (resume with the same data, or from a checkpoint at an epoch's "
        "end)");
  epoch = state.epoch;
  position = state.position;
  seed = state.seed;
  computeOrder();
  return Error::success();
}

} // namespace nnc::rt
