//===- DistributedTraining.cpp - One training run over many ranks ---------===//

#include "train/DistributedTraining.h"

#include "train/OutputWriter.h"
#include "train/TrainingRun.h"

#include "runtime/FileIO.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>

namespace nnc::train {
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

/// The kernel that writes result `index` of `plan` straight into the
/// caller's buffer; -1 when the executor copies it there at the end.
int64_t writerOf(const rt::ExecutionPlan &plan, size_t index) {
  int64_t value = plan.outputs[index].value;
  const rt::PlanValue &planValue = plan.values[static_cast<size_t>(value)];
  if (planValue.kind != rt::ValueKind::Output ||
      planValue.index != static_cast<int64_t>(index))
    return -1;
  for (size_t k = 0; k < plan.kernels.size(); ++k) {
    const rt::PlanKernel &kernel = plan.kernels[k];
    for (size_t b = static_cast<size_t>(kernel.numOperands);
         b < kernel.buffers.size(); ++b)
      if (kernel.buffers[b] == value)
        return static_cast<int64_t>(k);
  }
  return -1;
}

} // namespace

std::string jobFingerprint(const TrainOptions &options, int64_t batch,
                           int64_t epochs, uint64_t seed, double lr,
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
  char settings[256];
  std::snprintf(
      settings, sizeof(settings), "%lld %lld %llu %.17g %.17g %d %lld %.17g",
      static_cast<long long>(batch), static_cast<long long>(epochs),
      static_cast<unsigned long long>(seed), lr, options.clipNorm,
      options.shuffle ? 1 : 0, static_cast<long long>(options.accumulate),
      // Ranks with other bucket sizes would sum mismatched buffers.
      options.distributed.bucketMb);
  hash = fnv1a(std::string(settings), hash);
  // The learning rate of every step and where the run stops: ranks that
  // disagree would apply different updates, or wait for one another.
  const ScheduleOptions &schedule = options.schedule;
  std::snprintf(settings, sizeof(settings), "%s %lld %.17g %.17g %lld",
                schedule.kind.c_str(),
                static_cast<long long>(schedule.stepEpochs), schedule.gamma,
                schedule.minLr, static_cast<long long>(options.maxSteps));
  hash = fnv1a(std::string(settings), hash);
  hash = fnv1a(options.optimizer.value_or(""), hash);
  for (const std::string &pattern : options.freeze)
    hash = fnv1a(pattern, hash);
  for (size_t c = 0; c < data.numColumns(); ++c) {
    const rt::Tensor &column = data.column(c);
    hash = fnv1a(data.columnName(c), hash);
    hash = fnv1a(column.shape().data(), column.shape().size() * sizeof(int64_t),
                 hash);
    hash = fnv1a(column.rawData(), column.byteSize(), hash);
  }
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx",
                static_cast<unsigned long long>(hash));
  return text;
}

rt::Expected<std::unique_ptr<DistributedTraining>>
DistributedTraining::create(const DistributedOptions &options,
                            SplitStepSource &graphs,
                            std::vector<std::string> bufferNames) {
  dist::CommunicatorOptions commOptions;
  commOptions.timeoutSeconds = options.commTimeoutSeconds;
  std::unique_ptr<DistributedTraining> training(new DistributedTraining());
  if (options.enabled) {
    rt::Expected<std::unique_ptr<dist::Communicator>> communicator =
        dist::joinJob(commOptions);
    if (!communicator.ok())
      return communicator.takeError();
    training->communicator = std::move(*communicator);
  } else {
    training->communicator = dist::singleProcess();
  }
  training->graphs = &graphs;
  training->bucketBytes =
      static_cast<size_t>(options.bucketMb * 1024.0 * 1024.0);
  training->bufferNames = std::move(bufferNames);
  return training;
}

rt::Error DistributedTraining::prepareUpdate() {
  rt::Expected<CompiledGraph *> update = graphs->trainingUpdate();
  if (!update.ok())
    return breakJob(update.takeError());
  updateGraph = *update;
  for (const CompiledGraph::Argument &arg : updateGraph->arguments()) {
    if (arg.role != rt::BindingRole::Grad)
      continue;
    if (arg.dtype != rt::DType::F32)
      return breakJob(rt::Error::failure(
          "--distributed: parameter '" + arg.name +
          "' is not f32; data-parallel training averages f32 gradients"));
    gradientNames.insert(gradientNames.begin(), arg.name);
  }
  return rt::Error::success();
}

rt::Error DistributedTraining::namedByRank(rt::Error error) const {
  if (ranks() == 1)
    return error;
  return std::move(error).withContext("rank " + std::to_string(rank()));
}

