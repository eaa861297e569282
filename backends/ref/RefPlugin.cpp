//===- RefPlugin.cpp - The ref backend's C plugin table -------------------===//
//
// The C face of the ref backend: nnc_plugin_entry and the functions of its
// table. Everything here is glue between the ABI of runtime/PluginABI.h and
// RefCompiler / RefProgram; no C++ exception leaves these functions (an
// allocation failure becomes an nnc_error).
//
// Built twice: as `ref` (libnnc_backend_ref.so, with the compiler half) and,
// with NNC_REF_RUNTIME_ONLY defined, as the runtime-only `ref` of
// deployments (libnnc_backend_ref_rt.so): the same interpreter and
// serializer, but `compile` answers NNC_UNSUPPORTED and nothing references
// RefCompiler, hence no MLIR or LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_REF_RUNTIME_ONLY
#include "backends/ref/RefCompiler.h"
#endif
#include "backends/ref/RefProgram.h"
#include "backends/ref/RefSerializer.h"
#include "runtime/PluginABI.h"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

/// An error the plugin made; the host reads it with error_message.
struct nnc_error {
  std::string message;
};

/// A compiled graph: one program per kernel function. Programs are never
/// modified after compilation, so kernels may run concurrently.
struct nnc_executable {
  std::vector<nnc::ref::Program> kernels;
  /// What describe_kernel reports of each.
  std::vector<std::string> summaries;
};

