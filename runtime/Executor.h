//===- Executor.h - Runs a planned graph on oneTBB --------------*- C++ -*-===//
//
// The executor runs the kernels of one compiled graph as its ExecutionPlan
// says: kernels whose dependencies are done run concurrently (a oneTBB flow
// graph built once; a graph whose every kernel depends on the one before
// runs them in order, without it), and each kernel's iteration range is
// split across threads with tbb::parallel_for. The arena for intermediates is
// allocated once, at creation, and reused by every run, so running allocates no
// tensor memory (oneTBB's own task objects aside).
//
// Threads: the kernels run in the oneTBB task arena the executor is
// created in, and every run uses that arena's threads. To cap them (the
// CLI's `--threads N`), create it inside a task arena of N slots, as
// rt::Session and rt::makeFunction do; the arena is made once, so a run
// pays nothing for the cap.
//
// Determinism: a kernel's range is cut into chunks that depend only on the
// range and the kernel's min_grain, never on the thread count, so the same
// calls are made whatever the thread cap. The exception is a kernel that
// asks for one run per thread (NNC_KERNEL_ONE_RUN_PER_THREAD): it gets one
// contiguous run of its range for each of the threads the executor was
// created with. With the plugin contract (any split is bitwise equal)
// results are identical for every thread count either way.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_EXECUTOR_H
#define NNC_RUNTIME_EXECUTOR_H

#include "runtime/ExecutionPlan.h"
#include "runtime/KernelProfiler.h"
#include "runtime/PluginABI.h"
#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <functional>
#include <memory>
#include <vector>

namespace nnc::rt {

/// Runs one planned graph. Move-only; not safe to run from two threads at
/// once (the arena is shared by all runs), which run() reports as an error.
class Executor {
public:
  /// Checks `plan` (verifyExecutionPlan) and `kernels` against it (one
  /// kernel per plan kernel, each with a function and a range >= 1), and
  /// allocates the arena, 64-byte aligned.
  ///
  /// `kernels[K]` is the backend's kernel K; its `fn` and `state` must stay
  /// valid while the executor lives, i.e. the caller keeps the plugin's
  /// executable (and library) alive at least as long. `api` is the table of
  /// the plugin that made them: only its error_message and error_destroy are
  /// used, to read and free the errors kernels return; it must outlive the
  /// executor too.
  static Expected<Executor> create(ExecutionPlan plan,
                                   std::vector<nnc_kernel_info> kernels,
                                   const nnc_plugin_api &api);

  Executor(Executor &&other) noexcept;
  Executor &operator=(Executor &&other) noexcept;
  Executor(const Executor &) = delete;
  Executor &operator=(const Executor &) = delete;
  ~Executor();

  /// Runs the graph once. `inputs[i]` is the buffer of plan().inputs[i] and
  /// `outputs[i]` that of plan().outputs[i], each dense C-order data of the
  /// value's type (PlanValue::bytes; null allowed only when that is 0).
  /// Output buffers must not overlap each other or the inputs, with one
  /// exception: the output of a state update computed in place (an Output
  /// value whose PlanValue::reuses names an input) may be that input's very
  /// buffer, which the run then updates in place; otherwise inputs are only
  /// read. Allocates nothing.
  ///
  /// The first kernel that fails stops the run: kernels not yet started are
  /// skipped, and the returned error reads "<op name> (kernel K at LOC):
  /// <the kernel's message>". Within a failing kernel every chunk still
  /// runs and the error of the lowest failing iteration chunk is kept, so
  /// the message does not depend on the thread count; when independent
  /// kernels fail concurrently, which one is reported may. Outputs are
  /// unspecified after a failure.
  Error run(const std::vector<const void *> &inputs,
            const std::vector<void *> &outputs);

  /// run() with tensors whose dtype and shape are checked first against the
  /// plan's values; a mismatch is an error naming the binding, e.g.
  /// "input 'x': expected f32[4, 8], got f32[2, 8]". The checks copy
  /// shapes; use the pointer overload where a run must not allocate.
  Error run(const std::vector<ConstTensorView> &inputs,
            const std::vector<TensorView> &outputs);

  /// The plan it runs.
  const ExecutionPlan &plan() const;

  /// Records every kernel chunk and run into `profiler` from the next run
  /// on (null: stop). The profiler must outlive the runs it records; while
  /// none is set, runs record nothing and cost nothing more.
  void setProfiler(KernelProfiler *profiler);

  /// Calls `observer(K)` on the worker thread that finished kernel K, each
  /// run, once all its chunks are done (whether or not it failed), so a
  /// caller can use a result as soon as its kernel is done, while the rest
  /// of the graph runs: data-parallel training starts all-reducing early
  /// gradients this way. The observer must be quick and thread-safe, and
  /// outlive the runs; null stops it. Without one, runs cost nothing more.
  void setKernelObserver(const std::function<void(int64_t kernel)> *observer);

  /// Bytes of the arena allocated for intermediates.
  uint64_t arenaSize() const { return plan().arenaSize; }

private:
  struct Impl;
  explicit Executor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

} // namespace nnc::rt

#endif // NNC_RUNTIME_EXECUTOR_H
