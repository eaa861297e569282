//===- nnc-run.cpp - Run a compiled artifact without the compiler ---------===//
//
// `nnc-run FILE.nnx --input NAME=FILE.npy... --output-dir DIR [--threads N]
// [--plugin FILE]...`: what `nnc run FILE.nnx` does, in a binary that links
// the runtime alone (no MLIR, no LLVM, so no llvm::cl: the few flags are
// parsed by hand, strictly). It loads the backend from the deployment's
// runtime-only plugin folder (../lib/nnc/runtime-plugins next to itself),
// NNC_PLUGIN_PATH, and --plugin files, and picks the graph as `nnc run`
// does (runtime/ArtifactLoader.h), so the outputs are byte for byte the same.
//
// Exit codes are nnc's (train/ExitCode.h): 2 for a usage error, 1 for
// a user error with one `error:` line.
//
//===----------------------------------------------------------------------===//

#include "runtime/ThreadLimit.h"
#include "support/ShortText.h"
#include "train/ExitCode.h"

#include "runtime/Artifact.h"
#include "runtime/ArtifactLoader.h"
#include "runtime/Npy.h"
#include "runtime/PluginHost.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <sys/stat.h>

using nnc::train::ExitCode;
using nnc::train::Success;
using nnc::train::UsageError;
using nnc::train::UserError;
namespace rt = nnc::rt;

namespace {

const char *const kUsage =
    "usage: nnc-run FILE.nnx --input NAME=FILE.npy... --output-dir DIR\n"
    "               [--threads N] [--plugin FILE]...\n"
    "\n"
    "Runs a compiled artifact (nnc compile MODEL.nn -o FILE.nnx) on .npy\n"
    "inputs and writes one OUTPUT.npy per output to DIR.\n"
    "\n"
    "  --input NAME=FILE.npy  an input of the model (repeat per input)\n"
    "  --output-dir DIR       where the outputs go (created if missing)\n"
    "  --threads N            most threads to use (0: every core)\n"
    "  --plugin FILE          load this backend plugin (a .so) as well\n"
    "  --help                 print this and exit\n";

/// The parsed command line.
struct Options {
  std::string artifactPath;
  std::vector<std::pair<std::string, std::string>> inputs; ///< name, file
  std::string outputDir;
  unsigned threads = 0;
  std::vector<std::string> plugins;
};

ExitCode usageError(const std::string &message) {
  std::fprintf(stderr, "error: %s (see 'nnc-run --help')\n", message.c_str());
  return UsageError;
}

ExitCode fail(const std::string &message) {
  std::fprintf(stderr, "error: %s\n",
               nnc::shortened(nnc::oneLine(message)).c_str());
  return UserError;
}

/// Fills `options` from argv; returns a usage error's exit code, or
/// std::nullopt to go on. `--flag VALUE` and `--flag=VALUE` both work.
std::optional<ExitCode> parseArguments(int argc, char **argv,
                                       Options &options) {
  bool sawPositional = false, threadsGiven = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return Success;
    }
    if (arg.size() < 2 || arg.compare(0, 2, "--") != 0 || arg == "--") {
      if (!arg.empty() && arg[0] == '-' && arg != "-")
        return usageError("unknown option '" + arg + "'");
      if (sawPositional)
        return usageError("more than one artifact given ('" +
                          options.artifactPath + "', '" + arg + "')");
      options.artifactPath = arg;
      sawPositional = true;
      continue;
    }
    std::string flag = arg, value;
    bool hasValue = false;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      hasValue = true;
    }
    if (flag != "--input" && flag != "--output-dir" && flag != "--threads" &&
        flag != "--plugin")
      return usageError("unknown option '" + flag + "'");
    if (!hasValue) {
      if (i + 1 >= argc)
        return usageError(flag + " needs a value");
      value = argv[++i];
    }
    if (flag == "--input") {
      size_t eq = value.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == value.size())
        return usageError("--input expects NAME=FILE, got '" + value + "'");
      std::string name = value.substr(0, eq);
      for (const auto &input : options.inputs)
        if (input.first == name)
          return usageError("--input " + name + " given twice");
      options.inputs.emplace_back(name, value.substr(eq + 1));
    } else if (flag == "--output-dir") {
      if (value.empty())
        return usageError("--output-dir needs a folder");
      if (!options.outputDir.empty())
        return usageError("--output-dir given twice; give it once");
      options.outputDir = value;
    } else if (flag == "--threads") {
      // The last would win, and the first be lost without a word.
      if (threadsGiven)
        return usageError("--threads given twice; give it once");
      threadsGiven = true;
      if (!nnc::rt::parseThreadsFlag(value, options.threads))
        return usageError("--threads " +
                          nnc::rt::threadsFlagRequirement(value));
    } else {
      options.plugins.push_back(value);
    }
  }
  if (!sawPositional)
    return usageError("no artifact given (FILE.nnx)");
  if (options.outputDir.empty())
    return usageError("--output-dir is required");
  return std::nullopt;
}

