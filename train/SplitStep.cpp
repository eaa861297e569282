//===- SplitStep.cpp - The training step split at its gradients -----------===//

#include "train/SplitStep.h"

#include "train/Accuracy.h"
#include "train/OutputWriter.h"
#include "train/TrainingRun.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace nnc::train {
namespace {

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

/// The number a gradient step's dropout masks are drawn from, in place of
/// the optimizer's step: each batch of a group (--accumulate) and each
/// process's share draws masks of its own, as PyTorch's generator would
/// advance between them, where the step alone would give them all one
/// mask. The group's first batch on the first process draws the step's
/// own, which the fused step draws too. Unique while the step is below
/// 2^40.
int64_t dropoutDraw(int64_t step, int64_t groupBatch, int processes, int rank) {
  uint64_t share =
      static_cast<uint64_t>(groupBatch) * static_cast<uint64_t>(processes) +
      static_cast<uint64_t>(rank);
  return static_cast<int64_t>(static_cast<uint64_t>(step) + (share << 40));
}

} // namespace

SplitStep::SplitStep(SplitStepSource &graphs,
                     std::vector<std::string> bufferNames,
                     GradientExchange *exchange)
    : graphs(graphs), exchange(exchange), bufferNames(std::move(bufferNames)) {}

rt::Error SplitStep::prepareUpdate() {
  rt::Expected<CompiledGraph *> update = graphs.trainingUpdate();
  if (!update.ok())
    return update.takeError();
  updateGraph = *update;
  for (const CompiledGraph::Argument &arg : updateGraph->arguments()) {
    if (arg.role != rt::BindingRole::Grad)
      continue;
    if (arg.dtype != rt::DType::F32)
      return rt::Error::failure(
          "parameter '" + arg.name +
          "' is not f32; a step split at its gradients (--distributed, "
          "--accumulate, a gradient hook) averages f32 gradients");
    gradientNames.insert(gradientNames.begin(), arg.name);
  }
  return rt::Error::success();
}

rt::Error SplitStep::prepare(const TrainingState &state) {
  if (prepared)
    return rt::Error::success();
  auto add = [&](const rt::Shape &shape) {
    shapes.push_back(shape);
    offsets.push_back(values.size());
    counts.push_back(static_cast<size_t>(rt::elementCount(shape)));
    values.resize(values.size() + counts.back());
  };
  for (const std::string &name : gradientNames)
    for (const CompiledGraph::Argument &arg : updateGraph->arguments())
      if (arg.role == rt::BindingRole::Grad && arg.name == name)
        add(arg.shape);
  for (const std::string &name : bufferNames) {
    const rt::Tensor *buffer = state.params.find(name);
    if (!buffer || buffer->dtype() != rt::DType::F32)
      return rt::Error::failure("buffer '" + name +
                                "' is not f32; a step split at its gradients "
                                "averages f32 buffers");
    add(buffer->shape());
  }
  finished = std::vector<std::atomic<bool>>(counts.size());
  observer = [this](int64_t kernel) { kernelDone(kernel); };
  if (exchange)
    if (rt::Error error = exchange->prepare(values.data(), counts); !error.ok())
      return error;
  prepared = true;
  return rt::Error::success();
}

rt::TensorView SplitStep::valueView(size_t v) {
  return rt::TensorView(reinterpret_cast<std::byte *>(valueData(v)),
                        rt::DType::F32, shapes[v]);
}