namespace {

/// A new error holding `message`, or NULL when even that cannot be
/// allocated (the host then sees the status alone).
nnc_error *makeError(std::string message) {
  return new (std::nothrow) nnc_error{std::move(message)};
}

/// Sets *error (when the caller asked for it) and returns `status`.
nnc_status fail(nnc_error **error, nnc_status status, std::string message) {
  if (error)
    *error = makeError(std::move(message));
  return status;
}

/// True when a struct the host filled in is large enough to hold `needed`
/// bytes, i.e. the fields we read or write.
bool holds(size_t structSize, size_t needed) { return structSize >= needed; }

/// "interpreted: 3 steps (matmul, add, relu), 1 temporary": what the
/// interpreter runs for a kernel, for profiles.
std::string summarizeProgram(const nnc::ref::Program &program) {
  std::string ops;
  for (const nnc::ref::Step &step : program.steps) {
    std::string_view op = step.op;
    if (op.substr(0, 3) == "nn.")
      op.remove_prefix(3);
    ops += (ops.empty() ? "" : ", ") + std::string(op);
  }
  int64_t temporaries = 0;
  for (const nnc::ref::Slot &slot : program.slots)
    temporaries += slot.kind == nnc::ref::SlotKind::Temp;
  auto count = [](int64_t n, const char *one, const char *many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  return "interpreted: " +
         count(static_cast<int64_t>(program.steps.size()), "step", "steps") +
         " (" + ops + "), " + count(temporaries, "temporary", "temporaries");
}

/// An executable of `programs`, with their summaries.
std::unique_ptr<nnc_executable>
makeExecutable(std::vector<nnc::ref::Program> programs) {
  auto executable = std::make_unique<nnc_executable>();
  executable->kernels = std::move(programs);
  for (const nnc::ref::Program &program : executable->kernels)
    executable->summaries.push_back(summarizeProgram(program));
  return executable;
}

nnc_status refRunKernel(void *state, void *const *buffers, int64_t begin,
                        int64_t end, nnc_error **error) {
  // The range is 1: the one iteration runs the whole program, an empty
  // range does nothing.
  if (begin >= end)
    return NNC_OK;
  if (begin != 0 || end != 1)
    return fail(error, NNC_ERROR,
                "ref kernel: iteration range [" + std::to_string(begin) + ", " +
                    std::to_string(end) + ") outside [0, 1)");
  const auto *program = static_cast<const nnc::ref::Program *>(state);
  if (!buffers && program->numBuffers > 0)
    return fail(error, NNC_ERROR, program->name + ": no buffers passed");
  try {
    nnc::rt::Error status = nnc::ref::runProgram(*program, buffers);
    if (!status.ok())
      return fail(error, NNC_ERROR, status.message());
    return NNC_OK;
  } catch (const std::exception &exception) {
    return fail(error, NNC_ERROR,
                program->name + ": " + std::string(exception.what()));
  } catch (...) {
    return fail(error, NNC_ERROR, program->name + ": unknown failure");
  }
}

nnc_status refCompile(nnc_compile_args *args, nnc_error **error) {
  if (!args || !holds(args->struct_size,
                      NNC_STRUCT_SIZE_UNTIL(nnc_compile_args, num_kernels)))
    return fail(error, NNC_ERROR, "compile: nnc_compile_args too small");
  if (!args->bytecode && args->bytecode_size > 0)
    return fail(error, NNC_ERROR, "compile: no bytecode given");
  args->executable = nullptr;
  args->num_kernels = 0;
#ifdef NNC_REF_RUNTIME_ONLY
  return fail(error, NNC_UNSUPPORTED,
              "the runtime-only ref backend (libnnc_backend_ref_rt.so) runs "
              "compiled artifacts but cannot compile; compile with nnc");
#else
  try {
    nnc::ref::CompiledModule compiled =
        nnc::ref::compileModule(args->bytecode, args->bytecode_size);
    switch (compiled.status) {
    case nnc::ref::CompileStatus::Ok:
      break;
    case nnc::ref::CompileStatus::Unsupported:
      return fail(error, NNC_UNSUPPORTED, compiled.message);
    case nnc::ref::CompileStatus::Error:
      return fail(error, NNC_ERROR, compiled.message);
    }
    std::unique_ptr<nnc_executable> executable =
        makeExecutable(std::move(compiled.kernels));
    args->num_kernels = static_cast<int64_t>(executable->kernels.size());
    args->executable = executable.release();
    return NNC_OK;
  } catch (const std::exception &exception) {
    return fail(error, NNC_ERROR, std::string("compile: ") + exception.what());
  } catch (...) {
    return fail(error, NNC_ERROR, "compile: unknown failure");
  }
#endif
}

nnc_status refGetKernel(nnc_executable *executable, int64_t index,
                        nnc_kernel_info *info, nnc_error **error) {
  if (!executable || !info)
    return fail(error, NNC_ERROR, "get_kernel: null executable or info");
  if (index < 0 || index >= static_cast<int64_t>(executable->kernels.size()))
    return fail(error, NNC_ERROR,
                "get_kernel: no kernel " + std::to_string(index) + " among " +
                    std::to_string(executable->kernels.size()));
  if (!holds(info->struct_size, NNC_STRUCT_SIZE_UNTIL(nnc_kernel_info, range)))
    return fail(error, NNC_ERROR, "get_kernel: nnc_kernel_info too small");
  info->fn = refRunKernel;
  info->state = &executable->kernels[static_cast<size_t>(index)];
  info->range = 1;
  if (holds(info->struct_size,
            NNC_STRUCT_SIZE_UNTIL(nnc_kernel_info, min_grain)))
    info->min_grain = 1;
  return NNC_OK;
}

void refExecutableDestroy(nnc_executable *executable) { delete executable; }

nnc_status refDescribeKernel(const nnc_executable *executable, int64_t index,
                             nnc_kernel_description *description,
                             nnc_error **error) {
  if (!executable || index < 0 ||
      index >= static_cast<int64_t>(executable->kernels.size()))
    return fail(error, NNC_ERROR, "describe_kernel: no such kernel");
  if (!description ||
      !holds(description->struct_size,
             NNC_STRUCT_SIZE_UNTIL(nnc_kernel_description, summary)))
    return fail(error, NNC_ERROR,
                "describe_kernel: nnc_kernel_description too small");
  description->summary =
      executable->summaries[static_cast<size_t>(index)].c_str();
  return NNC_OK;
}

const nnc_profile_extension kRefProfileExtension = {
    {sizeof(nnc_profile_extension), NNC_EXTENSION_PROFILE, nullptr},
    refDescribeKernel,
};

nnc_status refSerialize(const nnc_executable *executable, void **bytes,
                        size_t *size, nnc_error **error) {
  if (!executable || !bytes || !size)
    return fail(error, NNC_ERROR, "serialize: null argument");
  *bytes = nullptr;
  *size = 0;
  try {
    std::string data = nnc::ref::serializePrograms(executable->kernels);
    auto *copy =
        static_cast<char *>(std::malloc(data.size() ? data.size() : 1));
    if (!copy)
      return fail(error, NNC_ERROR, "serialize: out of memory");
    std::memcpy(copy, data.data(), data.size());
    *bytes = copy;
    *size = data.size();
    return NNC_OK;
  } catch (const std::exception &exception) {
    return fail(error, NNC_ERROR,
                std::string("serialize: ") + exception.what());
  }
}

void refFreeBytes(void *bytes) { std::free(bytes); }

nnc_status refDeserialize(const void *bytes, size_t size,
                          nnc_executable **executable, int64_t *numKernels,
                          nnc_error **error) {
  if (!executable || !numKernels)
    return fail(error, NNC_ERROR, "deserialize: null argument");
  *executable = nullptr;
  *numKernels = 0;
  try {
    nnc::rt::Expected<std::vector<nnc::ref::Program>> programs =
        nnc::ref::deserializePrograms(bytes, size);
    if (!programs.ok())
      return fail(error, NNC_ERROR, programs.message());
    std::unique_ptr<nnc_executable> result =
        makeExecutable(std::move(*programs));
    *numKernels = static_cast<int64_t>(result->kernels.size());
    *executable = result.release();
    return NNC_OK;
  } catch (const std::exception &exception) {
    return fail(error, NNC_ERROR,
                std::string("deserialize: ") + exception.what());
  }
}

nnc_status refCheckKernelBuffers(const nnc_executable *executable,
                                 int64_t index, const uint64_t *bufferBytes,
                                 int64_t numBuffers, nnc_error **error) {
  if (!executable || index < 0 ||
      index >= static_cast<int64_t>(executable->kernels.size()) ||
      (!bufferBytes && numBuffers > 0))
    return fail(error, NNC_ERROR, "check_kernel_buffers: bad arguments");
  nnc::rt::Error status = nnc::ref::checkProgramBuffers(
      executable->kernels[static_cast<size_t>(index)], bufferBytes, numBuffers);
  if (!status.ok())
    return fail(error, NNC_ERROR, status.message());
  return NNC_OK;
}

const nnc_serialize_extension kRefSerializeExtension = {
    {sizeof(nnc_serialize_extension), NNC_EXTENSION_SERIALIZE,
     &kRefProfileExtension.base},
    refSerialize,
    refFreeBytes,
    refDeserialize,
    refCheckKernelBuffers,
    // ref's bytes are portable: no machine code to report.
    /*code_target=*/nullptr,
    /*code_objects=*/nullptr,
};

const char *refErrorMessage(const nnc_error *error) {
  return error ? error->message.c_str() : "";
}

void refErrorDestroy(nnc_error *error) { delete error; }

// Constant-initialised (every field a constant expression), so no static
// constructor runs when the library loads.
const nnc_plugin_api kRefPluginApi = {
    sizeof(nnc_plugin_api),
    NNC_PLUGIN_ABI_MAJOR,
    NNC_PLUGIN_ABI_MINOR,
    "ref",
    "0.1.0",
#ifdef NNC_REF_RUNTIME_ONLY
    "reference interpreter, runtime only: runs compiled artifacts",
#else
    "reference interpreter: the correctness oracle",
#endif
    &kRefSerializeExtension.base,
    /*supported_ops=*/nullptr, // Filled in by nnc_plugin_entry.
    refCompile,
    refGetKernel,
    refExecutableDestroy,
    refErrorMessage,
    refErrorDestroy,
};

} // namespace

/// The plugin's one export (PluginABI.h declares it exported): the table of
/// the ref backend.
extern "C" const nnc_plugin_api *nnc_plugin_entry(void) {
#ifdef NNC_REF_RUNTIME_ONLY
  // Compiles nothing, so supports no op; constant-initialised.
  static const char *const kNoOps[] = {nullptr};
  static const nnc_plugin_api api = [] {
    nnc_plugin_api table = kRefPluginApi;
    table.supported_ops = kNoOps;
    return table;
  }();
  return &api;
#else
  // The op list lives with the compiler; a function-local static copies it
  // in once, thread-safely, on first use.
  static const nnc_plugin_api api = [] {
    nnc_plugin_api table = kRefPluginApi;
    table.supported_ops = nnc::ref::refSupportedOps();
    return table;
  }();
  return &api;
#endif
}
