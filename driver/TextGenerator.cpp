//===- TextGenerator.cpp - Sampling text from a byte-level model ----------===//

#include "driver/TextGenerator.h"

#include "frontend/Sema.h"

#include <algorithm>
#include <cmath>

namespace nnc::driver {
namespace {

constexpr int64_t kBytes = 256;

/// The input generation feeds: the model's first integer input of shape
/// [batch, T] that the outputs read (not only the loss).
const frontend::Argument *
findIdsInput(const frontend::Program &program,
             const std::vector<std::string> &lossOnly) {
  for (const frontend::Argument &arg : program.arguments) {
    if (arg.role != frontend::Argument::Role::Input ||
        std::find(lossOnly.begin(), lossOnly.end(), arg.name) != lossOnly.end())
      continue;
    const frontend::TensorType &type = arg.type;
    bool integer = type.dtype == frontend::DType::I32 ||
                   type.dtype == frontend::DType::I64;
    if (integer && type.shape.size() == 2 && type.shape[0] == shape::kDynamic &&
        type.shape[1] != shape::kDynamic)
      return &arg;
  }
  return nullptr;
}

/// The output generation samples from: the one the loss scores (a
/// cross-entropy's logits), else one named `logits`, else the only one;
/// null when none is.
const frontend::Output *
findLogitsOutput(const frontend::Program &program,
                 const std::optional<train::AccuracySpec> &accuracy) {
  for (const char *name :
       {accuracy ? accuracy->outputName.c_str() : "", "logits"})
    for (const frontend::Output &output : program.outputs)
      if (output.name == name)
        return &output;
  return program.outputs.size() == 1 ? &program.outputs.front() : nullptr;
}

/// Why the model is not a byte-level language model; empty when it is.
std::string notALanguageModel(const frontend::Program &program,
                              const frontend::Argument *ids,
                              const frontend::Output *logits,
                              const std::vector<std::string> &lossOnly) {
  if (program.outputs.empty())
    return program.fileName + ": generate needs an output of logits";
  if (!logits)
    return program.fileName +
           ": generate samples from the output the loss scores, or one "
           "named 'logits'; the model has several outputs and neither";
  if (!ids)
    return program.fileName +
           ": generate needs an input of byte ids [B, T] (i32 or i64)";
  // Generation feeds the ids alone: a model reading another input (a mask
  // given once) has nothing to run on.
  for (const frontend::Argument &arg : program.arguments)
    if (arg.role == frontend::Argument::Role::Input && &arg != ids &&
        std::find(lossOnly.begin(), lossOnly.end(), arg.name) == lossOnly.end())
      return program.fileName + ": generate feeds the byte ids '" + ids->name +
             "' alone, and the model reads input '" + arg.name +
             "' too (build a mask in the model, e.g. causal=true)";
  const frontend::Output &output = *logits;
  const frontend::TensorType &type = program.typeOf(output.value);
  int64_t context = ids->type.shape[1];
  if (type.shape.size() != 3 || type.shape[1] != context ||
      type.shape[2] != kBytes || type.dtype != frontend::DType::F32)
    return program.fileName + ": output '" + output.name +
           "' must be f32 logits [B, " + std::to_string(context) +
           ", 256] over the byte values, got " +
           rt::dtypeName(train::toRuntimeDType(type.dtype)) +
           shape::toString(type.shape);
  return "";
}

} // namespace

rt::Expected<std::unique_ptr<TextGenerator>>
TextGenerator::create(ModelSession &session, train::ParameterStore params) {
  const frontend::Program &program = session.program();
  const std::vector<std::string> &lossOnly = session.lossOnlyInputs();
  const frontend::Argument *idsInput = findIdsInput(program, lossOnly);
  const frontend::Output *logitsOutput =
      findLogitsOutput(program, session.accuracy());
  if (std::string why =
          notALanguageModel(program, idsInput, logitsOutput, lossOnly);
      !why.empty())
    return rt::Error::failure(why);

  std::unique_ptr<TextGenerator> generator(new TextGenerator());
  generator->contextBytes = idsInput->type.shape[1];
  generator->params = std::move(params);
  GraphRequest request;
  request.batch = 1;
  request.withoutLoss = !lossOnly.empty();
  rt::Expected<std::unique_ptr<train::CompiledGraph>> graph =
      session.compile(request);
  if (!graph.ok())
    return graph.takeError();
  generator->graph = std::move(*graph);
  generator->logits =
      generator->graph->findResult(rt::BindingRole::Output, logitsOutput->name);
  if (!generator->logits)
    return rt::Error::failure("the compiled model has no output '" +
                              logitsOutput->name + "'");
  rt::Expected<rt::Tensor> window =
      rt::Tensor::create(train::toRuntimeDType(idsInput->type.dtype),
                         {1, generator->contextBytes});
  if (!window.ok())
    return window.takeError();
  generator->ids = &generator->feeds.emplace(idsInput->name, std::move(*window))
                        .first->second;
  return generator;
}

rt::Expected<char> TextGenerator::next(const std::string &text,
                                       rt::TokenSampler &sampler) {
  if (text.empty())
    return rt::Error::failure("there is no text to continue");
  int64_t filled =
      std::min<int64_t>(contextBytes, static_cast<int64_t>(text.size()));
  const char *last = text.data() + text.size() - filled;
  for (int64_t t = 0; t < contextBytes; ++t) {
    int64_t byte = t < filled ? static_cast<unsigned char>(last[t]) : 0;
    if (ids->dtype() == rt::DType::I32)
      ids->data<int32_t>()[t] = static_cast<int32_t>(byte);
    else
      ids->data<int64_t>()[t] = byte;
  }
  if (rt::Error error = graph->run(feedsAndParams(feeds, params)); !error.ok())
    return error;
  const float *row = logits->tensor.data<float>() + (filled - 1) * kBytes;
  rt::Expected<int64_t> token = sampler.next(row, kBytes);
  if (!token.ok())
    return token.takeError();
  return static_cast<char>(*token);
}

rt::Error TextGenerator::checkRequest(const std::string &prompt, int64_t tokens,
                                      const rt::SamplingOptions &sampling) {
  if (prompt.empty())
    return rt::Error::failure(
        "the prompt is empty: give --prompt some text to continue");
  if (tokens < 0 || sampling.topK < 0 || !(sampling.temperature >= 0) ||
      std::isinf(sampling.temperature))
    return rt::Error::failure("--tokens and --top-k must be at least 0, "
                              "--temperature a finite number at least 0");
  return rt::Error::success();
}

rt::Error TextGenerator::generate(
    const std::string &prompt, int64_t tokens,
    const rt::SamplingOptions &sampling,
    const std::function<rt::Error(std::string_view)> &emit) {
  if (rt::Error error = checkRequest(prompt, tokens, sampling); !error.ok())
    return error;
  rt::TokenSampler sampler(sampling);
  std::string text = prompt;
  if (static_cast<int64_t>(text.size()) > contextBytes)
    text.erase(0, text.size() - contextBytes);
  if (rt::Error error = emit(text); !error.ok())
    return error;
  for (int64_t step = 0; step < tokens; ++step) {
    rt::Expected<char> byte = next(text, sampler);
    if (!byte.ok())
      return byte.takeError();
    text.push_back(*byte);
    if (rt::Error error = emit(std::string_view(&text.back(), 1)); !error.ok())
      return error;
  }
  return rt::Error::success();
}

} // namespace nnc::driver