/// mkdir -p.
bool createDirectories(const std::string &dir, std::string &message) {
  std::string path;
  size_t start = 0;
  while (start <= dir.size()) {
    size_t slash = dir.find('/', start);
    path = dir.substr(0, slash == std::string::npos ? dir.size() : slash);
    start = slash == std::string::npos ? dir.size() + 1 : slash + 1;
    if (path.empty() || path == "." || path == "..")
      continue;
    if (mkdir(path.c_str(), 0777) != 0 && errno != EEXIST) {
      message = "cannot create '" + path + "': " + std::strerror(errno);
      return false;
    }
  }
  struct stat info;
  if (stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    message = "cannot create '" + dir + "': not a folder";
    return false;
  }
  return true;
}

ExitCode run(const Options &options) {
  std::map<std::string, rt::Tensor> feeds;
  std::vector<std::string> fed;
  for (const auto &[name, path] : options.inputs) {
    rt::Expected<rt::Tensor> tensor = rt::readNpy(path);
    if (!tensor.ok())
      return fail(tensor.message());
    feeds.emplace(name, std::move(*tensor));
    fed.push_back(name);
  }
  rt::Expected<rt::Artifact> artifact = rt::readArtifact(options.artifactPath);
  if (!artifact.ok())
    return fail(artifact.message());

  rt::Expected<rt::ArtifactBackend> backend = rt::openArtifactBackend(
      *artifact, rt::SessionOptions{options.threads, /*kernelCache=*/true},
      options.plugins);
  if (!backend.ok())
    return fail(options.artifactPath + ": " + backend.message());
  for (const std::string &warning : backend->session->plugins().warnings)
    std::fprintf(stderr, "warning: %s\n", warning.c_str());

  rt::Expected<const rt::ArtifactGraph *> graph =
      rt::selectRunGraph(*artifact, fed);
  if (!graph.ok())
    return fail(graph.message());
  // An output written over an input would destroy data the user gave, as
  // `nnc run` refuses too (train/OutputPaths.h).
  for (const rt::ExternalBinding &output : (*graph)->plan.outputs) {
    std::string path = options.outputDir + "/" + output.name + ".npy";
    std::vector<std::string> read = {options.artifactPath};
    for (const auto &[name, input] : options.inputs)
      read.push_back(input);
    for (const std::string &input : read) {
      std::error_code ec;
      if (std::filesystem::equivalent(path, input, ec))
        return fail("cannot write '" + path + "': it is the input '" + input +
                    "', which the command reads");
    }
  }
  rt::Expected<rt::Function> loaded =
      rt::loadArtifactGraph(**graph, *backend->plugin, backend->session);
  if (!loaded.ok())
    return fail(loaded.message());
  rt::Expected<std::vector<rt::Tensor>> results =
      rt::runArtifactGraph(*artifact, *loaded, feeds);
  if (!results.ok())
    return fail(results.message());

  std::string message;
  if (!createDirectories(options.outputDir, message))
    return fail(message);
  const std::vector<rt::ExternalBinding> &outputs = (*graph)->plan.outputs;
  for (size_t i = 0; i < results->size(); ++i) {
    std::string path = options.outputDir + "/" + outputs[i].name + ".npy";
    rt::ConstTensorView view = (*results)[i].view();
    if (rt::Error error = rt::writeNpy(path, view); !error.ok())
      return fail(error.message());
    std::printf("%s: %s -> %s\n", outputs[i].name.c_str(),
                rt::typeToString(view.dtype(), view.shape()).c_str(),
                path.c_str());
  }
  return Success;
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  if (std::optional<ExitCode> code = parseArguments(argc, argv, options))
    return *code;
  ExitCode code = run(options);
  // The lines that name the outputs are what a script reads: losing them
  // to a full disk is a failure, as nnc's own commands report it.
  errno = 0;
  bool flushFailed = std::fflush(stdout) != 0;
  // A write that failed earlier has left only the stream's error flag.
  if (flushFailed || std::ferror(stdout))
    return fail(flushFailed && errno
                    ? std::string("writing standard output: ") +
                          std::strerror(errno)
                    : std::string("writing standard output failed"));
  return code;
}
