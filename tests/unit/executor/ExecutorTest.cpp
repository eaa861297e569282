//===- ExecutorTest.cpp - The oneTBB executor with hand-made kernels ------===//
//
// Kernels here are plain C functions over float buffers, written to the
// plugin contract (iterations independent, any split gives the same bytes),
// and plans are written by hand, so the executor is tested without the
// compiler. Expected values are computed in closed form.
//
//===----------------------------------------------------------------------===//

#include "runtime/Executor.h"

#include <gtest/gtest.h>
#include <oneapi/tbb/global_control.h>

#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

/// The tests' own error object, as a plugin would define it.
struct nnc_error {
  std::string message;
};

using namespace nnc::rt;

namespace {

const char *errorMessage(const nnc_error *error) {
  return error->message.c_str();
}
void errorDestroy(nnc_error *error) { delete error; }

nnc_plugin_api testApi() {
  nnc_plugin_api api{};
  api.struct_size = sizeof(api);
  api.name = "test";
  api.error_message = errorMessage;
  api.error_destroy = errorDestroy;
  return api;
}

/// out[i] = in[i] * scale + offset, over iterations = elements.
struct AffineState {
  float scale;
  float offset;
  std::atomic<int> calls{0};
};

nnc_status affineKernel(void *state, void *const *buffers, int64_t begin,
                        int64_t end, nnc_error **) {
  auto *affine = static_cast<AffineState *>(state);
  ++affine->calls;
  const float *in = static_cast<const float *>(buffers[0]);
  float *out = static_cast<float *>(buffers[1]);
  for (int64_t i = begin; i < end; ++i)
    out[i] = in[i] * affine->scale + affine->offset;
  return NNC_OK;
}

/// out[i] = a[i] + b[i].
nnc_status addKernel(void *, void *const *buffers, int64_t begin, int64_t end,
                     nnc_error **) {
  const float *a = static_cast<const float *>(buffers[0]);
  const float *b = static_cast<const float *>(buffers[1]);
  float *out = static_cast<float *>(buffers[2]);
  for (int64_t i = begin; i < end; ++i)
    out[i] = a[i] + b[i];
  return NNC_OK;
}

/// Fails at the first iteration whose input is negative, naming it.
nnc_status checkKernel(void *, void *const *buffers, int64_t begin, int64_t end,
                       nnc_error **error) {
  const float *in = static_cast<const float *>(buffers[0]);
  float *out = static_cast<float *>(buffers[1]);
  for (int64_t i = begin; i < end; ++i) {
    if (in[i] < 0) {
      *error =
          new nnc_error{"negative value at iteration " + std::to_string(i)};
      return NNC_ERROR;
    }
    out[i] = in[i];
  }
  return NNC_OK;
}

nnc_kernel_info kernelInfo(nnc_kernel_fn fn, void *state, int64_t range,
                           int64_t minGrain = 1) {
  nnc_kernel_info info{};
  info.struct_size = sizeof(info);
  info.fn = fn;
  info.state = state;
  info.range = range;
  info.min_grain = minGrain;
  return info;
}

PlanValue f32Value(const std::string &name, int64_t n, ValueKind kind,
                   int64_t index, uint64_t offset = 0) {
  return {name, DType::F32, {n},   static_cast<uint64_t>(n) * 4,
          kind, index,      offset};
}

uint64_t aligned(uint64_t bytes) { return (bytes + 63) / 64 * 64; }

constexpr int64_t kElements = 100003; // odd, so chunks are uneven

/// The diamond x -> a = x + 1 -> (b = 2a, c = a - 3) -> y = b + c, that is
/// y = 3x; a, b, c in the arena, b and c computed concurrently.
ExecutionPlan diamondPlan(int64_t n) {
  ExecutionPlan plan;
  uint64_t size = aligned(static_cast<uint64_t>(n) * 4);
  plan.values = {
      f32Value("x", n, ValueKind::Input, 0),
      f32Value("a", n, ValueKind::Arena, -1, 0),
      f32Value("b", n, ValueKind::Arena, -1, size),
      f32Value("c", n, ValueKind::Arena, -1, 2 * size),
      f32Value("y", n, ValueKind::Output, 0),
  };
  plan.kernels = {
      {"test.inc", "", {0, 1}, 1, {}},
      {"test.double", "", {1, 2}, 1, {0}},
      {"test.sub3", "", {1, 3}, 1, {0}},
      {"test.add", "m.nn:7:3", {2, 3, 4}, 2, {1, 2}},
  };
  plan.inputs = {{"x", BindingRole::Input, 0}};
  plan.outputs = {{"y", BindingRole::Output, 4}};
  plan.arenaSize = 3 * size;
  return plan;
}

struct Diamond {
  AffineState inc{1.0f, 1.0f};
  AffineState twice{2.0f, 0.0f};
  AffineState sub3{1.0f, -3.0f};

