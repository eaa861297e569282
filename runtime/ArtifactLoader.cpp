//===- ArtifactLoader.cpp - Running a compiled artifact -------------------===//

#include "runtime/ArtifactLoader.h"

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
    return std::move(error).withContext("the artifact");
  return plugin;
}

Expected<LoadedGraph> loadArtifactGraph(const ArtifactGraph &graph,
                                        const LoadedPlugin &plugin) {
  std::string where = "graph '" + graph.name + "'";
  Expected<PluginExecutable> executable = PluginExecutable::deserialize(
      plugin, graph.executable.data(), graph.executable.size());
  if (!executable.ok())
    return executable.takeError().withContext(where);
  const ExecutionPlan &plan = graph.plan;
  if (executable->numKernels() != static_cast<int64_t>(plan.kernels.size()))
    return Error::failure(where + ": the executable has " +
                          std::to_string(executable->numKernels()) +
                          " kernels, the plan " +
                          std::to_string(plan.kernels.size()));
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
    nnc_kernel_info info{};
    info.struct_size = sizeof(info);
    info.fn = kernel->fn;
    info.state = kernel->state;
    info.range = kernel->range;
    info.min_grain = kernel->minGrain;
    kernels.push_back(info);
  }
  LoadedGraph loaded;
  loaded.executable.emplace(std::move(*executable));
  Expected<Executor> executor = Executor::create(
      plan, std::move(kernels), loaded.executable->plugin().api());
  if (!executor.ok())
    return executor.takeError().withContext(where);
  loaded.executor.emplace(std::move(*executor));
  return loaded;
}

TensorLookup artifactLookup(
    const Artifact &artifact,
    const std::vector<std::pair<std::string, const Tensor *>> &feeds) {
  return [&artifact, feeds](const std::string &role,
                            const std::string &name) -> const Tensor * {
    if (role == "input") {
      for (const auto &[feedName, tensor] : feeds)
        if (feedName == name)
          return tensor;
      return nullptr;
    }
    const ArtifactTensor *stored = artifact.tensor(name);
    return stored ? &stored->tensor : nullptr;
  };
}

Expected<std::vector<Tensor>> runLoadedGraph(LoadedGraph &graph,
                                             const TensorLookup &lookup) {
  const ExecutionPlan &plan = graph.executor->plan();
  std::vector<ConstTensorView> inputs;
  for (const ExternalBinding &binding : plan.inputs) {
    const Tensor *tensor = lookup(binding.role, binding.name);
    if (!tensor)
      return Error::failure("no value for " + binding.role + " '" +
                            binding.name + "'");
    inputs.push_back(tensor->view());
  }
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
  if (Error error = graph.executor->run(inputs, outputs); !error.ok())
    return error;
  return results;
}

} // namespace nnc::rt
