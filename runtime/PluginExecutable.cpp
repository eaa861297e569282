//===- PluginExecutable.cpp - C++ owners of plugin objects ----------------===//

#include "runtime/PluginExecutable.h"

namespace nnc::rt {

Error takePluginError(const LoadedPlugin &plugin, nnc_status status,
                      nnc_error *error, const char *what) {
  std::string message = takePluginMessage(plugin.api(), error);
  if (status == NNC_OK)
    return Error::success();
  std::string prefix = "backend '" + plugin.name() + "': ";
  if (!message.empty())
    return Error::failure(prefix + message);
  if (status == NNC_UNSUPPORTED)
    return Error::failure(prefix + what + " is not supported");
  return Error::failure(prefix + what + " failed without a message");
}

nnc_kernel_info PluginKernel::info() const {
  nnc_kernel_info info{};
  info.struct_size = sizeof(info);
  info.fn = fn;
  info.state = state;
  info.range = range;
  info.min_grain = minGrain;
  info.flags = flags;
  return info;
}

Error PluginKernel::run(const LoadedPlugin &plugin, void *const *buffers,
                        int64_t begin, int64_t end) const {
  nnc_error *error = nullptr;
  nnc_status status = fn(state, buffers, begin, end, &error);
  return takePluginError(plugin, status, error, "a kernel");
}

Expected<PluginExecutable>
PluginExecutable::compile(const LoadedPlugin &plugin, const void *bytecode,
                          size_t bytecodeSize, const CompileOptions &options) {
  nnc_compile_args args = {};
  args.struct_size = sizeof(args);
  args.bytecode = bytecode;
  args.bytecode_size = bytecodeSize;
  nnc_compile_options_extension compileOptions = {};
  compileOptions.base.struct_size = sizeof(compileOptions);
  compileOptions.base.type = NNC_EXTENSION_COMPILE_OPTIONS;
  compileOptions.kernel_cache = options.kernelCache ? 1 : 0;
  args.extensions = &compileOptions.base;
  std::vector<const char *> cpus;
  for (const std::string &cpu : options.targetCpus)
    cpus.push_back(cpu.c_str());
  nnc_targets_extension targets = {};
  targets.base.struct_size = sizeof(targets);
  targets.base.type = NNC_EXTENSION_TARGETS;
  targets.cpus = cpus.data();
  targets.num_cpus = cpus.size();
  if (!cpus.empty())
    compileOptions.base.next = &targets.base;
  nnc_error *error = nullptr;
  nnc_status status = plugin.api().compile(&args, &error);
  return adopt(plugin, status, error, args.executable, args.num_kernels,
               "compile");
}

Expected<PluginExecutable>
PluginExecutable::adopt(const LoadedPlugin &plugin, nnc_status status,
                        nnc_error *error, nnc_executable *executable,
                        int64_t numKernels, const char *call) {
  if (Error failure = takePluginError(plugin, status, error, call);
      !failure.ok()) {
    // A plugin that failed half-way may still have made an executable.
    if (executable)
      plugin.api().executable_destroy(executable);
    return failure;
  }
  if (!executable)
    return Error::failure("backend '" + plugin.name() + "': " + call +
                          " succeeded but returned no executable");
  // Owned from here, so that an error below still destroys it.
  PluginExecutable result(plugin, executable, numKernels);
  if (numKernels < 0)
    return Error::failure("backend '" + plugin.name() + "': " + call +
                          " returned a negative kernel count");
  return result;
}

namespace {

/// The serialize extension of `plugin` when it is large enough to hold the
/// optional function `field` (appended in a later ABI minor) and sets it;
/// null otherwise, and the caller then goes without.
template <typename Fn>
const nnc_serialize_extension *
withOptionalFunction(const LoadedPlugin &plugin, size_t sizeUntilField,
                     Fn nnc_serialize_extension::*field) {
  const nnc_serialize_extension *extension = plugin.serializeExtension();
  return extension && extension->base.struct_size >= sizeUntilField &&
                 extension->*field
             ? extension
             : nullptr;
}

Error noSerializeExtension(const LoadedPlugin &plugin) {
  return Error::failure("backend '" + plugin.name() +
                        "' cannot save or load compiled artifacts (it has "
                        "no serialize extension)");
}
} // namespace

Expected<PluginExecutable>
PluginExecutable::deserialize(const LoadedPlugin &plugin, const void *bytes,
                              size_t size) {
  const nnc_serialize_extension *extension = plugin.serializeExtension();
  if (!extension)
    return noSerializeExtension(plugin);
  nnc_executable *executable = nullptr;
  int64_t numKernels = 0;
  nnc_error *error = nullptr;
  nnc_status status =
      extension->deserialize(bytes, size, &executable, &numKernels, &error);
  return adopt(plugin, status, error, executable, numKernels, "deserialize");
}

Expected<std::string> PluginExecutable::serialize() const {
  const nnc_serialize_extension *extension = owner.serializeExtension();
  if (!extension)
    return noSerializeExtension(owner);
  void *bytes = nullptr;
  size_t size = 0;
  nnc_error *error = nullptr;
  nnc_status status =
      extension->serialize(executable.get(), &bytes, &size, &error);
  if (Error failure = takePluginError(owner, status, error, "serialize");
      !failure.ok()) {
    extension->free_bytes(bytes);
    return failure;
  }
  if (!bytes && size > 0)
    return Error::failure("backend '" + owner.name() +
                          "': serialize returned no bytes");
  std::string result(static_cast<const char *>(bytes), size);
  extension->free_bytes(bytes);
  return result;
}

Expected<std::vector<CodeTargetInfo>> PluginExecutable::codeTargets() const {
  std::vector<CodeTargetInfo> result;
  const nnc_serialize_extension *extension = withOptionalFunction(
      owner, NNC_STRUCT_SIZE_UNTIL(nnc_serialize_extension, code_target),
      &nnc_serialize_extension::code_target);
  if (!extension)
    return result;
  // A bound on the loop, in case a plugin never says "no more".
  constexpr int64_t kMaxTargets = 64;
  for (int64_t i = 0; i < kMaxTargets; ++i) {
    nnc_code_target target = {};
    target.struct_size = sizeof(target);
    nnc_error *error = nullptr;
    nnc_status status =
        extension->code_target(executable.get(), i, &target, &error);
    if (status == NNC_UNSUPPORTED && !error)
      return result;
    if (Error failure = takePluginError(owner, status, error, "code_target");
        !failure.ok())
      return failure;
    CodeTargetInfo info;
    info.cpu = target.cpu ? target.cpu : "";
    std::string features = target.features ? target.features : "";
    for (size_t start = 0; start < features.size();) {
      size_t comma = features.find(',', start);
      if (comma == std::string::npos)
        comma = features.size();
      if (comma > start)
        info.features.push_back(features.substr(start, comma - start));
      start = comma + 1;
    }
    result.push_back(std::move(info));
  }
  return Error::failure("backend '" + owner.name() +
                        "': code_target lists too many targets");
}

Expected<std::vector<CodeObject>> readCodeObjects(const LoadedPlugin &plugin,
                                                  const std::string &bytes) {
  std::vector<CodeObject> result;
  const nnc_serialize_extension *extension = withOptionalFunction(
      plugin, NNC_STRUCT_SIZE_UNTIL(nnc_serialize_extension, code_objects),
      &nnc_serialize_extension::code_objects);
  if (!extension)
    return result;
  // The plugin's strings and bytes live only for the visit: copy them.
  auto collect = [](void *context, const nnc_code_object *object) {
    if (!object ||
        object->struct_size < NNC_STRUCT_SIZE_UNTIL(nnc_code_object, size))
      return;
    static_cast<std::vector<CodeObject> *>(context)->push_back(
        {object->cpu ? object->cpu : "", object->name ? object->name : "",
         object->bytes ? std::string(static_cast<const char *>(object->bytes),
                                     object->size)
                       : std::string()});
  };
  nnc_error *error = nullptr;
  nnc_status status = extension->code_objects(bytes.data(), bytes.size(),
                                              collect, &result, &error);
  if (Error failure = takePluginError(plugin, status, error, "code_objects");
      !failure.ok())
    return failure;
  return result;
}

Error PluginExecutable::checkKernelBuffers(
    int64_t index, const std::vector<uint64_t> &bufferBytes) const {
  const nnc_serialize_extension *extension = withOptionalFunction(
      owner,
      NNC_STRUCT_SIZE_UNTIL(nnc_serialize_extension, check_kernel_buffers),
      &nnc_serialize_extension::check_kernel_buffers);
  if (!extension)
    return Error::success();
  nnc_error *error = nullptr;
  nnc_status status = extension->check_kernel_buffers(
      executable.get(), index, bufferBytes.data(),
      static_cast<int64_t>(bufferBytes.size()), &error);
  return takePluginError(owner, status, error, "check_kernel_buffers");
}

Expected<PluginKernel> PluginExecutable::kernel(int64_t index) const {
  std::string prefix = "backend '" + owner.name() + "': ";
  if (index < 0 || index >= kernels)
    return Error::failure(prefix + "kernel " + std::to_string(index) +
                          " out of range (" + std::to_string(kernels) +
                          " kernels)");
  nnc_kernel_info info = {};
  info.struct_size = sizeof(info);
  info.range = 1;
  info.min_grain = 1;
  nnc_error *error = nullptr;
  nnc_status status =
      owner.api().get_kernel(executable.get(), index, &info, &error);
  if (Error failure = takePluginError(owner, status, error, "get_kernel");
      !failure.ok())
    return failure;
  if (!info.fn)
    return Error::failure(prefix + "kernel " + std::to_string(index) +
                          " has no function");
  // A range of 0 would run no iteration and leave the results unwritten.
  if (info.range < 1)
    return Error::failure(prefix + "kernel " + std::to_string(index) +
                          " has range " + std::to_string(info.range) +
                          "; a range is at least 1");
  PluginKernel kernel;
  kernel.fn = info.fn;
  kernel.state = info.state;
  kernel.range = info.range;
  kernel.minGrain = info.min_grain < 1 ? 1 : info.min_grain;
  kernel.flags = info.flags;
  return kernel;
}

Expected<std::vector<std::string>> PluginExecutable::kernelSummaries() const {
  std::vector<std::string> summaries(static_cast<size_t>(kernels));
  const nnc_profile_extension *profile = owner.profileExtension();
  if (!profile)
    return summaries;
  for (int64_t i = 0; i < kernels; ++i) {
    nnc_kernel_description description = {};
    description.struct_size = sizeof(description);
    nnc_error *error = nullptr;
    nnc_status status =
        profile->describe_kernel(executable.get(), i, &description, &error);
    if (Error failure =
            takePluginError(owner, status, error, "describe_kernel");
        !failure.ok())
      return failure;
    summaries[static_cast<size_t>(i)] = pluginTextLine(description.summary);
  }
  return summaries;
}

} // namespace nnc::rt