  std::vector<nnc_kernel_info> kernels(int64_t n, int64_t minGrain = 1) {
    return {kernelInfo(affineKernel, &inc, n, minGrain),
            kernelInfo(affineKernel, &twice, n, minGrain),
            kernelInfo(affineKernel, &sub3, n, minGrain),
            kernelInfo(addKernel, nullptr, n, minGrain)};
  }
};

std::vector<float> iota(int64_t n) {
  std::vector<float> values(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    values[i] = static_cast<float>(i % 1000) * 0.25f - 100.0f;
  return values;
}

TEST(ExecutorTest, DiamondComputesTheGraph) {
  nnc_plugin_api api = testApi();
  Diamond diamond;
  Expected<Executor> executor =
      Executor::create(diamondPlan(kElements), diamond.kernels(kElements), api);
  ASSERT_TRUE(executor.ok()) << executor.message();
  std::vector<float> x = iota(kElements), y(kElements);
  Error error = executor->run({x.data()}, {y.data()});
  ASSERT_TRUE(error.ok()) << error.message();
  for (int64_t i = 0; i < kElements; ++i)
    ASSERT_EQ(y[i], 2 * (x[i] + 1) + (x[i] + 1 - 3)) << "at " << i;
  // The range was split: more calls than kernels.
  EXPECT_GT(diamond.inc.calls.load(), 1);
}

TEST(ExecutorTest, ResultsAreIdenticalForEveryThreadCount) {
  nnc_plugin_api api = testApi();
  std::vector<float> x = iota(kElements);
  std::vector<std::vector<float>> results;
  std::vector<int> calls;
  for (int threads : {1, 2, 4}) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                              threads);
    Diamond diamond;
    Expected<Executor> executor = Executor::create(
        diamondPlan(kElements), diamond.kernels(kElements), api);
    ASSERT_TRUE(executor.ok()) << executor.message();
    std::vector<float> y(kElements);
    // Twice: the arena is reused and the flow graph runs again.
    for (int run = 0; run < 2; ++run) {
      std::fill(y.begin(), y.end(), 0.0f);
      Error error = executor->run({x.data()}, {y.data()});
      ASSERT_TRUE(error.ok()) << error.message();
    }
    results.push_back(y);
    calls.push_back(diamond.inc.calls.load());
  }
  for (size_t i = 1; i < results.size(); ++i) {
    EXPECT_EQ(std::memcmp(results[0].data(), results[i].data(),
                          results[0].size() * sizeof(float)),
              0);
    // The split depends on the range, not on the thread count.
    EXPECT_EQ(calls[0], calls[i]);
  }
}

TEST(ExecutorTest, MinGrainLimitsTheSplit) {
  nnc_plugin_api api = testApi();
  Diamond diamond;
  Expected<Executor> executor = Executor::create(
      diamondPlan(kElements), diamond.kernels(kElements, kElements), api);
  ASSERT_TRUE(executor.ok()) << executor.message();
  std::vector<float> x = iota(kElements), y(kElements);
  ASSERT_TRUE(executor->run({x.data()}, {y.data()}).ok());
  EXPECT_EQ(diamond.inc.calls.load(), 1);
}

/// Copies in to out and records each call's [begin, end).
struct RecordingState {
  std::mutex mutex;
  std::vector<std::pair<int64_t, int64_t>> calls;
};

nnc_status recordingKernel(void *state, void *const *buffers, int64_t begin,
                           int64_t end, nnc_error **) {
  auto *recording = static_cast<RecordingState *>(state);
  const float *in = static_cast<const float *>(buffers[0]);
  float *out = static_cast<float *>(buffers[1]);
  for (int64_t i = begin; i < end; ++i)
    out[i] = in[i];
  std::lock_guard<std::mutex> lock(recording->mutex);
  recording->calls.push_back({begin, end});
  return NNC_OK;
}

