//===- CpuPlugin.cpp - The cpu backend's plugin table ---------------------===//
//
// The C table of runtime/PluginABI.h over the compiler half
// (compiler/CpuCompiler.h) and the runtime half (CpuKernel.h,
// serial/). Nothing C++ crosses the boundary.
//
// Built twice: as the `cpu` plugin, and with NNC_CPU_RUNTIME_ONLY as the
// runtime-only `cpu` plugin of deployments (lib/nnc/runtime-plugins), whose
// `compile` answers NNC_UNSUPPORTED and which references neither MLIR nor
// LLVM: it only deserializes executables and runs their linked code.
//
//===----------------------------------------------------------------------===//

#include "nnc/PluginABI.h"

#include "backends/cpu/CpuError.h"
#include "backends/cpu/CpuKernel.h"
#include "backends/cpu/serial/CodeLoader.h"
#include "backends/cpu/serial/CpuSerializer.h"
#ifndef NNC_CPU_RUNTIME_ONLY
#include "backends/cpu/compiler/CodeLinker.h"
#include "backends/cpu/compiler/CpuCompiler.h"
#include "backends/cpu/compiler/CpuPipeline.h"
#endif

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

struct nnc_executable {
  std::vector<std::shared_ptr<const nnc::cpu::CpuKernel>> kernels;
  /// A compiled executable: the targets its kernels' modules hold
  /// relocatable code for, linked when it is serialized.
  std::vector<nnc::cpu::CodeTarget> targets;
  /// A deserialized executable: the linked code it was read from, and each
  /// kernel's module there, written back as they are.
  std::vector<nnc::cpu::LinkedTarget> linked;
  std::vector<int64_t> moduleOf;
  /// code_target's strings, per target.
  std::vector<std::string> targetFeatures;
  /// describe_kernel's strings, per kernel.
  std::vector<std::string> kernelSummaries;
};

