//===- Benchmark.cpp - Timing a model's graph -----------------------------===//

#include "driver/Benchmark.h"

#include "driver/Trainer.h"

#include "train/OutputWriter.h"
#include "train/ParameterStore.h"

#include "frontend/Sema.h"
#include "runtime/Initializer.h"

#include <algorithm>
#include <chrono>
#include <map>

namespace nnc::driver {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Classes of the softmax cross-entropy's labels (the logits' last extent),
/// 0 when the model's loss does not tell.
int64_t labelClasses(const ModelSession &session, train::CompiledGraph &graph,
                     const std::string &input) {
  const std::optional<train::AccuracySpec> &spec = session.accuracy();
  if (!spec || spec->kind != train::AccuracySpec::Kind::Argmax ||
      spec->labelInput != input)
    return 0;
  train::CompiledGraph::Result *logits =
      graph.findResult(rt::BindingRole::Output, spec->outputName);
  if (!logits || logits->tensor.shape().empty())
    return 0;
  return logits->tensor.shape().back();
}

/// Fills an integer tensor with values uniform in 0..classes-1 (a fixed
/// sequence), or zeros when `classes` is 0.
template <typename T> void fillLabels(rt::Tensor &tensor, int64_t classes) {
  uint64_t state = 0x9e3779b97f4a7c15ull;
  for (int64_t i = 0; i < tensor.numElements(); ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    tensor.data<T>()[i] =
        classes > 0 ? static_cast<T>((state >> 33) % classes) : T(0);
  }
}

/// The generated arguments of a graph, by role and name.
using ArgumentValues =
    std::map<std::pair<rt::BindingRole, std::string>, rt::Tensor>;

/// Creates every input, optimizer state, step and learning rate the graph
/// reads; parameters and buffers come from `params`.
rt::Error generateArguments(const ModelSession &session,
                            train::CompiledGraph &graph, double lr,
                            ArgumentValues &values) {
  for (const train::CompiledGraph::Argument &arg : graph.arguments()) {
    if (arg.role == rt::BindingRole::Param ||
        arg.role == rt::BindingRole::Buffer)
      continue;
    rt::Expected<rt::Tensor> tensor = rt::Tensor::create(arg.dtype, arg.shape);
    if (!tensor.ok())
      return tensor.takeError().withContext(arg.name);
    if (arg.role == rt::BindingRole::Input) {
      if (arg.dtype == rt::DType::F32 || arg.dtype == rt::DType::F64) {
        rt::InitializerSpec spec{"uniform",
                                 {{"low", 0.0}, {"high", 1.0}},
                                 frontend::fnv1a64(arg.name)};
        if (rt::Error error = rt::initialize(tensor->view(), spec); !error.ok())
          return error;
      } else {
        int64_t classes = labelClasses(session, graph, arg.name);
        switch (arg.dtype) {
        case rt::DType::I32:
          fillLabels<int32_t>(*tensor, classes);
          break;
        case rt::DType::I64:
          fillLabels<int64_t>(*tensor, classes);
          break;
        case rt::DType::U8:
          fillLabels<uint8_t>(*tensor, std::min<int64_t>(classes, 256));
          break;
        default:
          break;
        }
      }
    } else if (arg.role == rt::BindingRole::Lr) {
      tensor->data<float>()[0] = static_cast<float>(lr);
    }
    // opt_state starts at zero; step is set before each run.
    values.insert_or_assign({arg.role, arg.name}, std::move(*tensor));
  }
  return rt::Error::success();
}

/// Swaps the updated parameters, buffers and optimizer state a training
/// step returned into the values it reads next time, as `nnc train` does.
void swapInUpdates(train::CompiledGraph &graph, train::ParameterStore &params,
                   ArgumentValues &values) {
  for (train::CompiledGraph::Result &result : graph.results()) {
    if (result.inPlace)
      continue;
    rt::Tensor *target = nullptr;
    if (result.role == rt::BindingRole::ParamUpdate ||
        result.role == rt::BindingRole::BufferUpdate) {
      target = params.find(result.name);
    } else if (result.role == rt::BindingRole::OptStateUpdate) {
      auto it = values.find({rt::BindingRole::OptState, result.name});
      target = it == values.end() ? nullptr : &it->second;
    }
    if (target)
      std::swap(*target, result.tensor);
  }
}

/// The median of sorted, non-empty values: the mean of the two middle ones
/// for an even count.
double median(const std::vector<double> &sorted) {
  size_t n = sorted.size();
  return n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

} // namespace

rt::Error checkBenchmarkOptions(const BenchmarkOptions &options) {
  // Written so that a NaN --max-seconds fails too.
  if ((options.batch && *options.batch < 1) || options.warmup < 0 ||
      options.repeat < 1 || !(options.maxSeconds >= 0))
    return rt::Error::failure("--batch and --repeat must be positive, "
                              "--warmup and --max-seconds not negative");
  return rt::Error::success();
}