/// x -> copy -> y.
ExecutionPlan copyPlan(int64_t n) {
  ExecutionPlan plan;
  plan.values = {f32Value("x", n, ValueKind::Input, 0),
                 f32Value("y", n, ValueKind::Output, 0)};
  plan.kernels = {{"test.copy", "", {0, 1}, 1, {}}};
  plan.inputs = {{"x", BindingRole::Input, 0}};
  plan.outputs = {{"y", BindingRole::Output, 1}};
  return plan;
}

/// The calls a run of `info` made in an arena of `threads` slots, sorted.
std::vector<std::pair<int64_t, int64_t>>
callsOfOneRun(nnc_kernel_info info, RecordingState &recording, int threads) {
  nnc_plugin_api api = testApi();
  const int64_t n = info.range;
  std::vector<float> x = iota(n), y(static_cast<size_t>(n));
  recording.calls.clear();
  tbb::task_arena arena(threads);
  arena.execute([&] {
    Expected<Executor> executor = Executor::create(copyPlan(n), {info}, api);
    ASSERT_TRUE(executor.ok()) << executor.message();
    ASSERT_TRUE(executor->run({x.data()}, {y.data()}).ok());
  });
  EXPECT_EQ(x, y);
  std::sort(recording.calls.begin(), recording.calls.end());
  return recording.calls;
}

TEST(ExecutorTest, OneRunPerThreadWhenTheKernelAsks) {
  constexpr int64_t kRange = 13;
  RecordingState recording;
  nnc_kernel_info info = kernelInfo(recordingKernel, &recording, kRange);
  info.flags = NNC_KERNEL_ONE_RUN_PER_THREAD;
  // oneTBB runs at most as many threads as the machine has, whatever the
  // arena's slots.
  const int64_t cap = static_cast<int64_t>(tbb::global_control::active_value(
      tbb::global_control::max_allowed_parallelism));
  for (int slots : {1, 2, 3, 4}) {
    SCOPED_TRACE("slots " + std::to_string(slots));
    const int64_t runs = std::min<int64_t>(slots, cap);
    std::vector<std::pair<int64_t, int64_t>> want;
    for (int64_t run = 0; run < runs; ++run)
      want.push_back({kRange * run / runs, kRange * (run + 1) / runs});
    EXPECT_EQ(callsOfOneRun(info, recording, slots), want);
  }
}

TEST(ExecutorTest, APluginBeforeFlagsKeepsTheUsualSplit) {
  constexpr int64_t kRange = 13;
  RecordingState recording;
  nnc_kernel_info info = kernelInfo(recordingKernel, &recording, kRange);
  // An ABI 1.4 plugin's struct ends before `flags`; what lies there is not
  // read.
  info.struct_size = NNC_STRUCT_SIZE_UNTIL(nnc_kernel_info, min_grain);
  info.flags = NNC_KERNEL_ONE_RUN_PER_THREAD;
  EXPECT_EQ(callsOfOneRun(info, recording, 2).size(),
            static_cast<size_t>(kRange));
}

/// x -> check (fails on negatives) -> t -> inc -> y.
ExecutionPlan checkPlan(int64_t n) {
  ExecutionPlan plan;
  plan.values = {f32Value("x", n, ValueKind::Input, 0),
                 f32Value("t", n, ValueKind::Arena, -1, 0),
                 f32Value("y", n, ValueKind::Output, 0)};
  plan.kernels = {{"nn.gather", "m.nn:3:9", {0, 1}, 1, {}},
                  {"test.inc", "", {1, 2}, 1, {0}}};
  plan.inputs = {{"x", BindingRole::Input, 0}};
  plan.outputs = {{"y", BindingRole::Output, 2}};
  plan.arenaSize = aligned(static_cast<uint64_t>(n) * 4);
  return plan;
}

