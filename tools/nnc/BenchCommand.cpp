//===- BenchCommand.cpp - nnc bench ---------------------------------------===//
//
// Times a model's forward function, or its whole training step, on a backend:
// the compile, then `warmup` untimed runs and `repeat` timed ones on
// generated inputs. It reports the median, min and max step time and the
// samples per second at the median, as text or as one JSON line. With
// --max-seconds, the warm-up and the timed runs each stop once they took that
// long (after at least one run), so that a slow backend finishes too.
//
// Generated inputs: floats uniform in [0, 1); integer labels of a softmax
// cross-entropy uniform in 0..classes-1 (the last extent of the logits);
// other integer inputs zero. Training steps swap their updated parameters
// and optimizer state back in, as `nnc train` does, so every timed run is a
// real step of a training run.
//
//===----------------------------------------------------------------------===//

#include "driver/ModelSession.h"
#include "driver/OpenModel.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/LibraryNames.h"
#include "train/ProfileReport.h"

#include "frontend/Sema.h"
#include "runtime/FlatJson.h"
#include "runtime/Initializer.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <oneapi/tbb/info.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <sys/resource.h>
#include <utility>

namespace nnc::cli {
namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool fail(const std::string &message) {
  llvm::errs() << "error: " << message << "\n";
  return false;
}

/// Classes of the softmax cross-entropy's labels (the logits' last extent),
/// 0 when the model's loss does not tell.
int64_t labelClasses(const ModelSession &session, CompiledGraph &graph,
                     const std::string &input) {
  const std::optional<AccuracySpec> &spec = session.accuracy();
  if (!spec || spec->kind != AccuracySpec::Kind::Argmax ||
      spec->labelInput != input)
    return 0;
  CompiledGraph::Result *logits =
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
bool generateArguments(const ModelSession &session, CompiledGraph &graph,
                       double lr, ArgumentValues &values) {
  for (const CompiledGraph::Argument &arg : graph.arguments()) {
    if (arg.role == rt::BindingRole::Param ||
        arg.role == rt::BindingRole::Buffer)
      continue;
    rt::Expected<rt::Tensor> tensor = rt::Tensor::create(arg.dtype, arg.shape);
    if (!tensor.ok())
      return fail(arg.name + ": " + tensor.message());
    if (arg.role == rt::BindingRole::Input) {
      if (arg.dtype == rt::DType::F32 || arg.dtype == rt::DType::F64) {
        rt::InitializerSpec spec{"uniform",
                                 {{"low", 0.0}, {"high", 1.0}},
                                 frontend::fnv1a64(arg.name)};
        if (rt::Error error = rt::initialize(tensor->view(), spec); !error.ok())
          return fail(error.message());
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
  return true;
}

/// Swaps the updated parameters, buffers and optimizer state a training
/// step returned into the values it reads next time, as `nnc train` does.
void swapInUpdates(CompiledGraph &graph, ParameterStore &params,
                   ArgumentValues &values) {
  for (CompiledGraph::Result &result : graph.results()) {
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

ExitCode runBench(const BenchOptions &options) {
  if ((options.batch && *options.batch < 1) || options.warmup < 0 ||
      options.repeat < 1 || options.maxSeconds < 0) {
    llvm::errs() << "error: --batch and --repeat must be positive, --warmup "
                    "and --max-seconds not negative\n";
    return UsageError;
  }
  Clock::time_point loadStart = Clock::now();
  std::unique_ptr<ModelSession> session =
      openModel(options.session, options.modelPath);
  if (!session)
    return UserError;
  double loadSeconds = secondsSince(loadStart);
  const frontend::Program &program = session->program();
  if (options.train && !program.hasLoss) {
    llvm::errs() << "error: the model has no loss to train (drop --train to "
                    "time its forward function)\n";
    return UserError;
  }

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
  Clock::time_point compileStart = Clock::now();
  std::unique_ptr<CompiledGraph> graph = compileGraph(*session, request);
  if (!graph)
    return UserError;
  double compileSeconds = secondsSince(compileStart);
  if (program.batchSymbol.empty())
    batch = 1;

  ParameterStore params;
  if (!driver::initializeParameters(params, program, "", 0))
    return UserError;
  ArgumentValues values;
  if (!generateArguments(*session, *graph, lr, values))
    return UserError;
  rt::Tensor *step = nullptr;
  for (auto &[key, tensor] : values)
    if (key.first == rt::BindingRole::Step &&
        tensor.dtype() == rt::DType::I64 && tensor.numElements() == 1)
      step = &tensor;
  CompiledGraph::Lookup lookup =
      [&](rt::BindingRole role, const std::string &name) -> const rt::Tensor * {
    if (role == rt::BindingRole::Param || role == rt::BindingRole::Buffer)
      return params.find(name);
    auto it = values.find({role, name});
    return it == values.end() ? nullptr : &it->second;
  };

  int64_t stepCount = 0;
  auto runOnce = [&]() {
    if (step)
      step->data<int64_t>()[0] = ++stepCount;
    if (rt::Error error = graph->run(lookup); !error.ok())
      return fail(error.message());
    if (options.train)
      swapInUpdates(*graph, params, values);
    return true;
  };
  Clock::time_point warmupStart = Clock::now();
  for (int64_t i = 0; i < options.warmup; ++i) {
    if (!runOnce())
      return UserError;
    if (options.maxSeconds > 0 &&
        secondsSince(warmupStart) >= options.maxSeconds)
      break;
  }
  // The timed runs alone are profiled; the warm-up is not.
  std::optional<rt::KernelProfiler> profiler;
  if (options.profile.any()) {
    profiler.emplace();
    graph->setProfiler(&*profiler);
  }
  std::vector<double> seconds;
  Clock::time_point timedStart = Clock::now();
  for (int64_t i = 0; i < options.repeat; ++i) {
    Clock::time_point start = Clock::now();
    if (!runOnce())
      return UserError;
    seconds.push_back(secondsSince(start));
    if (options.maxSeconds > 0 &&
        secondsSince(timedStart) >= options.maxSeconds)
      break;
  }
  graph->setProfiler(nullptr);
  std::sort(seconds.begin(), seconds.end());
  double medianMs = median(seconds) * 1e3;
  double samplesPerSecond = batch / (medianMs / 1e3);

  std::optional<double> loss;
  if (CompiledGraph::Result *result =
          graph->findResult(rt::BindingRole::Loss, "loss"))
    loss = scalarValue(result->tensor);
  unsigned threads = session->threads();
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  double peakRssMiB = usage.ru_maxrss / 1024.0;

  llvm::raw_ostream &os = llvm::outs();
  if (options.json) {
    os << "{\"model\": " << rt::jsonQuoted(program.modelName)
       << ", \"file\": " << rt::jsonQuoted(options.modelPath)
       << ", \"backend\": " << rt::jsonQuoted(session->backendName())
       << ", \"threads\": " << threads << ", \"batch\": " << batch
       << ", \"train\": " << (options.train ? "true" : "false")
       << llvm::format(", \"load_s\": %.4f, \"compile_s\": %.4f", loadSeconds,
                       compileSeconds)
       << ", \"warmup\": " << options.warmup << ", \"runs\": "
       << seconds.size()
       // Microsecond steps need nanosecond digits for samples_per_s to be
       // checkable against them.
       << llvm::format(", \"step_ms_median\": %.6f, \"step_ms_min\": %.6f, "
                       "\"step_ms_max\": %.6f, \"samples_per_s\": %.1f",
                       medianMs, seconds.front() * 1e3, seconds.back() * 1e3,
                       samplesPerSecond)
       << ", \"arena_bytes\": " << graph->arenaBytes()
       << llvm::format(", \"peak_rss_mib\": %.1f", peakRssMiB)
       << ", \"loss\": ";
    if (loss && std::isfinite(*loss))
      os << llvm::format("%.6g", *loss);
    else
      os << "null";
    os << "}\n";
    // stdout stays one JSON line; the profile goes to stderr.
    return profiler
               ? reportProfile(options.profile, *profiler, graph->plan(),
                               graph->executable(), threads, "the timed runs",
                               program.modelName, llvm::errs())
               : Success;
  }
  os << program.modelName << ": "
     << (options.train ? "training step" : "forward") << ", batch " << batch
     << ", backend " << session->backendName() << ", " << threads
     << (threads == 1 ? " thread\n" : " threads\n");
  os << llvm::format("  compile  %.3f s (load %.3f s)\n", compileSeconds,
                     loadSeconds);
  os << llvm::format("  step     %.3f ms median, min %.3f, max %.3f (%zu runs "
                     "after %lld warm-up)\n",
                     medianMs, seconds.front() * 1e3, seconds.back() * 1e3,
                     seconds.size(), static_cast<long long>(options.warmup));
  os << llvm::format("  speed    %.1f samples/s\n", samplesPerSecond);
  if (loss)
    os << llvm::format("  loss     %.6g (after %lld steps)\n", *loss,
                       static_cast<long long>(stepCount));
  return profiler ? reportProfile(options.profile, *profiler, graph->plan(),
                                  graph->executable(), threads,
                                  "the timed runs", program.modelName, os)
                  : Success;
}

} // namespace nnc::cli
