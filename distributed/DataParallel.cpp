//===- DataParallel.cpp - Training over the ranks of an MPI job -----------===//

#include "distributed/DataParallel.h"

#include "runtime/FileIO.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace nnc::dist {
namespace {

/// FNV-1a, 64 bits, continued from `hash`.
uint64_t fnv1a(const void *data, size_t bytes,
               uint64_t hash = 0xcbf29ce484222325ull) {
  const unsigned char *p = static_cast<const unsigned char *>(data);
  for (size_t i = 0; i < bytes; ++i) {
    hash ^= p[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

uint64_t fnv1a(const std::string &text, uint64_t hash) {
  return fnv1a(text.data(), text.size(), hash);
}

/// `hook` with its errors prefixed "rank R: ": a hook's error does not say
/// which rank of the job failed.
template <typename... Args>
std::function<rt::Error(Args...)>
namedByRank(std::function<rt::Error(Args...)> hook, int rank) {
  if (!hook)
    return hook;
  return [hook = std::move(hook), rank](Args... args) {
    rt::Error error = hook(args...);
    if (error.ok())
      return error;
    return std::move(error).withContext("rank " + std::to_string(rank));
  };
}

} // namespace

std::string jobFingerprint(const train::TrainOptions &options,
                           const train::RunSettings &settings, uint64_t seed,
                           const rt::Dataset &data) {
  uint64_t hash = 0xcbf29ce484222325ull;
  // The model as the user wrote it, not as this rank compiled it: the
  // same source must give the same step everywhere.
  rt::Expected<rt::InputFile> file = rt::InputFile::open(options.modelPath);
  if (file.ok()) {
    rt::Expected<std::string> source = file->readAll();
    if (source.ok())
      hash = fnv1a(*source, hash);
  }
  char settingsText[256];
  std::snprintf(settingsText, sizeof(settingsText),
                "%lld %lld %llu %.17g %.17g %d %d %lld %.17g",
                static_cast<long long>(settings.batch),
                static_cast<long long>(settings.epochs),
                static_cast<unsigned long long>(seed), settings.baseLr,
                settings.clipNorm, settings.shuffle ? 1 : 0,
                // A rank that trains the short batch would wait for ever
                // in the all-reduce of one that dropped it.
                settings.dropLast ? 1 : 0,
                static_cast<long long>(settings.accumulate),
                // Ranks with other bucket sizes would sum mismatched buffers.
                options.distributed.bucketMb);
  hash = fnv1a(std::string(settingsText), hash);
  // The learning rate of every step and where the run stops: ranks that
  // disagree would apply different updates, or wait for one another.
  const train::ScheduleOptions &schedule = settings.schedule;
  std::snprintf(settingsText, sizeof(settingsText),
                "%s %lld %.17g %.17g %lld %lld", schedule.kind.c_str(),
                static_cast<long long>(schedule.stepEpochs), schedule.gamma,
                schedule.minLr, static_cast<long long>(schedule.totalSteps),
                static_cast<long long>(options.maxSteps));
  hash = fnv1a(std::string(settingsText), hash);
  hash = fnv1a(options.optimizer.value_or(""), hash);
  // --freeze and --data flags given in another order train the same run:
  // patterns and columns are hashed sorted (columns by name).
  std::vector<std::string> freeze = options.freeze;
  std::sort(freeze.begin(), freeze.end());
  for (const std::string &pattern : freeze)
    hash = fnv1a(pattern, hash);
  std::vector<size_t> columns(data.numColumns());
  for (size_t c = 0; c < columns.size(); ++c)
    columns[c] = c;
  std::sort(columns.begin(), columns.end(), [&](size_t a, size_t b) {
    return data.columnName(a) < data.columnName(b);
  });
  auto hashColumn = [&](const std::string &name, const rt::Tensor &column) {
    hash = fnv1a(name, hash);
    hash = fnv1a(column.shape().data(), column.shape().size() * sizeof(int64_t),
                 hash);
    hash = fnv1a(column.rawData(), column.byteSize(), hash);
  };
  for (size_t c : columns)
    hashColumn(data.columnName(c), data.column(c));
  // Inputs without the batch dimension (a mask, a table) every rank
  // reads whole.
  std::vector<size_t> shared(data.numSharedColumns());
  for (size_t c = 0; c < shared.size(); ++c)
    shared[c] = c;
  std::sort(shared.begin(), shared.end(), [&](size_t a, size_t b) {
    return data.sharedColumnName(a) < data.sharedColumnName(b);
  });
  for (size_t c : shared)
    hashColumn(data.sharedColumnName(c), data.sharedColumn(c));
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx",
                static_cast<unsigned long long>(hash));
  return text;
}

rt::Expected<std::unique_ptr<DataParallel>>
DataParallel::join(const train::DistributedOptions &options) {
  CommunicatorOptions commOptions;
  commOptions.timeoutSeconds = options.commTimeoutSeconds;
  rt::Expected<std::unique_ptr<Communicator>> communicator =
      joinJob(commOptions);
  if (!communicator.ok())
    return communicator.takeError();
  std::unique_ptr<DataParallel> job(new DataParallel());
  job->communicator = std::move(*communicator);
  job->allReduce = std::make_unique<BucketedAllReduce>(
      *job->communicator,
      static_cast<size_t>(options.bucketMb * 1024.0 * 1024.0));
  return job;
}

DataParallel::~DataParallel() {
  // The communication thread stops before the communicator goes, and with
  // it the last use of MPI until the process finalizes it at exit.
  allReduce.reset();
}

train::TrainingHooks DataParallel::hooksOf(const train::TrainingHooks &caller) {
  train::TrainingHooks hooks;
  if (isRoot())
    hooks = caller;
  else
    hooks.writesOutputs = false;
  hooks.onJobAbort = caller.onJobAbort;
  hooks.afterGradients = caller.afterGradients;
  hooks.beforeUpdate = caller.beforeUpdate;
  hooks.stopRequested = caller.stopRequested;
  hooks.onRequestedStop = caller.onRequestedStop;
  if (ranks() > 1) {
    hooks.afterGradients = namedByRank(std::move(hooks.afterGradients), rank());
    hooks.beforeUpdate = namedByRank(std::move(hooks.beforeUpdate), rank());
  }
  hooks.exchange = allReduce.get();
  // Rank 0 tells how much of the communication the backward pass hid.
  if (isRoot() && caller.onMessage)
    hooks.onTrainingEnd = [this, caller] {
      if (caller.onTrainingEnd)
        caller.onTrainingEnd();
      if (std::string line = summary(); !line.empty())
        caller.onMessage(line);
    };
  return hooks;
}

void DataParallel::abortJob() {
  std::fflush(stderr);
  communicator->abortJob(1);
}

rt::Error DataParallel::checkSameJob(const std::string &fingerprint) {
  rt::Expected<std::vector<std::string>> all =
      communicator->allGather(fingerprint);
  if (!all.ok()) {
    brokenJob = true;
    return all.takeError();
  }
  // Every mismatching rank gets its own line, in one message.
  std::string lines;
  for (int r = 1; r < ranks(); ++r)
    if ((*all)[static_cast<size_t>(r)] != (*all)[0])
      lines += "error: rank " + std::to_string(rank()) + ": rank " +
               std::to_string(r) +
               " trains another model, data or settings than rank 0 "
               "(fingerprint " +
               (*all)[static_cast<size_t>(r)] + ", rank 0 has " + (*all)[0] +
               "); every rank must run the same command on the same files\n";
  return lines.empty() ? rt::Error::success() : rt::Error::rendered(lines);
}

rt::Error
DataParallel::shareRootState(train::TrainingState &state,
                             std::optional<rt::BatchIteratorState> &position) {
  auto share = [&](rt::Tensor &tensor) {
    return communicator->broadcast(tensor.rawData(), tensor.byteSize(), 0);
  };
  auto broke = [&](rt::Error error) {
    brokenJob = true;
    return error;
  };
  for (auto &[name, tensor] : state.params.values())
    if (rt::Error error = share(tensor); !error.ok())
      return broke(std::move(error));
  for (auto &[name, tensor] : state.optimizerState)
    if (rt::Error error = share(tensor); !error.ok())
      return broke(std::move(error));
  // The shuffling seed too: a rank started without --resume would walk
  // another permutation of the data from rank 0's position.
  int64_t counters[5] = {state.stepCount, position ? 1 : 0,
                         position ? position->epoch : 0,
                         position ? position->position : 0,
                         position ? static_cast<int64_t>(position->seed) : 0};
  if (rt::Error error = communicator->broadcast(counters, sizeof(counters), 0);
      !error.ok())
    return broke(std::move(error));
  state.stepCount = counters[0];
  // A rank given --resume when rank 0 starts afresh starts afresh too.
  position.reset();
  if (counters[1]) {
    rt::BatchIteratorState at;
    at.epoch = counters[2];
    at.position = counters[3];
    at.seed = static_cast<uint64_t>(counters[4]);
    position = at;
  }
  return rt::Error::success();
}

std::string DataParallel::summary() const {
  if (ranks() == 1)
    return "";
  const CommunicationStats &stats = allReduce->stats();
  if (stats.steps == 0)
    return "";
  double steps = static_cast<double>(stats.steps);
  double communication = stats.communicationSeconds / steps * 1e3;
  double exposed = stats.exposedSeconds / steps * 1e3;
  double hidden = communication > 0
                      ? std::max(0.0, 1.0 - exposed / communication) * 100
                      : 100;
  char line[512];
  // The wait includes handing the last bucket to the communication
  // thread, so for tiny buckets it can exceed the all-reduces.
  std::snprintf(line, sizeof(line),
                "distributed: %d ranks, %s all-reduce, %.1f buckets and %.2f "
                "MB all-reduced per step; %.3f ms of all-reduce per step; the "
                "step waited %.3f ms for them after the backward pass (%.0f%% "
                "hidden), on rank %d",
                ranks(), communicator->allReduceAlgorithm().c_str(),
                static_cast<double>(stats.buckets) / steps,
                static_cast<double>(stats.bytes) / steps / 1e6, communication,
                exposed, hidden, rank());
  return line;
}

} // namespace nnc::dist
