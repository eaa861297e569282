//===- TextGenerator.h - Sampling text from a byte-level model --*- C++ -*-===//
//
// Samples text from a trained byte-level language model (a model whose
// input is byte ids [B, T] and whose first output is logits [B, T, 256],
// as examples/tiny_gpt.nn): `nnc generate`. The model is compiled for batch
// 1 and run once per new byte on the last T bytes: the logits at the last
// filled position give the next byte. Positions after it hold zeros, which
// a causal model never reads. Once T bytes are there, the window slides.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DRIVER_TEXTGENERATOR_H
#define NNC_DRIVER_TEXTGENERATOR_H

#include "driver/ModelSession.h"

#include "runtime/TokenSampler.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace nnc::driver {

class TextGenerator {
public:
  /// Compiles `session`'s model for generation, to run with `params`. A
  /// model that is not a byte-level language model is an error saying why.
  static rt::Expected<std::unique_ptr<TextGenerator>>
  create(ModelSession &session, train::ParameterStore params);

  /// The bytes the model sees: a longer text is read from its last ones.
  int64_t context() const { return contextBytes; }

  /// The byte that follows `text`, drawn by `sampler`.
  rt::Expected<char> next(const std::string &text, rt::TokenSampler &sampler);

  /// Fails when a generation cannot be asked for: an empty prompt, fewer
  /// than 0 tokens, a top-k below 0, a temperature that is negative or not
  /// finite. The message names the flags of `nnc generate`.
  static rt::Error checkRequest(const std::string &prompt, int64_t tokens,
                                const rt::SamplingOptions &sampling);

  /// Continues `prompt` (its last context() bytes, when longer) with
  /// `tokens` bytes drawn as `sampling` says, after checkRequest. `emit`
  /// gets the prompt as the model reads it, then each new byte as it comes;
  /// an error it returns (a failed write) ends the run with that error.
  rt::Error generate(const std::string &prompt, int64_t tokens,
                     const rt::SamplingOptions &sampling,
                     const std::function<rt::Error(std::string_view)> &emit);

private:
  TextGenerator() = default;

  int64_t contextBytes = 0;
  train::ParameterStore params;
  std::unique_ptr<train::CompiledGraph> graph;
  train::CompiledGraph::Result *logits = nullptr;
  std::map<std::string, rt::Tensor> feeds;
  rt::Tensor *ids = nullptr;
};

} // namespace nnc::driver

#endif // NNC_DRIVER_TEXTGENERATOR_H
