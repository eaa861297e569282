//===- GenerateCommand.cpp - nnc generate ---------------------------------===//
//
// Samples text from a trained byte-level language model (a model whose
// input is byte ids [B, T] and whose first output is logits [B, T, 256],
// as examples/tiny_gpt.nn). The model is compiled for batch 1 and run once
// per new byte on the last T bytes: the logits at the last filled position
// give the next byte. Positions after it hold zeros, which a causal model
// never reads. Once T bytes are there, the window slides.
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/Commands.h"
#include "tools/nnc/ModelSession.h"
#include "tools/nnc/TrainNames.h"

#include "runtime/TokenSampler.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace nnc::cli {

namespace {

constexpr int64_t kBytes = 256;

/// The input generation feeds: the model's first integer input of shape
/// [batch, T] that the outputs read (not only the loss).
const frontend::Argument *
findIdsInput(const frontend::Program &program,
             const std::vector<std::string> &lossOnly) {
  for (const frontend::Argument &arg : program.arguments) {
    if (arg.role != frontend::Argument::Role::Input ||
        std::find(lossOnly.begin(), lossOnly.end(), arg.name) !=
            lossOnly.end())
      continue;
    const frontend::TensorType &type = arg.type;
    bool integer = type.dtype == frontend::DType::I32 ||
                   type.dtype == frontend::DType::I64;
    if (integer && type.shape.size() == 2 &&
        type.shape[0] == shape::kDynamic && type.shape[1] != shape::kDynamic)
      return &arg;
  }
  return nullptr;
}

/// Why the model is not a byte-level language model; empty when it is.
std::string notALanguageModel(const frontend::Program &program,
                              const frontend::Argument *ids) {
  if (!ids)
    return program.fileName +
           ": generate needs an input of byte ids [B, T] (i32 or i64)";
  if (program.outputs.empty())
    return program.fileName + ": generate needs an output of logits";
  const frontend::Output &output = program.outputs.front();
  const frontend::TensorType &type = program.typeOf(output.value);
  int64_t context = ids->type.shape[1];
  if (type.shape.size() != 3 || type.shape[1] != context ||
      type.shape[2] != kBytes || type.dtype != frontend::DType::F32)
    return program.fileName + ": output '" + output.name +
           "' must be f32 logits [B, " + std::to_string(context) +
           ", 256] over the byte values, got " +
           rt::dtypeName(toRuntimeDType(type.dtype)) +
           shape::toString(type.shape);
  return "";
}

} // namespace

ExitCode runGenerate(const GenerateOptions &options) {
  if (options.prompt.empty()) {
    reportUserError("the prompt is empty: give --prompt some text to continue");
    return UsageError;
  }
  if (options.tokens < 0 || options.topK < 0 || options.temperature < 0 ||
      !std::isfinite(options.temperature)) {
    reportUserError("--tokens and --top-k must be at least 0, --temperature "
                    "a finite number at least 0");
    return UsageError;
  }
  std::unique_ptr<ModelSession> session =
      ModelSession::open(options.session, options.modelPath);
  if (!session)
    return UserError;
  const frontend::Program &program = session->program();
  std::vector<std::string> lossOnly = session->lossOnlyInputs();
  const frontend::Argument *ids = findIdsInput(program, lossOnly);
  if (std::string why = notALanguageModel(program, ids); !why.empty())
    return reportUserError(why);
  int64_t context = ids->type.shape[1];

  ParameterStore params;
  if (!params.initialize(program, options.paramsDir, /*seed=*/0))
    return UserError;
  GraphRequest request;
  request.batch = 1;
  request.withoutLoss = !lossOnly.empty();
  std::unique_ptr<CompiledGraph> graph = session->compile(request);
  if (!graph)
    return UserError;
  CompiledGraph::Result *logits =
      graph->findResult(rt::BindingRole::Output, program.outputs.front().name);
  if (!logits)
    return reportUserError("the compiled model has no output '" +
                           program.outputs.front().name + "'");

  std::string text = options.prompt;
  if (static_cast<int64_t>(text.size()) > context) {
    llvm::errs() << "note: the prompt is " << text.size()
                 << " bytes, longer than the context of " << context
                 << ": generating from its last " << context << "\n";
    text.erase(0, text.size() - context);
  }
  llvm::outs() << text;
  llvm::outs().flush();

  rt::Expected<rt::Tensor> window =
      rt::Tensor::create(toRuntimeDType(ids->type.dtype), {1, context});
  if (!window.ok())
    return reportUserError(window.message());
  std::map<std::string, rt::Tensor> feeds;
  feeds.emplace(ids->name, std::move(*window));
  rt::Tensor &idsTensor = feeds.at(ids->name);
  CompiledGraph::Lookup lookup = feedsAndParams(feeds, params);

  rt::TokenSampler sampler(
      {options.temperature, options.topK, options.seed});
  auto start = std::chrono::steady_clock::now();
  for (int64_t step = 0; step < options.tokens; ++step) {
    int64_t filled =
        std::min<int64_t>(context, static_cast<int64_t>(text.size()));
    const char *last = text.data() + text.size() - filled;
    for (int64_t t = 0; t < context; ++t) {
      int64_t byte = t < filled ? static_cast<unsigned char>(last[t]) : 0;
      if (idsTensor.dtype() == rt::DType::I32)
        idsTensor.data<int32_t>()[t] = static_cast<int32_t>(byte);
      else
        idsTensor.data<int64_t>()[t] = byte;
    }
    if (rt::Error error = graph->run(lookup); !error.ok())
      return reportUserError(error.message());
    const float *row = logits->tensor.data<float>() + (filled - 1) * kBytes;
    char next = static_cast<char>(sampler.next(row, kBytes));
    text.push_back(next);
    llvm::outs() << next;
    llvm::outs().flush();
  }
  llvm::outs() << "\n";
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  llvm::errs() << llvm::format("generated %lld bytes in %.2f s (%.1f bytes/s)\n",
                               static_cast<long long>(options.tokens), seconds,
                               seconds > 0 ? options.tokens / seconds : 0.0);
  return Success;
}

} // namespace nnc::cli