rt::Expected<const SplitStep::Sources *>
SplitStep::sourcesOf(CompiledGraph &graph) {
  auto known = sources.find(&graph);
  if (known != sources.end())
    return &known->second;
  Sources found;
  const rt::ExecutionPlan &plan = graph.plan();
  std::vector<CompiledGraph::Result> &results = graph.results();
  found.finishes.resize(plan.kernels.size());
  auto add = [&](rt::BindingRole role, const std::string &name) {
    for (size_t i = 0; i < results.size(); ++i)
      if (results[i].role == role && results[i].name == name &&
          results[i].tensor.dtype() == rt::DType::F32) {
        int64_t writer = writerOf(plan, i);
        if (writer >= 0)
          found.finishes[static_cast<size_t>(writer)].push_back(
              found.results.size());
        found.results.push_back(i);
        found.writers.push_back(writer);
        return rt::Error::success();
      }
    return rt::Error::failure(std::string("the gradient step returns no f32 ") +
                              rt::roleName(role) + " of '" + name + "'");
  };
  for (const std::string &name : gradientNames)
    if (rt::Error error = add(rt::BindingRole::Grad, name); !error.ok())
      return error;
  for (const std::string &name : bufferNames)
    if (rt::Error error = add(rt::BindingRole::BufferUpdate, name); !error.ok())
      return error;
  return &(sources[&graph] = std::move(found));
}

void SplitStep::finish(size_t v) {
  if (finished[v].exchange(true, std::memory_order_acq_rel))
    return;
  float *into = valueData(v);
  size_t count = counts[v];
  // A process without samples contributes zeros; the graph of a later
  // batch of a group wrote its own results, which add to the values.
  const float *from = nullptr;
  if (running && accumulating)
    from = running->results()[runningSources->results[v]].tensor.data<float>();
  if (!running) {
    if (!accumulating)
      std::fill(into, into + count, 0.0f);
  } else {
    float by = v < gradientNames.size() ? weight : bufferWeight;
    if (from) {
      for (size_t i = 0; i < count; ++i)
        into[i] += from[i] * by;
    } else if (by != 1.0f) {
      for (size_t i = 0; i < count; ++i)
        into[i] *= by;
    }
  }
  if (exchanging)
    exchange->valueReady(v);
}

void SplitStep::kernelDone(int64_t kernel) {
  if (!runningSources || kernel < 0 ||
      static_cast<size_t>(kernel) >= runningSources->finishes.size())
    return;
  for (size_t v : runningSources->finishes[static_cast<size_t>(kernel)])
    finish(v);
}

rt::Error SplitStep::step(TrainingState &state, const rt::Batch &batch,
                          bool groupStart, bool groupEnd,
                          const TrainingHooks &hooks) {
  lossDiverged = false;
  rt::Error error = runStep(state, batch, groupStart, groupEnd, hooks);
  brokenStep = !error.ok() && !lossDiverged;
  return error;
}

