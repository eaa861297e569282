//===- ArtifactDescription.cpp - What an artifact holds, in words ---------===//

#include "train/ArtifactDescription.h"

#include "train/RunSettings.h"

#include "runtime/ArtifactLoader.h"
#include "runtime/ExecutionPlan.h"
#include "runtime/FileIO.h"
#include "runtime/FlatJson.h"
#include "runtime/PluginExecutable.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <variant>

namespace nnc::train {
namespace {

/// True for a name the plugin gave that is safe as one path component: the
/// bytes come from a file, so "../x" must not escape the dump folder.
bool isPlainFileName(llvm::StringRef name) {
  return !name.empty() && name.front() != '.' && llvm::all_of(name, [](char c) {
    return llvm::isAlnum(c) || c == '.' || c == '_' || c == '-' || c == '@';
  });
}

} // namespace

rt::Expected<std::vector<DumpedCode>>
dumpMachineCode(const rt::Artifact &artifact, const std::string &dir) {
  if (!artifact.machineCode)
    return rt::Error::failure("the artifact's backend '" +
                              artifact.backendName +
                              "' carries no machine code to dump");
  rt::Expected<rt::PluginSet> plugins = rt::findBackendPlugin(
      artifact.backendName, {}, rt::defaultPluginDirs(), {});
  if (!plugins.ok())
    return plugins.takeError();
  rt::Expected<const rt::LoadedPlugin *> plugin =
      rt::findArtifactBackend(artifact, *plugins);
  if (!plugin.ok())
    return plugin.takeError();
  std::vector<DumpedCode> written;
  for (const rt::ArtifactGraph &graph : artifact.graphs) {
    rt::Expected<std::vector<rt::CodeObject>> objects =
        rt::readCodeObjects(**plugin, graph.executable);
    if (!objects.ok())
      return rt::Error::failure("graph " + graph.name + ": " +
                                objects.message());
    for (const rt::CodeObject &object : *objects) {
      if (!isPlainFileName(graph.name) || !isPlainFileName(object.cpu) ||
          !isPlainFileName(object.name))
        return rt::Error::failure("graph " + graph.name +
                                  ": a code object has an unsafe "
                                  "name '" +
                                  object.cpu + "/" + object.name + "'");
      llvm::SmallString<256> folder(dir);
      llvm::sys::path::append(folder, graph.name, object.cpu);
      if (rt::Error error = rt::makeFolders(std::string(folder)); !error.ok())
        return error;
      llvm::SmallString<256> path(folder);
      llvm::sys::path::append(path, object.name);
      if (rt::Error error =
              rt::writeFileAtomically(std::string(path), object.bytes);
          !error.ok())
        return error;
      written.push_back({std::string(path), object.bytes.size()});
    }
  }
  if (written.empty())
    return rt::Error::failure("the backend '" + artifact.backendName +
                              "' cannot report the machine code it wrote");
  return written;
}

std::string describeArtifact(const rt::Artifact &a, const std::string &path,
                             bool withPlans) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "artifact: " << path << "\n";
  os << "format version: " << a.formatVersion << "\n";
  os << "nnc version: " << a.nncVersion << "\n";
  os << "model: " << a.modelName << "\n";
  os << "backend: " << a.backendName << " " << a.backendVersion
     << " (plugin ABI " << a.abiMajor << "." << a.abiMinor << ")\n";
  os << "target: " << a.targetTriple
     << (a.machineCode ? " (machine code)" : " (portable)") << "\n";
  // What the host must have to run any of the code; each target's own
  // needs follow on the "code for" lines.
  os << "cpu features: "
     << (a.cpuFeatures.empty() ? std::string("none")
                               : llvm::join(a.cpuFeatures, ","));
  if (a.codeTargets.size() > 1)
    os << " (common to all " << a.codeTargets.size() << " targets)";
  os << "\n";
  for (const rt::Artifact::CodeTarget &code : a.codeTargets)
    os << "code for: " << code.cpu << " ("
       << (code.features.empty() ? std::string("no extra features")
                                 : llvm::join(code.features, ","))
       << ")\n";
  os << "graph hash: " << a.graphHash << "\n";
  os << "batch size: " << a.batchSize << "\n";
  os << "flags:";
  for (const auto &[key, value] : a.compileFlags)
    os << " " << key << "=" << value;
  os << "\n";
  if (a.training)
    os << "training: step " << a.training->step << ", epoch "
       << a.training->epoch << ", seed " << a.training->seed << ", lr "
       << a.training->learningRate << "\n";
  if (a.training && !a.training->runSettings.empty()) {
    // As `--resume FILE.nnx` reads them: the run's settings, "run." left
    // out of their keys.
    os << "run settings:";
    rt::Expected<rt::JsonObject> settings =
        rt::JsonObject::parse(a.training->runSettings, "run settings");
    if (!settings.ok())
      os << " unreadable (" << settings.message() << ")";
    else
      for (const auto &[key, value] : settings->values()) {
        llvm::StringRef name(key);
        name.consume_front("run.");
        os << " " << name << "=";
        if (const double *number = std::get_if<double>(&value))
          os << exactNumber(*number);
        else
          std::visit([&](const auto &v) { os << v; }, value);
      }
    os << "\n";
  }
  if (a.accuracy && a.accuracy->outputName.empty())
    os << "accuracy: none (the loss's logits are no output); loss weighed by "
          "the scored positions of "
       << a.accuracy->labelInput << "\n";
  else if (a.accuracy)
    os << "accuracy: " << (a.accuracy->threshold ? "threshold" : "argmax")
       << " of " << a.accuracy->outputName << " against "
       << a.accuracy->labelInput << "\n";
  for (const rt::ArtifactPort &port : a.inputs)
    os << "input " << port.name << ": "
       << rt::typeToString(port.dtype, port.shape)
       << (port.batched ? " (batched)" : "") << "\n";
  for (const rt::ArtifactPort &port : a.outputs)
    os << rt::roleName(port.role) << " " << port.name << ": "
       << rt::typeToString(port.dtype, port.shape)
       << (port.batched ? " (batched)" : "") << "\n";
  uint64_t tensorBytes = 0;
  for (const rt::ArtifactTensor &t : a.tensors) {
    os << rt::roleName(t.role) << " " << t.name << ": "
       << rt::typeToString(t.tensor.dtype(), t.tensor.shape()) << "\n";
    tensorBytes += t.tensor.byteSize();
  }
  os << "tensor bytes: " << tensorBytes << "\n";
  for (const rt::ArtifactGraph &g : a.graphs) {
    os << "graph " << g.name << ": " << rt::artifactGraphKindName(g.kind)
       << ", batch " << g.batchSize << ", " << g.plan.kernels.size()
       << " kernels, " << g.plan.values.size() << " values, arena "
       << g.plan.arenaSize << " bytes, executable " << g.executable.size()
       << " bytes\n";
    for (size_t k = 0; k < g.plan.kernels.size(); ++k)
      os << "  kernel " << k << ": " << g.plan.kernels[k].opName << "\n";
    if (withPlans)
      os << rt::formatExecutionPlan(g.plan);
  }
  return os.str();
}

} // namespace nnc::train