rt::Error DistributedTraining::breakJob(rt::Error error) {
  broken = true;
  return error;
}

DistributedTraining::~DistributedTraining() {
  // The reducer's thread stops before the communicator goes, and with it
  // the last use of MPI until the process finalizes it at exit.
  reducer.reset();
}

void DistributedTraining::abortJob() {
  llvm::errs().flush();
  communicator->abortJob(1);
}

rt::Error DistributedTraining::checkSameJob(const std::string &fingerprint) {
  rt::Expected<std::vector<std::string>> all =
      communicator->allGather(fingerprint);
  if (!all.ok())
    return breakJob(all.takeError());
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

rt::Error DistributedTraining::shareRootState(
    TrainingState &state, std::optional<rt::BatchIteratorState> &position) {
  auto share = [&](rt::Tensor &tensor) {
    return communicator->broadcast(tensor.rawData(), tensor.byteSize(), 0);
  };
  for (auto &[name, tensor] : state.params.values())
    if (rt::Error error = share(tensor); !error.ok())
      return breakJob(std::move(error));
  for (auto &[name, tensor] : state.optimizerState)
    if (rt::Error error = share(tensor); !error.ok())
      return breakJob(std::move(error));
  int64_t counters[4] = {state.stepCount, position ? 1 : 0,
                         position ? position->epoch : 0,
                         position ? position->position : 0};
  if (rt::Error error = communicator->broadcast(counters, sizeof(counters), 0);
      !error.ok())
    return breakJob(std::move(error));
  state.stepCount = counters[0];
  if (counters[1]) {
    rt::BatchIteratorState at = position.value_or(rt::BatchIteratorState());
    at.epoch = counters[2];
    at.position = counters[3];
    position = at;
  }
  return rt::Error::success();
}

rt::Error DistributedTraining::prepare(const TrainingState &state) {
  if (reducer)
    return rt::Error::success();
  std::vector<size_t> counts;
  auto add = [&](rt::DType, const rt::Shape &shape) {
    valueShapes.push_back(shape);
    counts.push_back(static_cast<size_t>(rt::elementCount(shape)));
  };
  for (const std::string &name : gradientNames)
    for (const CompiledGraph::Argument &arg : updateGraph->arguments())
      if (arg.role == rt::BindingRole::Grad && arg.name == name)
        add(arg.dtype, arg.shape);
  for (const std::string &name : bufferNames) {
    const rt::Tensor *buffer = state.params.find(name);
    if (!buffer || buffer->dtype() != rt::DType::F32)
      return breakJob(rt::Error::failure("--distributed: buffer '" + name +
                                         "' is not f32"));
    add(buffer->dtype(), buffer->shape());
  }
  reducer = std::make_unique<dist::GradientAllReducer>(
      *communicator, std::move(counts), bucketBytes);
  dist::GradientAllReducer *target = reducer.get();
  observer = [target](int64_t kernel) { target->kernelDone(kernel); };
  return rt::Error::success();
}

rt::Expected<const dist::StepSources *>
DistributedTraining::sourcesOf(CompiledGraph *graph, bool direct) {
  if (!graph)
    return &noSources;
  auto known = sources.find({graph, direct});
  if (known != sources.end())
    return &known->second;
  dist::StepSources found;
  const rt::ExecutionPlan &plan = graph->plan();
  std::vector<CompiledGraph::Result> &results = graph->results();
  auto add = [&](rt::BindingRole role, const std::string &name) {
    for (size_t i = 0; i < results.size(); ++i)
      if (results[i].role == role && results[i].name == name &&
          results[i].tensor.dtype() == rt::DType::F32) {
        size_t v = found.data.size();
        found.data.push_back(direct ? reducer->valueData(v)
                                    : results[i].tensor.data<float>());
        found.writers.push_back(writerOf(plan, i));
        found.results.push_back(i);
        return rt::Error::success();
      }
    return breakJob(
        rt::Error::failure(std::string("the gradient step returns no f32 ") +
                           rt::roleName(role) + " of '" + name + "'"));
  };
  for (const std::string &name : gradientNames)
    if (rt::Error error = add(rt::BindingRole::Grad, name); !error.ok())
      return error;
  for (const std::string &name : bufferNames)
    if (rt::Error error = add(rt::BindingRole::BufferUpdate, name); !error.ok())
      return error;
  return &(sources[{graph, direct}] = std::move(found));
}

rt::Error DistributedTraining::step(TrainingRun &run, const rt::Batch &batch,
                                    bool groupStart, bool groupEnd,
                                    const TrainingHooks &hooks) {
  TrainingState &state = run.state;
  if (rt::Error error = prepare(state); !error.ok())
    return error;
  int64_t total = batch.size();
  int64_t base = total / ranks(), extra = total % ranks();
  int64_t count = shardSize(total);
  int64_t begin = rank() * base + std::min<int64_t>(rank(), extra);
  if (groupStart)
    std::fill(std::begin(groupSums), std::end(groupSums), 0.0);

  // This rank's gradients, packed times its sample count (unless every
  // rank has as many samples), and on the group's last batch all-reduced
  // bucket by bucket as the backward pass produces them.
  CompiledGraph *graph = nullptr;
  if (count > 0) {
    rt::Expected<CompiledGraph *> made = graphs->trainingGradients(count);
    if (!made.ok())
      return breakJob(made.takeError());
    graph = *made;
    if (gradientProfiler && count == profiledShard && !profiledGraph) {
      profiledGraph = graph;
      graph->setProfiler(gradientProfiler);
    }
  }
  // The first batch of a group writes its gradients straight into their
  // places in the buckets; a later one adds to them from its own results.
  bool direct = groupStart;
  rt::Expected<const dist::StepSources *> stepSources =
      sourcesOf(graph, direct);
  if (!stepSources.ok())
    return stepSources.takeError();
  // A step of one batch in equal shares gives every rank's mean the same
  // weight: the mean over the ranks is their sum over their count (none
  // for one process), with no weighting pass while the backward runs.
  bool equalShares = groupStart && groupEnd && total % ranks() == 0;
  reducer->beginStep(**stepSources, graph ? graph->plan().kernels.size() : 0,
                     equalShares ? 1.0f : static_cast<float>(count),
                     !groupStart, groupEnd);
  if (graph) {
    // This rank's rows of each batched input, read in place.
    std::map<std::string, rt::ConstTensorView> shard;
    for (size_t c = 0; c < batch.numColumns(); ++c)
      shard.emplace(batch.columnName(c),
                    rt::rowsOf(batch.column(c).view(), begin, count));
    std::map<size_t, rt::TensorView> intoBuckets;
    if (direct) {
      const dist::StepSources &into = **stepSources;
      for (size_t v = 0; v < into.results.size(); ++v)
        intoBuckets.emplace(
            into.results[v],
            rt::TensorView(reinterpret_cast<std::byte *>(reducer->valueData(v)),
                           rt::DType::F32, valueShapes[v]));
    }
    graph->setKernelObserver(&observer);
    rt::Error ran = graph->runOnViews(
        [&](rt::BindingRole role,
            const std::string &name) -> std::optional<rt::ConstTensorView> {
          const rt::Tensor *tensor = nullptr;
          if (role == rt::BindingRole::Input) {
            if (auto rows = shard.find(name); rows != shard.end())
              return rows->second;
            // An input without the batch dimension, whole on every rank.
            tensor = batch.column(name);
          } else {
            tensor = findStateTensor(state, role, name);
          }
          if (!tensor)
            return std::nullopt;
          return tensor->view();
        },
        {}, intoBuckets);
    graph->setKernelObserver(nullptr);
    if (!ran.ok())
      return breakJob(std::move(ran));
    CompiledGraph::Result *loss =
        graph->findResult(rt::BindingRole::Loss, "loss");
    if (!loss)
      return breakJob(rt::Error::failure("the gradient step returns no loss"));
    groupSums[0] += scalarValue(loss->tensor) * static_cast<double>(count);
    groupSums[1] += static_cast<double>(count);
    if (const std::optional<AccuracySpec> &accuracy = graphs->accuracy()) {
      CompiledGraph::Result *predictions =
          graph->findResult(rt::BindingRole::Output, accuracy->outputName);
      auto labels = shard.find(accuracy->labelInput);
      if (predictions && labels != shard.end()) {
        auto [right, scored] =
            countCorrect(*accuracy, predictions->tensor, labels->second);
        groupSums[2] += static_cast<double>(right);
        groupSums[3] += static_cast<double>(scored);
      }
    }
  }
  if (rt::Error reduced = reducer->finishStep(); !reduced.ok())
    return breakJob(std::move(reduced));
  if (!groupEnd)
    return rt::Error::success();

  double sums[4];
  std::copy(std::begin(groupSums), std::end(groupSums), sums);
  if (rt::Error error = communicator->allReduceSum(sums, 4, /*isDouble=*/true);
      !error.ok())
    return breakJob(std::move(error));
  // Sums over every sample of the group, on every rank: the means, where
  // they lie in the buckets, which the hooks and the update read.
  reducer->scale(equalShares ? 1.0f / static_cast<float>(ranks())
                             : static_cast<float>(1.0 / sums[1]));
  auto averageOf = [&](size_t v) {
    return rt::TensorView(reinterpret_cast<std::byte *>(reducer->valueData(v)),
                          rt::DType::F32, valueShapes[v]);
  };
  std::map<std::string, rt::TensorView> gradients;
  for (size_t g = 0; g < gradientNames.size(); ++g)
    gradients.emplace(gradientNames[g], averageOf(g));
  // Every rank runs the hooks, so they may act on the gradients alike; an
  // error on one rank leaves the others waiting, so it ends the job.
  if (hooks.afterGradients)
    if (rt::Error error = hooks.afterGradients(state.stepCount, gradients);
        !error.ok())
      return breakJob(namedByRank(std::move(error)));
  // Averaged batch-norm statistics replace every rank's own.
  for (size_t b = 0; b < bufferNames.size(); ++b) {
    rt::TensorView average = averageOf(gradientNames.size() + b);
    rt::Tensor *target = state.params.find(bufferNames[b]);
    std::memcpy(target->rawData(), average.rawData(), average.byteSize());
  }

  if (hooks.beforeUpdate)
    if (rt::Error error = hooks.beforeUpdate(state.stepCount); !error.ok())
      return breakJob(namedByRank(std::move(error)));
  // The same update on every rank, from the same averaged gradients.
  rt::Error ran = updateGraph->runOnViews(
      [&](rt::BindingRole role,
          const std::string &name) -> std::optional<rt::ConstTensorView> {
        if (role == rt::BindingRole::Grad) {
          auto it = gradients.find(name);
          if (it == gradients.end())
            return std::nullopt;
          return rt::ConstTensorView(it->second);
        }
        if (const rt::Tensor *tensor = findStateTensor(state, role, name))
          return tensor->view();
        return std::nullopt;
      },
      statesOf(state));
  if (!ran.ok())
    return breakJob(std::move(ran));
  if (rt::Error error = swapInUpdates(*updateGraph, state); !error.ok())
    return breakJob(std::move(error));

  double lossValue = sums[1] > 0 ? sums[0] / sums[1] : 0;
  // Every rank sees the same sums, so every rank stops here alike.
  if (!std::isfinite(lossValue))
    return divergedLoss(lossValue, state.stepCount);
  state.addLoss(sums[0], static_cast<int64_t>(sums[1]));
  state.addScore(static_cast<int64_t>(sums[2]), static_cast<int64_t>(sums[3]));
  return rt::Error::success();
}

int64_t DistributedTraining::shardSize(int64_t batch) const {
  return batch / ranks() + (rank() < batch % ranks() ? 1 : 0);
}

void DistributedTraining::recordProfiles(int64_t batch,
                                         rt::KernelProfiler *gradients,
                                         rt::KernelProfiler *update) {
  // The graph stays named after the records end: the report reads its plan.
  if (profiledGraph)
    profiledGraph->setProfiler(gradients);
  gradientProfiler = gradients;
  profiledShard = shardSize(batch);
  if (updateGraph)
    updateGraph->setProfiler(update);
}

std::string DistributedTraining::summary() const {
  if (!reducer || ranks() == 1)
    return "";
  const dist::CommunicationStats &stats = reducer->stats();
  if (stats.steps == 0)
    return "";
  std::string line;
  llvm::raw_string_ostream os(line);
  double steps = static_cast<double>(stats.steps);
  double communication = stats.communicationSeconds / steps * 1e3;
  double exposed = stats.exposedSeconds / steps * 1e3;
  double hidden = communication > 0
                      ? std::max(0.0, 1.0 - exposed / communication) * 100
                      : 100;
  os << "distributed: " << ranks() << " ranks, "
     << communicator->allReduceAlgorithm() << " all-reduce, "
     << llvm::format("%.1f", stats.buckets / steps) << " buckets and "
     << llvm::format("%.2f", stats.bytes / steps / 1e6)
     << " MB all-reduced per step; " << llvm::format("%.3f", communication)
     << " ms of all-reduce per step; the step waited "
     << llvm::format("%.3f", exposed)
     // The wait includes handing the last bucket to the communication
     // thread, so for tiny buckets it can exceed the all-reduces.
     << " ms for them after the backward pass (" << llvm::format("%.0f", hidden)
     << "% hidden), on rank " << rank();
  return line;
}

} // namespace nnc::train
