//===- GenerateCommand.cpp - nnc generate ---------------------------------===//
//
// Streams the bytes driver::TextGenerator samples (driver/TextGenerator.h)
// to stdout as they come, and the speed to stderr.
//
//===----------------------------------------------------------------------===//

#include "driver/ArtifactBuilder.h"
#include "driver/OpenModel.h"
#include "driver/TextGenerator.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/LibraryNames.h"

#include "runtime/FileIO.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>

namespace nnc::cli {

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
      openModel(options.session, options.modelPath);
  if (!session)
    return UserError;
  ParameterStore params;
  if (!initializeParameters(params, session->program(), options.paramsDir,
                            /*seed=*/0))
    return UserError;
  // Untrained weights sample noise; nothing else would show it.
  bool untrained =
      options.paramsDir.empty()
          ? driver::hasInitializedParameters(session->program())
          : params.notFoundInDir().size() == params.values().size();
  if (untrained)
    llvm::errs() << "warning: no trained parameters ("
                 << (options.paramsDir.empty()
                         ? std::string("no --params given")
                         : "none in '" + options.paramsDir + "'")
                 << "): the weights are their initializers' values, so the "
                    "text is noise\n";
  rt::Expected<std::unique_ptr<driver::TextGenerator>> generator =
      driver::TextGenerator::create(*session, std::move(params));
  if (!generator.ok())
    return reportError(generator.takeError());
  int64_t context = (*generator)->context();

  std::string text = options.prompt;
  if (static_cast<int64_t>(text.size()) > context) {
    llvm::errs() << "note: the prompt is " << text.size()
                 << " bytes, longer than the context of " << context
                 << ": generating from its last " << context << "\n";
    text.erase(0, text.size() - context);
  }
  // A stdout that fails (a full disk, a closed pipe) ends the run with one
  // line, not LLVM's report when the stream is destroyed with its error.
  auto writeFailed = [] {
    if (!llvm::outs().has_error())
      return false;
    std::string reason = rt::errnoMessage(llvm::outs().error().value());
    llvm::outs().clear_error();
    reportUserError("cannot write the text to stdout: " + reason);
    return true;
  };
  llvm::outs() << text;
  llvm::outs().flush();
  if (writeFailed())
    return UserError;

  rt::TokenSampler sampler({options.temperature, options.topK, options.seed});
  auto start = std::chrono::steady_clock::now();
  for (int64_t step = 0; step < options.tokens; ++step) {
    rt::Expected<char> next = (*generator)->next(text, sampler);
    if (!next.ok())
      return reportError(next.takeError());
    text.push_back(*next);
    llvm::outs() << *next;
    llvm::outs().flush();
    if (writeFailed())
      return UserError;
  }
  llvm::outs() << "\n";
  llvm::outs().flush();
  if (writeFailed())
    return UserError;
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  llvm::errs() << llvm::format("generated %lld bytes in %.2f s (%.1f bytes/s)\n",
                               static_cast<long long>(options.tokens), seconds,
                               seconds > 0 ? options.tokens / seconds : 0.0);
  return Success;
}

} // namespace nnc::cli
