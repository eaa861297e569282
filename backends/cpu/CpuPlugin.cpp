//===- CpuPlugin.cpp - The cpu backend's plugin table ---------------------===//
//
// The C table of runtime/PluginABI.h over the compiler half
// (compiler/CpuCompiler.h) and the runtime half (CpuKernel.h). Nothing C++
// crosses the boundary.
//
//===----------------------------------------------------------------------===//

#include "nnc/PluginABI.h"

#include "backends/cpu/CpuKernel.h"
#include "backends/cpu/compiler/CpuCompiler.h"

#include <cstdio>
#include <new>
#include <string>
#include <vector>

struct nnc_error {
  std::string message;
};

struct nnc_executable {
  std::vector<std::shared_ptr<const nnc::cpu::CpuKernel>> kernels;
};

nnc_error *nnc::cpu::makeCpuError(const std::string &message) {
  nnc_error *error = new (std::nothrow) nnc_error;
  if (error)
    error->message = message;
  return error;
}

namespace {

using namespace nnc::cpu;

nnc_status compile(nnc_compile_args *args, nnc_error **error) {
  if (!args || args->struct_size <
                   NNC_STRUCT_SIZE_UNTIL(nnc_compile_args, num_kernels)) {
    *error = makeCpuError("compile arguments are too small");
    return NNC_ERROR;
  }
  if (!args->bytecode && args->bytecode_size != 0) {
    *error = makeCpuError("the graph is not MLIR bytecode");
    return NNC_ERROR;
  }
  CompiledModule compiled =
      compileModule(args->bytecode ? args->bytecode : "", args->bytecode_size);
  if (compiled.status != NNC_OK) {
    *error = makeCpuError(compiled.message);
    return compiled.status;
  }
  auto *executable = new (std::nothrow) nnc_executable;
  if (!executable) {
    *error = makeCpuError("out of memory");
    return NNC_ERROR;
  }
  executable->kernels = std::move(compiled.kernels);
  args->executable = executable;
  args->num_kernels = static_cast<int64_t>(executable->kernels.size());
  return NNC_OK;
}

nnc_status getKernel(nnc_executable *executable, int64_t index,
                     nnc_kernel_info *info, nnc_error **error) {
  if (!executable || index < 0 ||
      index >= static_cast<int64_t>(executable->kernels.size())) {
    *error = makeCpuError("kernel index " + std::to_string(index) +
                          " is out of range");
    return NNC_ERROR;
  }
  if (!info ||
      info->struct_size < NNC_STRUCT_SIZE_UNTIL(nnc_kernel_info, range)) {
    *error = makeCpuError("kernel info is too small");
    return NNC_ERROR;
  }
  const CpuKernel &kernel = *executable->kernels[static_cast<size_t>(index)];
  info->fn = runCpuKernel;
  info->state = const_cast<CpuKernel *>(&kernel);
  info->range = kernel.range;
  if (info->struct_size >= NNC_STRUCT_SIZE_UNTIL(nnc_kernel_info, min_grain))
    info->min_grain = 1;
  return NNC_OK;
}

/// Under NNC_CPU_PROFILE=1: each kernel's calls and time (summed over the
/// threads that ran its iterations) on stderr.
void printProfile(const nnc_executable &executable) {
  for (size_t i = 0; i < executable.kernels.size(); ++i) {
    const CpuKernel &kernel = *executable.kernels[i];
    int64_t calls = kernel.profileCalls.load();
    if (calls == 0)
      continue;
    std::fprintf(stderr,
                 "nnc-cpu-profile: kernel %zu %-40s range %lld calls %lld "
                 "total %.3f ms\n",
                 i, kernel.label.c_str(), static_cast<long long>(kernel.range),
                 static_cast<long long>(calls),
                 static_cast<double>(kernel.profileNanos.load()) * 1e-6);
  }
}

void destroyExecutable(nnc_executable *executable) {
  if (executable && cpuProfileEnabled())
    printProfile(*executable);
  delete executable;
}

const char *errorMessage(const nnc_error *error) {
  return error->message.c_str();
}

void destroyError(nnc_error *error) { delete error; }

const char kDescription[] =
    "JIT-compiled kernels for the host CPU through MLIR linalg and LLVM";

const nnc_plugin_api kApi = {
    /*struct_size=*/sizeof(nnc_plugin_api),
    /*abi_major=*/NNC_PLUGIN_ABI_MAJOR,
    /*abi_minor=*/NNC_PLUGIN_ABI_MINOR,
    /*name=*/"cpu",
    /*version=*/"0.1.0",
    /*description=*/kDescription,
    /*extensions=*/nullptr,
    /*supported_ops=*/nullptr,
    /*compile=*/compile,
    /*get_kernel=*/getKernel,
    /*executable_destroy=*/destroyExecutable,
    /*error_message=*/errorMessage,
    /*error_destroy=*/destroyError,
};

} // namespace

extern "C" const nnc_plugin_api *nnc_plugin_entry(void) {
  static nnc_plugin_api api = [] {
    nnc_plugin_api table = kApi;
    table.supported_ops = cpuSupportedOps();
    return table;
  }();
  return &api;
}