rt::Error SplitStep::runStep(TrainingState &state, const rt::Batch &batch,
                             bool groupStart, bool groupEnd,
                             const TrainingHooks &hooks) {
  if (rt::Error error = prepare(state); !error.ok())
    return error;
  int64_t total = batch.size();
  BatchShare share = exchange ? exchange->shareOf(total) : BatchShare{0, total};
  if (groupStart) {
    std::fill(std::begin(groupSums), std::end(groupSums), 0.0);
    groupBatch = 0;
  }
  if (draw.numElements() != 1) {
    rt::Expected<rt::Tensor> made = rt::Tensor::create(rt::DType::I64, {});
    if (!made.ok())
      return made.takeError();
    draw = std::move(*made);
  }
  draw.at<int64_t>(0) =
      dropoutDraw(state.step.at<int64_t>(0), groupBatch++, processes(),
                  exchange ? exchange->rank() : 0);

  running = nullptr;
  runningSources = nullptr;
  if (share.count > 0) {
    rt::Expected<CompiledGraph *> made = graphs.trainingGradients(share.count);
    if (!made.ok())
      return made.takeError().withContext(
          "the gradient step of " + std::to_string(share.count) +
          (share.count == total ? " samples"
                                : " samples (this process's share of " +
                                      std::to_string(total) + ")"));
    running = *made;
    if (gradientProfiler && share.count == profiledShare && !profiledGraph) {
      profiledGraph = running;
      running->setProfiler(gradientProfiler);
    }
    rt::Expected<const Sources *> found = sourcesOf(*running);
    if (!found.ok())
      return found.takeError();
    runningSources = *found;
  }
  // This process's rows of each batched input, read in place.
  std::map<std::string, rt::ConstTensorView> rows;
  for (size_t c = 0; c < batch.numColumns(); ++c)
    rows.emplace(batch.columnName(c),
                 rt::rowsOf(batch.column(c).view(), share.begin, share.count));
  // A cross-entropy with ignore_index is the mean over the positions it
  // scores, which shares of equal samples need not have alike.
  const std::optional<AccuracySpec> &spec = graphs.accuracy();
  bool byPositions =
      spec && spec->kind == AccuracySpec::Kind::Argmax && spec->ignoreIndex;
  std::optional<int64_t> positions;
  if (byPositions)
    if (auto labels = rows.find(spec->labelInput); labels != rows.end())
      positions = scoredPositions(*spec, labels->second);
  // A group of one batch in equal shares gives every process's mean the
  // same weight: the mean over the processes is their sum over their
  // count, with no weighting pass while the backward runs. Otherwise each
  // mean counts as many times as it has samples (or scored positions).
  bool equalShares =
      groupStart && groupEnd && total % processes() == 0 && !byPositions;
  bufferWeight = equalShares ? 1.0f : static_cast<float>(share.count);
  weight =
      equalShares ? 1.0f : static_cast<float>(positions.value_or(share.count));
  groupSums[4] += weight;
  // The first batch of a group writes its values where they lie; a later
  // one adds its own results to them.
  accumulating = !groupStart;
  exchanging = exchange && groupEnd;
  for (std::atomic<bool> &flag : finished)
    flag.store(false, std::memory_order_relaxed);
  if (exchanging)
    exchange->beginExchange();

  if (running) {
    std::map<size_t, rt::TensorView> intoValues;
    if (!accumulating)
      for (size_t v = 0; v < runningSources->results.size(); ++v)
        intoValues.emplace(runningSources->results[v], valueView(v));
    running->setKernelObserver(&observer);
    rt::Error ran = running->runOnViews(
        [&](rt::BindingRole role,
            const std::string &name) -> std::optional<rt::ConstTensorView> {
          const rt::Tensor *tensor = nullptr;
          if (role == rt::BindingRole::Input) {
            if (auto found = rows.find(name); found != rows.end())
              return found->second;
            // An input without the batch dimension, whole everywhere.
            tensor = batch.column(name);
          } else if (role == rt::BindingRole::Step) {
            tensor = &draw;
          } else {
            tensor = findStateTensor(state, role, name);
          }
          if (!tensor)
            return std::nullopt;
          return tensor->view();
        },
        {}, intoValues);
    running->setKernelObserver(nullptr);
    if (!ran.ok())
      return ran;
    CompiledGraph::Result *loss =
        running->findResult(rt::BindingRole::Loss, "loss");
    if (!loss)
      return rt::Error::failure("the gradient step returns no loss");
    groupSums[0] += scalarValue(loss->tensor) * weight;
    groupSums[1] += static_cast<double>(share.count);
    if (const std::optional<AccuracySpec> &accuracy = spec) {
      CompiledGraph::Result *predictions =
          accuracy->outputName.empty()
              ? nullptr
              : running->findResult(rt::BindingRole::Output,
                                    accuracy->outputName);
      auto labels = rows.find(accuracy->labelInput);
      if (predictions && labels != rows.end()) {
        auto [right, scored] =
            countCorrect(*accuracy, predictions->tensor, labels->second);
        groupSums[2] += static_cast<double>(right);
        groupSums[3] += static_cast<double>(scored);
      }
    }
  }
  // What the kernels did not finish: values the executor copied out after
  // the last kernel, or all of them without samples.
  for (size_t v = 0; v < counts.size(); ++v)
    finish(v);
  if (exchanging)
    if (rt::Error error = exchange->finishExchange(); !error.ok())
      return error;
  if (!groupEnd)
    return rt::Error::success();

  // The sixth sum counts the processes asked to stop: a request that
  // reached one rank (the signal comes to each at its own moment) stops
  // them all after this step, with no collective of its own.
  double sums[6];
  std::copy(std::begin(groupSums), std::end(groupSums), sums);
  sums[5] = hooks.stopRequested && hooks.stopRequested() ? 1 : 0;
  if (exchange)
    if (rt::Error error = exchange->sumScalars(sums, 6); !error.ok())
      return error;
  stopVoted = sums[5] > 0;
  // Sums over every sample of the group, everywhere: now the means, where
  // they lie, which the hooks and the update read. A group of padding
  // alone has no scored position and zero gradients, which stay zero.
  float scale = equalShares   ? 1.0f / static_cast<float>(processes())
                : sums[4] > 0 ? static_cast<float>(1.0 / sums[4])
                              : 0.0f;
  float bufferScale = equalShares ? 1.0f / static_cast<float>(processes())
                                  : static_cast<float>(1.0 / sums[1]);
  size_t gradientValues = gradientNames.empty()
                              ? 0
                              : offsets[gradientNames.size() - 1] +
                                    counts[gradientNames.size() - 1];
  auto scaleRange = [&](size_t begin, size_t end, float by) {
    if (by != 1.0f)
      for (size_t i = begin; i < end; ++i)
        values[i] *= by;
  };
  scaleRange(0, gradientValues, scale);
  scaleRange(gradientValues, values.size(), bufferScale);
  // The step's loss is the mean its one batch would have; the epoch's
  // weighs steps by samples, as for the fused step.
  double lossValue = sums[4] > 0 ? sums[0] / sums[4] : 0;
  if (rt::Error error = applyUpdate(state, hooks); !error.ok())
    return error;
  // Every process sees the same sums, so every process stops here alike.
  if (!std::isfinite(lossValue)) {
    lossDiverged = true;
    return divergedLoss(lossValue, state.stepCount);
  }
  state.addLoss(lossValue * sums[1], static_cast<int64_t>(sums[1]));
  state.addScore(static_cast<int64_t>(sums[2]), static_cast<int64_t>(sums[3]));
  return rt::Error::success();
}

