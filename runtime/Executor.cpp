//===- Executor.cpp - Runs a planned graph on oneTBB ----------------------===//

#include "runtime/Executor.h"

#include "runtime/ArenaThreads.h"
#include "runtime/Counted.h"
#include "runtime/PluginHost.h"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <new>

namespace nnc::rt {

namespace {

constexpr std::align_val_t kArenaAlign{kArenaAlignment};

/// A kernel's range is cut into about this many chunks at most (fewer when
/// min_grain asks for bigger ones): enough to balance a few dozen threads,
/// and independent of the thread count so that every run makes the same
/// kernel calls.
constexpr int64_t kTargetChunks = 128;

struct ArenaDelete {
  void operator()(std::byte *bytes) const {
    ::operator delete(bytes, kArenaAlign);
  }
};

/// One kernel as the executor calls it.
struct KernelSlot {
  nnc_kernel_fn fn = nullptr;
  void *state = nullptr;
  int64_t range = 0;
  /// Chunk size for parallel_for; a chunk is at most this many iterations.
  int64_t grain = 1;
  /// Calls when the kernel asked for one run of its range per thread
  /// (NNC_KERNEL_ONE_RUN_PER_THREAD), else 0: the chunks are then these
  /// many equal runs.
  int64_t runs = 0;
  /// The threads a call keeps busy, for a profile: the arena's for a kernel
  /// that spreads its work over them (NNC_KERNEL_USES_THE_ARENAS_THREADS),
  /// else 1.
  int threadsPerCall = 1;
  /// Its buffers in Impl::buffers: [firstBuffer, firstBuffer + numBuffers).
  size_t firstBuffer = 0;
};

/// A buffer slot that points to a caller's buffer, refreshed on every run.
struct ExternalSlot {
  size_t slot;
  ValueKind kind;
  size_t index;
};

/// A state the step updates in place (PlanValue::reuses of an Output
/// value): the caller's input and output buffer numbers, and its bytes.
struct StateUpdate {
  size_t input;
  size_t output;
  uint64_t bytes;
};

} // namespace

struct Executor::Impl {
  using Node = tbb::flow::continue_node<tbb::flow::continue_msg>;

  ExecutionPlan plan;
  /// The graph input each value views, or -1 (viewedGraphInputs).
  std::vector<int64_t> views;
  const nnc_plugin_api *api = nullptr;
  /// When set, every chunk and run is recorded. Kept among the fields that
  /// runs only read: declared after the flow graph, whose counters every
  /// task writes, the null test cost about 1 us a step at batch 1 (MLP,
  /// 2 threads, AMD EPYC Zen 5, medians of 5 runs), as a shared cache line
  /// would.
  KernelProfiler *profiler = nullptr;
  const std::function<void(int64_t)> *kernelObserver = nullptr;
  std::unique_ptr<std::byte, ArenaDelete> arena;
  std::vector<KernelSlot> kernels;
  /// Every kernel's buffer pointers, back to back. Arena slots are set at
  /// creation, external ones at the start of each run.
  std::vector<void *> buffers;
  std::vector<ExternalSlot> externals;
  std::vector<StateUpdate> stateUpdates;
  /// Scratch for the typed run(), sized at creation so runs do not allocate.
  std::vector<const void *> inputScratch;
  std::vector<void *> outputScratch;

  tbb::flow::graph graph;
  tbb::flow::broadcast_node<tbb::flow::continue_msg> start{graph};
  std::vector<std::unique_ptr<Node>> nodes;
  /// Whether every kernel depends on the one before it, so that no two can
  /// run at once: such a graph runs its kernels in order on the calling
  /// thread (each still split across the arena's threads) instead of
  /// through the flow graph, whose task per kernel is the larger part of a
  /// batch-1 MLP's executor overhead.
  bool isChain = false;
  /// The arena the executor was created in, where a chain's kernels run,
  /// as the flow graph's tasks do, whichever arena run() is called from.
  tbb::task_arena creationArena{tbb::task_arena::attach()};