rt::Expected<BenchmarkResult> runBenchmark(ModelSession &session,
                                           const BenchmarkOptions &options) {
  if (rt::Error error = checkBenchmarkOptions(options); !error.ok())
    return error;
  const frontend::Program &program = session.program();
  if (options.train && !program.hasLoss)
    return rt::Error::failure("the model has no loss to train (drop --train "
                              "to time its forward function)");
  const frontend::TrainingConfig &config = program.training;
  int64_t batch = 32;
  if (auto it = config.settings.find("batch"); it != config.settings.end())
    if (auto *value = std::get_if<int64_t>(&it->second))
      batch = *value;
  batch = options.batch.value_or(batch);
  auto lrIt = config.hyper.find("lr");
  double lr = lrIt == config.hyper.end() ? 0.01 : lrIt->second;

  GraphRequest request;
  request.kind = options.train ? GraphKind::TrainingStep : GraphKind::Forward;
  request.batch = program.batchSymbol.empty() ? 0 : batch;
  // Inference: the outputs alone, without the loss and its labels.
  request.withoutLoss = !options.train;
  BenchmarkResult result;
  Clock::time_point compileStart = Clock::now();
  rt::Expected<std::unique_ptr<train::CompiledGraph>> compiled =
      session.compile(request);
  if (!compiled.ok())
    return compiled.takeError();
  result.compileSeconds = secondsSince(compileStart);
  result.graph = std::move(*compiled);
  train::CompiledGraph &graph = *result.graph;
  result.batch = program.batchSymbol.empty() ? 1 : batch;

  train::ParameterStore params;
  if (rt::Error error =
          params.initialize(program, "", trainSectionSeed(program.training));
      !error.ok())
    return error;
  ArgumentValues values;
  if (rt::Error error = generateArguments(session, graph, lr, values);
      !error.ok())
    return error;
  rt::Tensor *step = nullptr;
  for (auto &[key, tensor] : values)
    if (key.first == rt::BindingRole::Step &&
        tensor.dtype() == rt::DType::I64 && tensor.numElements() == 1)
      step = &tensor;
  train::CompiledGraph::Lookup lookup =
      [&](rt::BindingRole role, const std::string &name) -> const rt::Tensor * {
    if (role == rt::BindingRole::Param || role == rt::BindingRole::Buffer)
      return params.find(name);
    auto it = values.find({role, name});
    return it == values.end() ? nullptr : &it->second;
  };

  // As `nnc train` runs its step: updates written over the state they
  // update, where the plan allows.
  train::CompiledGraph::StateLookup updateInPlace =
      [&](rt::BindingRole role, const std::string &name) -> rt::Tensor * {
    if (role == rt::BindingRole::Param || role == rt::BindingRole::Buffer)
      return params.find(name);
    auto it = values.find({role, name});
    return it == values.end() ? nullptr : &it->second;
  };
  auto runOnce = [&]() -> rt::Error {
    if (step)
      step->data<int64_t>()[0] = ++result.runs;
    else
      ++result.runs;
    if (rt::Error error =
            graph.run(lookup, options.train ? updateInPlace : nullptr);
        !error.ok())
      return error;
    if (options.train)
      swapInUpdates(graph, params, values);
    return rt::Error::success();
  };
  Clock::time_point warmupStart = Clock::now();
  for (int64_t i = 0; i < options.warmup; ++i) {
    if (rt::Error error = runOnce(); !error.ok())
      return error;
    if (options.maxSeconds > 0 &&
        secondsSince(warmupStart) >= options.maxSeconds)
      break;
  }
  graph.setProfiler(options.profiler);
  Clock::time_point timedStart = Clock::now();
  for (int64_t i = 0; i < options.repeat; ++i) {
    Clock::time_point start = Clock::now();
    if (rt::Error error = runOnce(); !error.ok()) {
      graph.setProfiler(nullptr);
      return error;
    }
    result.stepSeconds.push_back(secondsSince(start));
    if (options.maxSeconds > 0 &&
        secondsSince(timedStart) >= options.maxSeconds)
      break;
  }
  graph.setProfiler(nullptr);
  std::sort(result.stepSeconds.begin(), result.stepSeconds.end());
  result.medianSeconds = median(result.stepSeconds);
  result.samplesPerSecond = result.batch / result.medianSeconds;
  if (train::CompiledGraph::Result *loss =
          graph.findResult(rt::BindingRole::Loss, "loss"))
    result.loss = train::scalarValue(loss->tensor);
  return result;
}

} // namespace nnc::driver