rt::Error SplitStep::applyUpdate(TrainingState &state,
                                 const TrainingHooks &hooks) {
  std::map<std::string, rt::TensorView> gradients;
  for (size_t g = 0; g < gradientNames.size(); ++g)
    gradients.emplace(gradientNames[g], valueView(g));
  // Every process runs the hooks, so they may act on the gradients alike.
  if (hooks.afterGradients)
    if (rt::Error error = hooks.afterGradients(state.stepCount, gradients);
        !error.ok())
      return error;
  // Averaged batch-norm statistics replace the process's own.
  for (size_t b = 0; b < bufferNames.size(); ++b) {
    rt::TensorView average = valueView(gradientNames.size() + b);
    rt::Tensor *target = state.params.find(bufferNames[b]);
    std::memcpy(target->rawData(), average.rawData(), average.byteSize());
  }
  if (hooks.beforeUpdate)
    if (rt::Error error = hooks.beforeUpdate(state.stepCount); !error.ok())
      return error;
  // The same update everywhere, from the same averaged gradients.
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
    return ran;
  return swapInUpdates(*updateGraph, state);
}

int64_t SplitStep::shareSize(int64_t batch) const {
  return exchange ? exchange->shareOf(batch).count : batch;
}

void SplitStep::recordProfiles(int64_t batch, rt::KernelProfiler *gradients,
                               rt::KernelProfiler *update) {
  // The graph stays named after the records end: the report reads its plan.
  if (profiledGraph)
    profiledGraph->setProfiler(gradients);
  gradientProfiler = gradients;
  profiledShare = shareSize(batch);
  if (updateGraph)
    updateGraph->setProfiler(update);
}

} // namespace nnc::train