TEST(ExecutorTest, KernelErrorStopsTheRunWithItsMessage) {
  nnc_plugin_api api = testApi();
  std::vector<float> x(kElements, 1.0f), y(kElements, 0.0f);
  // Two bad iterations in different chunks: the first one is reported
  // whatever the thread count.
  x[4321] = -1.0f;
  x[90000] = -1.0f;
  for (int threads : {1, 2, 4}) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                              threads);
    AffineState inc{1.0f, 1.0f};
    Expected<Executor> executor =
        Executor::create(checkPlan(kElements),
                         {kernelInfo(checkKernel, nullptr, kElements),
                          kernelInfo(affineKernel, &inc, kElements)},
                         api);
    ASSERT_TRUE(executor.ok()) << executor.message();
    Error error = executor->run({x.data()}, {y.data()});
    ASSERT_FALSE(error.ok());
    EXPECT_EQ(error.message(), "nn.gather (kernel 0 at m.nn:3:9): negative "
                               "value at iteration 4321");
    EXPECT_EQ(inc.calls.load(), 0) << "a kernel after the failure ran";

    // The executor recovers: a good input runs through.
    std::vector<float> good(kElements, 2.0f);
    Error again = executor->run({good.data()}, {y.data()});
    ASSERT_TRUE(again.ok()) << again.message();
    EXPECT_EQ(y[0], 3.0f);
  }
}

/// Fails at once with a message of several lines, as a careless plugin
/// might.
nnc_status multiLineErrorKernel(void *, void *const *, int64_t, int64_t,
                                nnc_error **error) {
  *error = new nnc_error{"first line\nsecond line\r\n\tthird\x01line\n"};
  return NNC_ERROR;
}

TEST(ExecutorTest, KernelErrorIsOneLine) {
  nnc_plugin_api api = testApi();
  AffineState inc{1.0f, 1.0f};
  Expected<Executor> executor =
      Executor::create(checkPlan(8),
                       {kernelInfo(multiLineErrorKernel, nullptr, 8),
                        kernelInfo(affineKernel, &inc, 8)},
                       api);
  ASSERT_TRUE(executor.ok()) << executor.message();
  std::vector<float> x(8, 1.0f), y(8, 0.0f);
  Error error = executor->run({x.data()}, {y.data()});
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.message(), "nn.gather (kernel 0 at m.nn:3:9): first line "
                             "second line third line");
}

/// Copies in to out slowly, counting how many of its calls run at once.
struct ConcurrencyState {
  std::atomic<int> active{0};
  std::atomic<int> most{0};
};

nnc_status countingKernel(void *state, void *const *buffers, int64_t begin,
                          int64_t end, nnc_error **) {
  auto *counts = static_cast<ConcurrencyState *>(state);
  int now = ++counts->active;
  int most = counts->most.load();
  while (now > most && !counts->most.compare_exchange_weak(most, now)) {
  }
  const float *in = static_cast<const float *>(buffers[0]);
  float *out = static_cast<float *>(buffers[1]);
  for (int64_t i = begin; i < end; ++i)
    out[i] = in[i];
  std::this_thread::sleep_for(std::chrono::microseconds(50));
  --counts->active;
  return NNC_OK;
}

// A chain (checkPlan: every kernel after the one before) runs its kernels in
// order rather than through the flow graph; either way the kernels run in
// the arena the executor was made in, whatever arena calls run().
TEST(ExecutorTest, ChainRunsInTheArenaItWasMadeIn) {
  nnc_plugin_api api = testApi();
  ConcurrencyState counts;
  tbb::task_arena oneThread(1);
  std::optional<Expected<Executor>> executor;
  oneThread.execute([&] {
    executor.emplace(
        Executor::create(checkPlan(kElements),
                         {kernelInfo(countingKernel, &counts, kElements, 1000),
                          kernelInfo(countingKernel, &counts, kElements, 1000)},
                         api));
  });
  ASSERT_TRUE(executor->ok()) << executor->message();
  std::vector<float> x = iota(kElements), y(kElements);
  // Called from the default arena, which has every core.
  Error error = (*executor)->run({x.data()}, {y.data()});
  ASSERT_TRUE(error.ok()) << error.message();
  EXPECT_EQ(std::memcmp(x.data(), y.data(), x.size() * sizeof(float)), 0);
  EXPECT_EQ(counts.most.load(), 1);
}

