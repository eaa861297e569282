//===- ArtifactLoader.cpp - Running a compiled artifact -------------------===//

#include "runtime/ArtifactLoader.h"

#include "runtime/NonFinite.h"

#include <algorithm>

namespace nnc::rt {

Expected<const LoadedPlugin *> findArtifactBackend(const Artifact &artifact,
                                                   const PluginSet &plugins) {
  const LoadedPlugin *plugin = plugins.find(artifact.backendName);
  if (!plugin) {
    std::string names;
    for (const LoadedPlugin &p : plugins.plugins)
      names += (names.empty() ? "" : ", ") + p.name();
    return Error::failure("the artifact needs backend '" +
                          artifact.backendName + "', which is not installed" +
                          (names.empty() ? std::string(" (none found)")
                                         : " (found: " + names + ")"));
  }
  if (artifact.abiMajor != plugin->api().abi_major)
    return Error::failure("the artifact was made with plugin ABI " +
                          std::to_string(artifact.abiMajor) + ".x, backend '" +
                          plugin->name() + "' has ABI " +
                          std::to_string(plugin->api().abi_major) + ".x");
  if (artifact.backendVersion != plugin->version())
    return Error::failure("the artifact was made by backend '" +
                          artifact.backendName + "' version " +
                          artifact.backendVersion + ", the installed one is " +
                          plugin->version() + "; recompile it");
  if (!plugin->serializeExtension())
    return Error::failure("backend '" + plugin->name() +
                          "' cannot load compiled artifacts (it has no "
                          "serialize extension)");
  if (artifact.machineCode && artifact.targetTriple != hostTargetTriple())
    return Error::failure("the artifact holds code for " +
                          artifact.targetTriple + ", this machine is " +
                          hostTargetTriple());
  if (Error error = checkCpuFeatures(artifact.cpuFeatures); !error.ok())
    return Error::failure("the artifact " + error.message());
  if (Error error = checkCodeTargets(artifact); !error.ok())
    return error;
  return plugin;
}

Expected<Function> loadArtifactGraph(const ArtifactGraph &graph,
                                     const LoadedPlugin &plugin,
                                     std::shared_ptr<Session> session) {
  std::string where = "graph '" + graph.name + "'";
  Expected<PluginExecutable> executable = PluginExecutable::deserialize(
      plugin, graph.executable.data(), graph.executable.size());
  if (!executable.ok())
    return executable.takeError().withContext(where);
  const ExecutionPlan &plan = graph.plan;
  if (executable->numKernels() != static_cast<int64_t>(plan.kernels.size()))
    return Error::failure(where + ": the plan has " +
                          std::to_string(plan.kernels.size()) +
                          " kernels but the backend gave " +
                          std::to_string(executable->numKernels()));
  std::vector<nnc_kernel_info> kernels;
  for (size_t k = 0; k < plan.kernels.size(); ++k) {
    std::vector<uint64_t> sizes;
    for (int64_t value : plan.kernels[k].buffers)
      sizes.push_back(plan.values[static_cast<size_t>(value)].bytes);
    if (Error error =
            executable->checkKernelBuffers(static_cast<int64_t>(k), sizes);
        !error.ok())
      return std::move(error).withContext(where);
    Expected<PluginKernel> kernel = executable->kernel(static_cast<int64_t>(k));
    if (!kernel.ok())
      return kernel.takeError().withContext(where);
    kernels.push_back(kernel->info());
  }
  Expected<Function> loaded = makeFunction(
      std::move(session), std::move(*executable), plan, std::move(kernels));
  if (!loaded.ok())
    return loaded.takeError().withContext(where);
  return loaded;
}

TensorLookup artifactLookup(
    const Artifact &artifact,
    const std::vector<std::pair<std::string, const Tensor *>> &feeds) {
  return [&artifact, feeds](BindingRole role,
                            const std::string &name) -> const Tensor * {
    if (role == BindingRole::Input) {
      for (const auto &[feedName, tensor] : feeds)
        if (feedName == name)
          return tensor;
      return nullptr;
    }
    const ArtifactTensor *stored = artifact.tensor(name);
    return stored ? &stored->tensor : nullptr;
  };
}

namespace {

/// Runs `graph` on `inputs` (one per plan input) into new result tensors.
Expected<std::vector<Tensor>>
runOnViews(Function &graph, const std::vector<ConstTensorView> &inputs) {
  const ExecutionPlan &plan = graph.executor->plan();
  std::vector<Tensor> results;
  std::vector<TensorView> outputs;
  results.reserve(plan.outputs.size());
  for (const ExternalBinding &binding : plan.outputs) {
    const PlanValue &value = plan.values[static_cast<size_t>(binding.value)];
    Expected<Tensor> tensor = Tensor::create(value.dtype, value.shape);
    if (!tensor.ok())
      return tensor.takeError();
    results.push_back(std::move(*tensor));
    outputs.push_back(results.back().view());
  }
  if (Error error = graph.run(inputs, outputs); !error.ok())
    return error;
  return results;
}

} // namespace

Expected<std::vector<Tensor>> runFunction(Function &graph,
                                          const TensorLookup &lookup) {
  const ExecutionPlan &plan = graph.executor->plan();
  std::vector<ConstTensorView> inputs;
  for (const ExternalBinding &binding : plan.inputs) {
    const Tensor *tensor = lookup(binding.role, binding.name);
    if (!tensor)
      return Error::failure(std::string("no value for ") +
                            roleName(binding.role) + " '" + binding.name + "'");
    inputs.push_back(tensor->view());
  }
  return runOnViews(graph, inputs);
}

bool isInputRead(const ExecutionPlan &plan, const ExternalBinding &b) {
  for (const PlanKernel &kernel : plan.kernels)
    if (std::find(kernel.buffers.begin(), kernel.buffers.end(), b.value) !=
        kernel.buffers.end())
      return true;
  for (const ExternalBinding &output : plan.outputs)
    if (output.value == b.value)
      return true;
  return false;
}

namespace {

/// The input names `graph` reads.
std::vector<std::string> inputsRead(const ArtifactGraph &graph) {
  std::vector<std::string> names;
  for (const ExternalBinding &binding : graph.plan.inputs)
    if (binding.role == BindingRole::Input && isInputRead(graph.plan, binding))
      names.push_back(binding.name);
  return names;
}

bool contains(const std::vector<std::string> &names, const std::string &name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string joinNames(const std::vector<std::string> &names) {
  std::string text;
  for (const std::string &name : names)
    text += (text.empty() ? "" : ", ") + name;
  return text;
}

} // namespace

Expected<const ArtifactGraph *>
selectRunGraph(const Artifact &artifact, const std::vector<std::string> &fed) {
  std::vector<std::string> names;
  for (const ArtifactPort &port : artifact.inputs)
    names.push_back(port.name);
  for (const std::string &name : fed)
    if (!contains(names, name))
      return Error::failure("the artifact has no input '" + name +
                            "' (inputs: " + joinNames(names) + ")");
  for (const char *name : {"forward", "predict"}) {
    const ArtifactGraph *candidate = artifact.graph(name);
    if (!candidate)
      continue;
    std::vector<std::string> needed = inputsRead(*candidate);
    if (std::all_of(needed.begin(), needed.end(),
                    [&](const std::string &n) { return contains(fed, n); }))
      return candidate;
  }
  const ArtifactGraph *last = artifact.graph("predict")
                                  ? artifact.graph("predict")
                                  : artifact.graph("forward");
  for (const std::string &name : last ? inputsRead(*last) : names)
    if (!contains(fed, name))
      return Error::failure("missing input '" + name +
                            "' (inputs: " + joinNames(names) + ")");
  return Error::failure("the artifact has no forward graph");
}

Error checkUnbatchedInputs(
    const Artifact &artifact,
    const std::map<std::string, ConstTensorView> &feeds) {
  bool hasBatch =
      std::any_of(artifact.inputs.begin(), artifact.inputs.end(),
                  [](const ArtifactPort &port) { return port.batched; });
  if (!hasBatch)
    return Error::success();
  for (const ArtifactPort &port : artifact.inputs) {
    auto fed = feeds.find(port.name);
    if (port.role != BindingRole::Input || port.batched || fed == feeds.end())
      continue;
    if (Error error = checkUnbatchedInput(fed->second, port.name); !error.ok())
      return error;
  }
  return Error::success();
}

Expected<std::vector<Tensor>>
runArtifactGraph(const Artifact &artifact, Function &loaded,
                 const std::map<std::string, ConstTensorView> &feeds) {
  if (Error error = checkUnbatchedInputs(artifact, feeds); !error.ok())
    return error;
  const ExecutionPlan &plan = loaded.executor->plan();
  std::vector<ConstTensorView> inputs;
  // Zeros for the inputs the graph binds but never reads.
  std::vector<Tensor> unread;
  unread.reserve(plan.inputs.size());
  for (const ExternalBinding &binding : plan.inputs) {
    if (binding.role != BindingRole::Input) {
      const ArtifactTensor *stored = artifact.tensor(binding.name);
      if (!stored)
        return Error::failure(std::string("no value for ") +
                              roleName(binding.role) + " '" + binding.name +
                              "'");
      inputs.push_back(stored->tensor.view());
    } else if (auto fed = feeds.find(binding.name); fed != feeds.end()) {
      inputs.push_back(fed->second);
    } else {
      const PlanValue &value = plan.values[static_cast<size_t>(binding.value)];
      Expected<Tensor> zeros = Tensor::create(value.dtype, value.shape);
      if (!zeros.ok())
        return zeros.takeError();
      unread.push_back(std::move(*zeros));
      inputs.push_back(unread.back().view());
    }
  }
  return runOnViews(loaded, inputs);
}

Expected<std::vector<Tensor>>
runArtifactGraph(const Artifact &artifact, Function &loaded,
                 const std::map<std::string, Tensor> &feeds) {
  std::map<std::string, ConstTensorView> views;
  for (const auto &[name, tensor] : feeds)
    views.emplace(name, tensor.view());
  return runArtifactGraph(artifact, loaded, views);
}

Expected<ArtifactBackend>
openArtifactBackend(const Artifact &artifact, const SessionOptions &options,
                    const std::vector<std::string> &pluginFiles) {
  std::vector<std::string> runtimeDirs;
  if (std::string dir = installedRuntimePluginDir(); !dir.empty())
    runtimeDirs.push_back(dir);
  Expected<PluginSet> plugins = findBackendPlugin(
      artifact.backendName, runtimeDirs, defaultPluginDirs(), pluginFiles);
  if (!plugins.ok())
    return plugins.takeError();
  ArtifactBackend backend;
  backend.session = std::make_shared<Session>(options);
  backend.session->adoptPlugins(std::move(*plugins));
  Expected<const LoadedPlugin *> plugin =
      findArtifactBackend(artifact, backend.session->plugins());
  if (!plugin.ok())
    return plugin.takeError();
  backend.plugin = *plugin;
  return backend;
}

} // namespace nnc::rt