namespace {

using namespace nnc::cpu;

nnc_status fail(nnc_error **error, nnc_status status,
                const std::string &message) {
  if (error)
    *error = makeCpuError(message);
  return status;
}

/// Where the targets a compiled executable serializes start: an explicit
/// target list follows the host's code, which was compiled only to run
/// here.
size_t firstSerializedTarget(const nnc_executable &executable) {
  return executable.linked.empty() && executable.targets.size() > 1 ? 1 : 0;
}

/// Joins `features` with commas, as nnc_code_target reports them.
std::string joinFeatures(const std::vector<std::string> &features) {
  std::string text;
  for (const std::string &feature : features)
    text += (text.empty() ? "" : ",") + feature;
  return text;
}

/// Fills the strings code_target and describe_kernel return: each target's
/// features, and each kernel's label and range ("matmul+add+relu (native),
/// range 2").
void describeExecutable(nnc_executable &executable) {
  executable.kernelSummaries.clear();
  for (const auto &kernel : executable.kernels)
    // A kernel that only writes constants has no other op to name.
    executable.kernelSummaries.push_back(
        (kernel->label.empty() ? std::string("constant") : kernel->label) +
        ", range " + std::to_string(kernel->range));
  executable.targetFeatures.clear();
  if (!executable.linked.empty())
    for (const LinkedTarget &target : executable.linked)
      executable.targetFeatures.push_back(
          joinFeatures(target.target.features));
  else
    for (const CodeTarget &target : executable.targets)
      executable.targetFeatures.push_back(joinFeatures(target.features));
}

#ifdef NNC_CPU_RUNTIME_ONLY

nnc_status compile(nnc_compile_args *, nnc_error **error) {
  return fail(error, NNC_UNSUPPORTED,
              "this build of the cpu backend only runs compiled artifacts");
}

#else

/// The targets compile args ask for: "host" unless an
/// NNC_EXTENSION_TARGETS lists others; the host's code always comes first
/// since it is the code that runs here.
nnc_status requestedTargets(const nnc_compile_args &args,
                            std::vector<CodeTarget> &targets,
                            nnc_error **error) {
  targets = {hostCodeTarget()};
  if (args.struct_size < NNC_STRUCT_SIZE_UNTIL(nnc_compile_args, extensions))
    return NNC_OK;
  for (const nnc_extension_base *ext = args.extensions; ext; ext = ext->next) {
    if (ext->type != NNC_EXTENSION_TARGETS ||
        ext->struct_size < NNC_STRUCT_SIZE_UNTIL(nnc_targets_extension,
                                                 num_cpus))
      continue;
    const auto *list = reinterpret_cast<const nnc_targets_extension *>(ext);
    std::vector<CodeTarget> asked;
    for (size_t i = 0; i < list->num_cpus; ++i) {
      llvm::Expected<CodeTarget> target =
          codeTargetNamed(list->cpus[i] ? list->cpus[i] : "");
      if (!target)
        return fail(error, NNC_ERROR, llvm::toString(target.takeError()));
      asked.push_back(std::move(*target));
    }
    if (asked.empty())
      return fail(error, NNC_ERROR, "the target list is empty");
    // Serialized code is the asked list, in order; the host's code runs
    // here whatever was asked, so it is compiled first and dropped later
    // when not asked for.
    targets.insert(targets.end(), asked.begin(), asked.end());
  }
  return NNC_OK;
}

/// Whether compile args let the compile use the cache on disk: yes unless
/// an NNC_EXTENSION_COMPILE_OPTIONS says kernel_cache 0.
bool diskCacheAllowed(const nnc_compile_args &args) {
  if (args.struct_size < NNC_STRUCT_SIZE_UNTIL(nnc_compile_args, extensions))
    return true;
  for (const nnc_extension_base *ext = args.extensions; ext; ext = ext->next)
    if (ext->type == NNC_EXTENSION_COMPILE_OPTIONS &&
        ext->struct_size >=
            NNC_STRUCT_SIZE_UNTIL(nnc_compile_options_extension, kernel_cache))
      return reinterpret_cast<const nnc_compile_options_extension *>(ext)
                 ->kernel_cache != 0;
  return true;
}

nnc_status compile(nnc_compile_args *args, nnc_error **error) {
  if (!args || args->struct_size <
                   NNC_STRUCT_SIZE_UNTIL(nnc_compile_args, num_kernels))
    return fail(error, NNC_ERROR, "compile arguments are too small");
  if (!args->bytecode && args->bytecode_size != 0)
    return fail(error, NNC_ERROR, "the graph is not MLIR bytecode");
  std::vector<CodeTarget> targets;
  if (nnc_status status = requestedTargets(*args, targets, error);
      status != NNC_OK)
    return status;
  CompiledModule compiled =
      compileModule(args->bytecode ? args->bytecode : "", args->bytecode_size,
                    targets, diskCacheAllowed(*args));
  if (compiled.status != NNC_OK)
    return fail(error, compiled.status, compiled.message);
  auto *executable = new (std::nothrow) nnc_executable;
  if (!executable)
    return fail(error, NNC_ERROR, "out of memory");
  executable->kernels = std::move(compiled.kernels);
  executable->targets = std::move(compiled.targets);
  describeExecutable(*executable);
  args->executable = executable;
  args->num_kernels = static_cast<int64_t>(executable->kernels.size());
  return NNC_OK;
}

#endif

nnc_status getKernel(nnc_executable *executable, int64_t index,
                     nnc_kernel_info *info, nnc_error **error) {
  if (!executable || index < 0 ||
      index >= static_cast<int64_t>(executable->kernels.size()))
    return fail(error, NNC_ERROR,
                "kernel index " + std::to_string(index) + " is out of range");
  if (!info ||
      info->struct_size < NNC_STRUCT_SIZE_UNTIL(nnc_kernel_info, range))
    return fail(error, NNC_ERROR, "kernel info is too small");
  const CpuKernel &kernel = *executable->kernels[static_cast<size_t>(index)];
  info->fn = runCpuKernel;
  info->state = const_cast<CpuKernel *>(&kernel);
  info->range = kernel.range;
  // A kernel that splits its work across the threads inside
  // (splitsInside) runs all of its range in one call.
  if (info->struct_size >= NNC_STRUCT_SIZE_UNTIL(nnc_kernel_info, min_grain))
    info->min_grain =
        kernel.head.splitsInside ? std::max<int64_t>(1, kernel.range) : 1;
  if (info->struct_size >= NNC_STRUCT_SIZE_UNTIL(nnc_kernel_info, flags))
    info->flags =
        (wantsOneRunPerThread(kernel) ? NNC_KERNEL_ONE_RUN_PER_THREAD : 0) |
        (kernel.head.splitsInside || kernel.head.kParts > 1
             ? NNC_KERNEL_USES_THE_ARENAS_THREADS
             : 0);
  return NNC_OK;
}

void destroyExecutable(nnc_executable *executable) { delete executable; }

//===----------------------------------------------------------------------===//
// NNC_EXTENSION_PROFILE
//===----------------------------------------------------------------------===//

/// The kernel's ops, how it runs them ("(native, 2 k blocks)" for a GEMM
/// head reduced over blocks of k) and the iterations its range is split
/// into.
nnc_status describeKernel(const nnc_executable *executable, int64_t index,
                          nnc_kernel_description *description,
                          nnc_error **error) {
  if (!executable || index < 0 ||
      index >= static_cast<int64_t>(executable->kernels.size()))
    return fail(error, NNC_ERROR, "no such kernel");
  if (!description ||
      description->struct_size <
          NNC_STRUCT_SIZE_UNTIL(nnc_kernel_description, summary))
    return fail(error, NNC_ERROR, "kernel description is too small");
  description->summary =
      executable->kernelSummaries[static_cast<size_t>(index)].c_str();
  return NNC_OK;
}

const nnc_profile_extension kProfileExtension = {
    {sizeof(nnc_profile_extension), NNC_EXTENSION_PROFILE, nullptr},
    describeKernel,
};

//===----------------------------------------------------------------------===//
// NNC_EXTENSION_SERIALIZE
//===----------------------------------------------------------------------===//

/// The executable's bytes: its linked code as read, or its compiled code
/// linked now.
nnc_status serializeToString(const nnc_executable &executable,
                             std::string &bytes, nnc_error **error) {
  std::vector<const CpuKernel *> kernels;
  for (const auto &kernel : executable.kernels)
    kernels.push_back(kernel.get());
  if (!executable.linked.empty()) {
    bytes = serializeExecutable(kernels, executable.moduleOf, executable.linked);
    return NNC_OK;
  }
#ifdef NNC_CPU_RUNTIME_ONLY
  return fail(error, NNC_UNSUPPORTED,
              "serialize: this build of the cpu backend has no linker");
#else
  std::vector<int64_t> moduleOf;
  llvm::Expected<std::vector<LinkedTarget>> linked = linkExecutableCode(
      kernels, executable.targets, firstSerializedTarget(executable),
      moduleOf);
  if (!linked)
    return fail(error, NNC_ERROR,
                "serialize: " + llvm::toString(linked.takeError()));
  bytes = serializeExecutable(kernels, moduleOf, *linked);
  return NNC_OK;
#endif
}

nnc_status serialize(const nnc_executable *executable, void **bytes,
                     size_t *size, nnc_error **error) {
  if (!executable || !bytes || !size)
    return fail(error, NNC_ERROR, "serialize: null argument");
  *bytes = nullptr;
  *size = 0;
  std::string data;
  if (nnc_status status = serializeToString(*executable, data, error);
      status != NNC_OK)
    return status;
  void *copy = std::malloc(data.size() ? data.size() : 1);
  if (!copy)
    return fail(error, NNC_ERROR, "serialize: out of memory");
  std::memcpy(copy, data.data(), data.size());
  *bytes = copy;
  *size = data.size();
  return NNC_OK;
}

void freeBytes(void *bytes) { std::free(bytes); }

nnc_status deserialize(const void *bytes, size_t size,
                       nnc_executable **executable, int64_t *numKernels,
                       nnc_error **error) {
  if (!executable || !numKernels)
    return fail(error, NNC_ERROR, "deserialize: null argument");
  *executable = nullptr;
  *numKernels = 0;
  nnc::rt::Expected<SerializedExecutable> read =
      deserializeExecutable(bytes, size);
  if (!read.ok())
    return fail(error, NNC_ERROR, read.message());
  nnc::rt::Expected<size_t> loaded = loadExecutableCode(*read);
  if (!loaded.ok())
    return fail(error, NNC_ERROR, loaded.message());
  auto *result = new (std::nothrow) nnc_executable;
  if (!result)
    return fail(error, NNC_ERROR, "out of memory");
  for (auto &kernel : read->kernels)
    result->kernels.push_back(std::move(kernel));
  result->linked = std::move(read->targets);
  result->moduleOf = std::move(read->moduleOf);
  describeExecutable(*result);
  *numKernels = static_cast<int64_t>(result->kernels.size());
  *executable = result;
  return NNC_OK;
}

nnc_status checkBuffers(const nnc_executable *executable, int64_t index,
                        const uint64_t *bufferBytes, int64_t numBuffers,
                        nnc_error **error) {
  if (!executable || index < 0 ||
      index >= static_cast<int64_t>(executable->kernels.size()) ||
      (!bufferBytes && numBuffers > 0))
    return fail(error, NNC_ERROR, "check_kernel_buffers: bad arguments");
  nnc::rt::Error status = checkKernelBuffers(
      *executable->kernels[static_cast<size_t>(index)], bufferBytes,
      numBuffers);
  if (!status.ok())
    return fail(error, NNC_ERROR, status.message());
  return NNC_OK;
}

nnc_status codeTarget(const nnc_executable *executable, int64_t index,
                      nnc_code_target *target, nnc_error **error) {
  if (!executable || !target ||
      target->struct_size < NNC_STRUCT_SIZE_UNTIL(nnc_code_target, features))
    return fail(error, NNC_ERROR, "code_target: bad arguments");
  size_t first = firstSerializedTarget(*executable);
  size_t count = executable->targetFeatures.size() - first;
  if (index < 0 || static_cast<size_t>(index) >= count)
    return NNC_UNSUPPORTED;
  size_t i = first + static_cast<size_t>(index);
  target->cpu = executable->linked.empty()
                    ? executable->targets[i].cpu.c_str()
                    : executable->linked[i].target.cpu.c_str();
  target->features = executable->targetFeatures[i].c_str();
  return NNC_OK;
}

nnc_status codeObjects(const void *bytes, size_t size,
                       nnc_code_object_visitor visit, void *context,
                       nnc_error **error) {
  if (!visit)
    return fail(error, NNC_ERROR, "code_objects: null visitor");
  nnc::rt::Expected<SerializedExecutable> read =
      deserializeExecutable(bytes, size);
  if (!read.ok())
    return fail(error, NNC_ERROR, read.message());
  for (const LinkedTarget &target : read->targets) {
    auto report = [&](const std::string &name, const std::string &code) {
      nnc_code_object object = {sizeof(nnc_code_object),
                                target.target.cpu.c_str(), name.c_str(),
                                code.data(), code.size()};
      visit(context, &object);
    };
    for (size_t m = 0; m < target.modules.size(); ++m)
      report("module" + std::to_string(m) + ".so", target.modules[m]);
    if (!target.gemm.empty())
      report("gemm.so", target.gemm);
  }
  return NNC_OK;
}

const nnc_serialize_extension kSerializeExtension = {
    {sizeof(nnc_serialize_extension), NNC_EXTENSION_SERIALIZE,
     &kProfileExtension.base},
    serialize,
    freeBytes,
    deserialize,
    checkBuffers,
    codeTarget,
    codeObjects,
};

const char *errorMessage(const nnc_error *error) {
  return error ? error->message.c_str() : "";
}

void destroyError(nnc_error *error) { delete error; }

#ifdef NNC_CPU_RUNTIME_ONLY
const char kDescription[] =
    "machine code for the host CPU, runtime only: runs compiled artifacts";
#else
const char kDescription[] =
    "JIT-compiled kernels for the host CPU through MLIR linalg and LLVM";
#endif

const nnc_plugin_api kApi = {
    /*struct_size=*/sizeof(nnc_plugin_api),
    /*abi_major=*/NNC_PLUGIN_ABI_MAJOR,
    /*abi_minor=*/NNC_PLUGIN_ABI_MINOR,
    /*name=*/"cpu",
    /*version=*/"0.2.0",
    /*description=*/kDescription,
    /*extensions=*/&kSerializeExtension.base,
    /*supported_ops=*/nullptr,
    /*compile=*/compile,
    /*get_kernel=*/getKernel,
    /*executable_destroy=*/destroyExecutable,
    /*error_message=*/errorMessage,
    /*error_destroy=*/destroyError,
};

} // namespace

extern "C" const nnc_plugin_api *nnc_plugin_entry(void) {
#ifdef NNC_CPU_RUNTIME_ONLY
  // It compiles nothing, so it supports no op.
  static const char *const kNoOps[] = {nullptr};
  static nnc_plugin_api api = [] {
    nnc_plugin_api table = kApi;
    table.supported_ops = kNoOps;
    return table;
  }();
  return &api;
#else
  static nnc_plugin_api api = [] {
    nnc_plugin_api table = kApi;
    table.supported_ops = cpuSupportedOps();
    return table;
  }();
  return &api;
#endif
}