TEST(ExecutorTest, ReturnedArgumentsAndRepeatsAreCopied) {
  // Outputs: 0 = k(x) written in place, 1 = the same value again, 2 = x.
  nnc_plugin_api api = testApi();
  ExecutionPlan plan;
  plan.values = {f32Value("x", 5, ValueKind::Input, 0),
                 f32Value("y", 5, ValueKind::Output, 0)};
  plan.kernels = {{"test.inc", "", {0, 1}, 1, {}}};
  plan.inputs = {{"x", BindingRole::Input, 0}};
  plan.outputs = {{"y", BindingRole::Output, 1},
                  {"y2", BindingRole::Output, 1},
                  {"x2", BindingRole::Output, 0}};
  AffineState inc{1.0f, 1.0f};
  Expected<Executor> executor = Executor::create(
      std::move(plan), {kernelInfo(affineKernel, &inc, 5)}, api);
  ASSERT_TRUE(executor.ok()) << executor.message();
  EXPECT_EQ(executor->arenaSize(), 0u);
  std::vector<float> x = {1, 2, 3, 4, 5}, y(5), y2(5), x2(5);
  Error error = executor->run({x.data()}, {y.data(), y2.data(), x2.data()});
  ASSERT_TRUE(error.ok()) << error.message();
  EXPECT_EQ(y, (std::vector<float>{2, 3, 4, 5, 6}));
  EXPECT_EQ(y2, y);
  EXPECT_EQ(x2, x);
}

/// out[i] = state[i] + delta[i], recording the state and output pointers it
/// was given.
struct UpdateState {
  const void *stateBuffer = nullptr;
  const void *outBuffer = nullptr;
};

nnc_status updateKernel(void *state, void *const *buffers, int64_t begin,
                        int64_t end, nnc_error **) {
  auto *update = static_cast<UpdateState *>(state);
  update->stateBuffer = buffers[0];
  update->outBuffer = buffers[2];
  const float *w = static_cast<const float *>(buffers[0]);
  const float *delta = static_cast<const float *>(buffers[1]);
  float *out = static_cast<float *>(buffers[2]);
  for (int64_t i = begin; i < end; ++i)
    out[i] = w[i] + delta[i];
  return NNC_OK;
}

/// A training step in miniature: delta = 2w, then w' = w + delta, with w'
/// computed in place of the parameter w.
ExecutionPlan stateUpdatePlan(int64_t n) {
  ExecutionPlan plan;
  plan.values = {f32Value("w", n, ValueKind::Input, 0),
                 f32Value("delta", n, ValueKind::Arena, -1),
                 f32Value("w", n, ValueKind::Output, 0)};
  plan.values[2].reuses = 0;
  plan.kernels = {{"test.double", "", {0, 1}, 1, {}},
                  {"test.update", "", {0, 1, 2}, 2, {0}}};
  plan.inputs = {{"w", BindingRole::Param, 0}};
  plan.outputs = {{"w", BindingRole::ParamUpdate, 2}};
  plan.arenaSize = aligned(static_cast<uint64_t>(n) * 4);
  return plan;
}

TEST(ExecutorTest, StateUpdatesInPlaceOrIntoABufferOfTheirOwn) {
  nnc_plugin_api api = testApi();
  AffineState twice{2.0f, 0.0f};
  UpdateState update;
  Expected<Executor> executor =
      Executor::create(stateUpdatePlan(kElements),
                       {kernelInfo(affineKernel, &twice, kElements),
                        kernelInfo(updateKernel, &update, kElements)},
                       api);
  ASSERT_TRUE(executor.ok()) << executor.message();
  std::vector<float> original = iota(kElements), tripled(original);
  for (float &value : tripled)
    value *= 3.0f;

  // Given the state's own buffer, the step updates it where it lies.
  std::vector<float> w = original;
  Error error = executor->run({w.data()}, {w.data()});
  ASSERT_TRUE(error.ok()) << error.message();
  EXPECT_EQ(w, tripled);
  EXPECT_EQ(update.stateBuffer, w.data());
  EXPECT_EQ(update.outBuffer, w.data());

  // Given another buffer, the state is copied there first and read from
  // there by the kernel that updates it; the caller's state is untouched.
  std::vector<float> x = original, y(original.size(), -1.0f);
  error = executor->run({x.data()}, {y.data()});
  ASSERT_TRUE(error.ok()) << error.message();
  EXPECT_EQ(y, tripled);
  EXPECT_EQ(x, original);
  EXPECT_EQ(update.stateBuffer, y.data());
  EXPECT_EQ(update.outBuffer, y.data());
}