  std::atomic<bool> running{false};
  std::atomic<bool> failed{false};
  /// The error kept so far: the lowest (kernel, begin) that failed.
  std::mutex errorMutex;
  nnc_error *error = nullptr;
  int64_t errorKernel = -1;
  int64_t errorBegin = -1;
  nnc_status errorStatus = NNC_OK;

  void buildGraph();
  void runKernel(size_t k);
  void runKernelChunks(size_t k);
  void callKernel(size_t k, int64_t begin, int64_t end);
  void recordError(size_t k, int64_t begin, nnc_status status,
                   nnc_error *kernelError);
  Error takeError();
  Error runRaw(const void *const *inputs, void *const *outputs);
  void *valuePointer(int64_t id, const void *const *inputs,
                     void *const *outputs) const;
};

void Executor::Impl::buildGraph() {
  isChain = true;
  for (size_t k = 1; k < kernels.size(); ++k) {
    const std::vector<int64_t> &deps = plan.kernels[k].dependencies;
    if (std::find(deps.begin(), deps.end(), static_cast<int64_t>(k) - 1) ==
        deps.end())
      isChain = false;
  }
  if (isChain)
    return;
  nodes.reserve(kernels.size());
  for (size_t k = 0; k < kernels.size(); ++k) {
    nodes.push_back(std::make_unique<Node>(
        graph, [this, k](const tbb::flow::continue_msg &) { runKernel(k); }));
    const std::vector<int64_t> &deps = plan.kernels[k].dependencies;
    if (deps.empty())
      tbb::flow::make_edge(start, *nodes.back());
    for (int64_t dep : deps)
      tbb::flow::make_edge(*nodes[static_cast<size_t>(dep)], *nodes.back());
  }
}

void Executor::Impl::recordError(size_t k, int64_t begin, nnc_status status,
                                 nnc_error *kernelError) {
  failed.store(true, std::memory_order_relaxed);
  nnc_error *discard = kernelError;
  {
    std::lock_guard<std::mutex> lock(errorMutex);
    int64_t kernel = static_cast<int64_t>(k);
    if (errorKernel < 0 || kernel < errorKernel ||
        (kernel == errorKernel && begin < errorBegin)) {
      discard = error;
      error = kernelError;
      errorKernel = kernel;
      errorBegin = begin;
      errorStatus = status;
    }
  }
  if (discard)
    api->error_destroy(discard);
}

void Executor::Impl::callKernel(size_t k, int64_t begin, int64_t end) {
  const KernelSlot &slot = kernels[k];
  nnc_error *kernelError = nullptr;
  int64_t startNs = profiler ? profiler->now() : 0;
  nnc_status status = slot.fn(slot.state, buffers.data() + slot.firstBuffer,
                              begin, end, &kernelError);
  if (profiler)
    profiler->record({static_cast<int64_t>(k),
                      tbb::this_task_arena::current_thread_index(), begin, end,
                      startNs, profiler->now(), slot.threadsPerCall});
  if (status != NNC_OK)
    recordError(k, begin, status, kernelError);
  else if (kernelError)
    // A plugin that sets an error on success still owns nothing of it.
    api->error_destroy(kernelError);
}

void Executor::Impl::runKernel(size_t k) {
  runKernelChunks(k);
  if (kernelObserver)
    (*kernelObserver)(static_cast<int64_t>(k));
}

void Executor::Impl::runKernelChunks(size_t k) {
  // Kernels that had not started when something failed are skipped; the
  // flow graph still visits them so that wait_for_all returns.
  if (failed.load(std::memory_order_relaxed))
    return;
  const KernelSlot &slot = kernels[k];
  if (slot.range == 0)
    return;
  if (slot.range <= slot.grain || slot.runs == 1) {
    callKernel(k, 0, slot.range);
    return;
  }
  if (slot.runs > 1) {
    tbb::parallel_for(
        tbb::blocked_range<int64_t>(0, slot.runs, 1),
        [this, k, &slot](const tbb::blocked_range<int64_t> &runs) {
          for (int64_t run = runs.begin(); run < runs.end(); ++run)
            callKernel(k, slot.range * run / slot.runs,
                       slot.range * (run + 1) / slot.runs);
        },
        tbb::simple_partitioner());
    return;
  }
  // simple_partitioner splits down to the grain whatever the thread count,
  // which keeps the set of calls the same from run to run.
  tbb::parallel_for(
      tbb::blocked_range<int64_t>(0, slot.range,
                                  static_cast<size_t>(slot.grain)),
      [this, k](const tbb::blocked_range<int64_t> &chunk) {
        callKernel(k, chunk.begin(), chunk.end());
      },
      tbb::simple_partitioner());
}

void *Executor::Impl::valuePointer(int64_t id, const void *const *inputs,
                                   void *const *outputs) const {
  const PlanValue &value = plan.values[static_cast<size_t>(id)];
  switch (value.kind) {
  case ValueKind::Input:
    // Kernels only read their operands; the ABI's pointer type is not const.
    return const_cast<void *>(inputs[value.index]);
  case ValueKind::Output:
    return outputs[value.index];
  case ValueKind::Arena:
    if (int64_t input = views[static_cast<size_t>(id)]; input >= 0)
      return const_cast<void *>(
          inputs[plan.values[static_cast<size_t>(input)].index]);
    return arena.get() + value.offset;
  }
  return nullptr;
}

Error Executor::Impl::takeError() {
  std::string message = takePluginMessage(*api, error);
  error = nullptr;
  if (errorStatus == NNC_UNSUPPORTED)
    message = "the backend does not support this kernel";
  else if (message.empty())
    message = "the kernel failed without a message";

  const PlanKernel &kernel = plan.kernels[static_cast<size_t>(errorKernel)];
  std::string where = kernel.opName + " (kernel " + std::to_string(errorKernel);
  if (!kernel.location.empty())
    where += " at " + kernel.location;
  errorKernel = -1;
  errorBegin = -1;
  errorStatus = NNC_OK;
  failed.store(false, std::memory_order_relaxed);
  return Error::failure(where + "): " + message);
}

Error Executor::Impl::runRaw(const void *const *inputs, void *const *outputs) {
  for (size_t i = 0; i < plan.inputs.size(); ++i)
    if (!inputs[i] &&
        plan.values[static_cast<size_t>(plan.inputs[i].value)].bytes != 0)
      return Error::failure("input " + std::to_string(i) + " '" +
                            plan.inputs[i].name + "' has no buffer");
  for (size_t i = 0; i < plan.outputs.size(); ++i)
    if (!outputs[i] &&
        plan.values[static_cast<size_t>(plan.outputs[i].value)].bytes != 0)
      return Error::failure("output " + std::to_string(i) + " '" +
                            plan.outputs[i].name + "' has no buffer");

  // A state update given a buffer of its own starts as a copy of the state;
  // given the state's buffer, it updates the state where it lies.
  for (const StateUpdate &update : stateUpdates)
    if (update.bytes != 0 && outputs[update.output] != inputs[update.input])
      std::memcpy(outputs[update.output], inputs[update.input], update.bytes);
  for (const ExternalSlot &external : externals)
    buffers[external.slot] = external.kind == ValueKind::Input
                                 ? const_cast<void *>(inputs[external.index])
                                 : outputs[external.index];

  int64_t stepStartNs = profiler ? profiler->now() : 0;
  if (isChain) {
    creationArena.execute([this] {
      for (size_t k = 0; k < kernels.size(); ++k)
        runKernel(k);
    });
  } else {
    start.try_put(tbb::flow::continue_msg());
    graph.wait_for_all();
  }
  if (profiler)
    profiler->recordStep({stepStartNs, profiler->now()});
  if (failed.load(std::memory_order_relaxed))
    return takeError();

  // Results that no kernel wrote into their buffer: returned arguments and
  // values returned more than once.
  for (size_t i = 0; i < plan.outputs.size(); ++i) {
    int64_t id = plan.outputs[i].value;
    const PlanValue &value = plan.values[static_cast<size_t>(id)];
    if (value.kind == ValueKind::Output &&
        value.index == static_cast<int64_t>(i))
      continue;
    void *source = valuePointer(id, inputs, outputs);
    if (value.bytes != 0 && source != outputs[i])
      std::memcpy(outputs[i], source, value.bytes);
  }
  return Error::success();
}

Expected<Executor> Executor::create(ExecutionPlan plan,
                                    std::vector<nnc_kernel_info> kernels,
                                    const nnc_plugin_api &api) {
  if (Error error = verifyExecutionPlan(plan); !error.ok())
    return std::move(error).withContext("invalid execution plan");
  if (kernels.size() != plan.kernels.size())
    return Error::failure(
        "the plan has " + std::to_string(plan.kernels.size()) +
        " kernels but the backend gave " + std::to_string(kernels.size()));
  if (!api.error_message || !api.error_destroy)
    return Error::failure("the plugin table cannot read or free errors");

  auto impl = std::make_unique<Impl>();
  impl->api = &api;
  impl->views = viewedGraphInputs(plan);
  // The threads the runs will have.
  const int64_t threads = arenaThreads();
  if (plan.arenaSize != 0) {
    void *bytes = ::operator new(static_cast<size_t>(plan.arenaSize),
                                 kArenaAlign, std::nothrow);
    if (!bytes)
      return Error::failure("cannot allocate an arena of " +
                            std::to_string(plan.arenaSize) + " bytes");
    impl->arena.reset(static_cast<std::byte *>(bytes));
  }

  for (size_t k = 0; k < kernels.size(); ++k) {
    const nnc_kernel_info &info = kernels[k];
    std::string label =
        plan.kernels[k].opName + " (kernel " + std::to_string(k) + ")";
    if (info.struct_size < NNC_STRUCT_SIZE_UNTIL(nnc_kernel_info, range) ||
        !info.fn)
      return Error::failure(label + ": the backend gave no kernel function");
    // A range of 0 would run no iteration and leave the results unwritten.
    if (info.range < 1)
      return Error::failure(label + ": range " + std::to_string(info.range) +
                            " is below 1");
    int64_t minGrain = 1;
    if (info.struct_size >= NNC_STRUCT_SIZE_UNTIL(nnc_kernel_info, min_grain))
      minGrain = std::max<int64_t>(info.min_grain, 1);
    uint32_t flags = 0;
    if (info.struct_size >= NNC_STRUCT_SIZE_UNTIL(nnc_kernel_info, flags))
      flags = info.flags;

    KernelSlot slot;
    slot.fn = info.fn;
    slot.state = info.state;
    slot.range = info.range;
    slot.grain =
        std::max(minGrain, (info.range + kTargetChunks - 1) / kTargetChunks);
    // A range of 1 has nothing to share out (and no valid clamp).
    if ((flags & NNC_KERNEL_ONE_RUN_PER_THREAD) && info.range > 1)
      slot.runs = std::clamp<int64_t>(threads, 1, info.range);
    if (flags & NNC_KERNEL_USES_THE_ARENAS_THREADS)
      slot.threadsPerCall = static_cast<int>(std::max<int64_t>(threads, 1));
    slot.firstBuffer = impl->buffers.size();
    const PlanKernel &planKernel = plan.kernels[k];
    for (int64_t id : planKernel.buffers) {
      const PlanValue &value = plan.values[static_cast<size_t>(id)];
      // A view of a graph input reads the caller's bytes, bound per run.
      int64_t viewed = impl->views[static_cast<size_t>(id)];
      if (value.kind == ValueKind::Arena && viewed < 0) {
        impl->buffers.push_back(impl->arena.get() + value.offset);
        continue;
      }
      const PlanValue &bound =
          viewed >= 0 ? plan.values[static_cast<size_t>(viewed)] : value;
      ValueKind kind = bound.kind;
      size_t index = static_cast<size_t>(bound.index);
      // The kernel that updates a state in place reads the state from the
      // update's buffer, which holds it by then (see runRaw).
      if (kind == ValueKind::Input)
        for (size_t r = static_cast<size_t>(planKernel.numOperands);
             r < planKernel.buffers.size(); ++r) {
          const PlanValue &result =
              plan.values[static_cast<size_t>(planKernel.buffers[r])];
          if (result.kind == ValueKind::Output && result.reuses == id) {
            kind = ValueKind::Output;
            index = static_cast<size_t>(result.index);
          }
        }
      impl->externals.push_back({impl->buffers.size(), kind, index});
      impl->buffers.push_back(nullptr);
    }
    impl->kernels.push_back(slot);
  }
  for (const PlanValue &value : plan.values)
    if (value.kind == ValueKind::Output && value.reuses >= 0)
      impl->stateUpdates.push_back(
          {static_cast<size_t>(
               plan.values[static_cast<size_t>(value.reuses)].index),
           static_cast<size_t>(value.index), value.bytes});
  impl->inputScratch.resize(plan.inputs.size());
  impl->outputScratch.resize(plan.outputs.size());
  impl->plan = std::move(plan);
  impl->buildGraph();
  return Executor(std::move(impl));
}

Executor::Executor(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}
Executor::Executor(Executor &&other) noexcept = default;
Executor &Executor::operator=(Executor &&other) noexcept = default;
Executor::~Executor() = default;

const ExecutionPlan &Executor::plan() const { return impl->plan; }

void Executor::setKernelObserver(const std::function<void(int64_t)> *observer) {
  impl->kernelObserver = observer;
}

void Executor::setProfiler(KernelProfiler *profiler) {
  impl->profiler = profiler;
  if (profiler)
    profiler->attach(impl->plan);
}

namespace {

/// Marks an executor busy for the duration of a run.
class RunGuard {
public:
  explicit RunGuard(std::atomic<bool> &running)
      : running(running), acquired(!running.exchange(true)) {}
  ~RunGuard() {
    if (acquired)
      running.store(false);
  }
  bool ok() const { return acquired; }

private:
  std::atomic<bool> &running;
  bool acquired;
};

} // namespace

/// A run given more or fewer buffers than the graph has inputs and outputs.
static Error bindingCountError(const ExecutionPlan &plan, size_t inputs,
                               size_t outputs) {
  return Error::failure(
      "the graph takes " + counted(plan.inputs.size(), "input") + " and " +
      counted(plan.outputs.size(), "output") + ", but the run binds " +
      std::to_string(inputs) + " and " + std::to_string(outputs));
}

Error Executor::run(const std::vector<const void *> &inputs,
                    const std::vector<void *> &outputs) {
  const ExecutionPlan &plan = impl->plan;
  if (inputs.size() != plan.inputs.size() ||
      outputs.size() != plan.outputs.size())
    return bindingCountError(plan, inputs.size(), outputs.size());
  RunGuard guard(impl->running);
  if (!guard.ok())
    return Error::failure("the executor is already running");
  return impl->runRaw(inputs.data(), outputs.data());
}

Error Executor::run(const std::vector<ConstTensorView> &inputs,
                    const std::vector<TensorView> &outputs) {
  const ExecutionPlan &plan = impl->plan;
  if (inputs.size() != plan.inputs.size() ||
      outputs.size() != plan.outputs.size())
    return bindingCountError(plan, inputs.size(), outputs.size());
  auto check = [&](const char *what, const ExternalBinding &binding,
                   ConstTensorView tensor) {
    const PlanValue &value = plan.values[static_cast<size_t>(binding.value)];
    return checkTensorType(std::string(what) + " '" + binding.name + "'",
                           tensor, value.dtype, value.shape);
  };
  RunGuard guard(impl->running);
  if (!guard.ok())
    return Error::failure("the executor is already running");
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (Error error = check("input", plan.inputs[i], inputs[i]); !error.ok())
      return error;
    impl->inputScratch[i] = inputs[i].rawData();
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (Error error = check("output", plan.outputs[i], outputs[i]); !error.ok())
      return error;
    impl->outputScratch[i] = outputs[i].rawData();
  }
  return impl->runRaw(impl->inputScratch.data(), impl->outputScratch.data());
}

} // namespace nnc::rt