TEST(ExecutorTest, StateUpdatesMustMatchAStateTheirWriterReads) {
  nnc_plugin_api api = testApi();
  AffineState twice{2.0f, 0.0f};
  UpdateState update;
  auto kernels = [&] {
    return std::vector<nnc_kernel_info>{kernelInfo(affineKernel, &twice, 8),
                                        kernelInfo(updateKernel, &update, 8)};
  };
  ExecutionPlan ofArena = stateUpdatePlan(8);
  ofArena.values[2].reuses = 1; // an output cannot take an arena value's
  ExecutionPlan ofOtherSize = stateUpdatePlan(8);
  ofOtherSize.values[0] = f32Value("w", 9, ValueKind::Input, 0);
  ExecutionPlan notRead = stateUpdatePlan(8);
  notRead.values.push_back(f32Value("v", 8, ValueKind::Input, 1));
  notRead.inputs.push_back({"v", BindingRole::OptState, 3});
  notRead.values[2].reuses = 3;
  for (ExecutionPlan *plan : {&ofArena, &ofOtherSize, &notRead}) {
    Expected<Executor> executor =
        Executor::create(std::move(*plan), kernels(), api);
    ASSERT_FALSE(executor.ok());
    EXPECT_NE(executor.message().find("computed in place of"),
              std::string::npos)
        << executor.message();
  }
}

TEST(ExecutorTest, TypedRunChecksTensors) {
  nnc_plugin_api api = testApi();
  Diamond diamond;
  Expected<Executor> executor =
      Executor::create(diamondPlan(8), diamond.kernels(8), api);
  ASSERT_TRUE(executor.ok()) << executor.message();
  Tensor x = Tensor::fromVector<float>({8}, std::vector<float>(8, 1.0f));
  Expected<Tensor> y = Tensor::create(DType::F32, {8});
  Expected<Tensor> wrong = Tensor::create(DType::F32, {4});
  ASSERT_TRUE(y.ok() && wrong.ok());

  Error error = executor->run({wrong->view()}, {y->view()});
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.message(), "input 'x': expected f32[8], got f32[4]");

  error = executor->run({x.view()}, {y->view()});
  ASSERT_TRUE(error.ok()) << error.message();
  EXPECT_EQ(y->at<float>(7), 3.0f);

  error = executor->run({x.view()}, {});
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.message(), "the graph takes 1 input and 1 output, but the "
                             "run binds 1 and 0");
}

TEST(ExecutorTest, CreateRejectsMismatchedKernels) {
  nnc_plugin_api api = testApi();
  Diamond diamond;
  std::vector<nnc_kernel_info> kernels = diamond.kernels(8);
  kernels.pop_back();
  Expected<Executor> executor = Executor::create(diamondPlan(8), kernels, api);
  ASSERT_FALSE(executor.ok());
  EXPECT_EQ(executor.message(),
            "the plan has 4 kernels but the backend gave 3");

  // A range of 0 would run nothing and leave the results unwritten.
  kernels = diamond.kernels(8);
  kernels[1].range = 0;
  executor = Executor::create(diamondPlan(8), kernels, api);
  ASSERT_FALSE(executor.ok());
  EXPECT_EQ(executor.message(), "test.double (kernel 1): range 0 is below 1");

  kernels = diamond.kernels(8);
  kernels[2].fn = nullptr;
  executor = Executor::create(diamondPlan(8), kernels, api);
  ASSERT_FALSE(executor.ok());
  EXPECT_EQ(executor.message(),
            "test.sub3 (kernel 2): the backend gave no kernel function");

  ExecutionPlan bad = diamondPlan(8);
  bad.kernels[3].dependencies = {1};
  executor = Executor::create(std::move(bad), diamond.kernels(8), api);
  ASSERT_FALSE(executor.ok());
  EXPECT_NE(executor.message().find("invalid execution plan: kernel 3"),
            std::string::npos)
      << executor.message();
}

} // namespace
