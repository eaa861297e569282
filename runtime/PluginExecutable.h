//===- PluginExecutable.h - C++ owners of plugin objects --------*- C++ -*-===//
//
// The plugin ABI hands out raw C objects (nnc_executable, nnc_error) that
// must be destroyed through the table that made them, while that plugin's
// library is still loaded. These wrappers do both, so host code never
// frees an object with the wrong plugin or after dlclose.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_PLUGINEXECUTABLE_H
#define NNC_RUNTIME_PLUGINEXECUTABLE_H

#include "runtime/PluginHost.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nnc::rt {

/// Turns what a plugin call returned into an Error, destroying `error`
/// (which may be null) through `plugin`. A success for NNC_OK (and then
/// `error` is ignored). The message is the plugin's, prefixed with
/// "backend '<name>': " and made one line (takePluginMessage); `what` (e.g.
/// "compile") names the call when the plugin failed without saying why.
Error takePluginError(const LoadedPlugin &plugin, nnc_status status,
                      nnc_error *error, const char *what);

/// One kernel of an executable, ready to call. `fn` and `state` stay valid
/// while the PluginExecutable that returned it lives.
struct PluginKernel {
  nnc_kernel_fn fn = nullptr;
  void *state = nullptr;
  /// Iterations of the kernel's range, >= 1.
  int64_t range = 1;
  /// Splitting hint, >= 1.
  int64_t minGrain = 1;
  /// nnc_kernel_flag bits (0 from a plugin before ABI 1.5).
  uint32_t flags = 0;

  /// Runs iterations [begin, end) over `buffers` (operands, then results);
  /// a kernel's failure becomes an Error through `plugin`.
  Error run(const LoadedPlugin &plugin, void *const *buffers, int64_t begin,
            int64_t end) const;

  /// The kernel as Executor::create takes it.
  nnc_kernel_info info() const;
};

/// A CPU a serialized executable holds machine code for.
struct CodeTargetInfo {
  std::string cpu;
  std::vector<std::string> features;
};

/// A shared object of machine code that serialized bytes carry.
struct CodeObject {
  /// The target CPU it was compiled for ("x86-64-v3").
  std::string cpu;
  /// Its file name within the target ("module0.so", "gemm.so").
  std::string name;
  std::string bytes;
};

/// The shared objects of machine code in `bytes` (what `plugin` serialized),
/// best target first, read without loading them. Empty for a backend whose
/// bytes are portable or that cannot report its code (before ABI 1.3).
Expected<std::vector<CodeObject>> readCodeObjects(const LoadedPlugin &plugin,
                                                  const std::string &bytes);

/// What the user asked of a compile, as plugins receive it
/// (NNC_EXTENSION_TARGETS, NNC_EXTENSION_COMPILE_OPTIONS).
struct CompileOptions {
  /// The CPUs serialized machine code must run on, best first; empty: the
  /// backend's default (the compiling machine's CPU).
  std::vector<std::string> targetCpus;
  /// Whether the backend may use its cache of compiled code on disk.
  bool kernelCache = true;
};

/// A graph compiled by a plugin; destroys the nnc_executable and keeps the
/// plugin's library loaded for as long as it lives. Move-only.
class PluginExecutable {
public:
  /// Compiles `bytecode` (MLIR bytecode of a module of kernel functions,
  /// see docs/plugins.md) with `plugin` and `options`. Fails with the
  /// plugin's message, including when the backend answers
  /// NNC_UNSUPPORTED.
  static Expected<PluginExecutable> compile(const LoadedPlugin &plugin,
                                            const void *bytecode,
                                            size_t bytecodeSize,
                                            const CompileOptions &options = {});

  /// Makes an executable from `bytes` that serialize() wrote, without
  /// compiling, through the plugin's NNC_EXTENSION_SERIALIZE extension.
  /// Fails when the plugin has none ("backend 'cpu' cannot load compiled
  /// artifacts (no serialize extension)") or rejects the bytes.
  static Expected<PluginExecutable> deserialize(const LoadedPlugin &plugin,
                                                const void *bytes, size_t size);

  /// The executable as bytes for deserialize(); fails like deserialize
  /// when the plugin cannot serialize.
  Expected<std::string> serialize() const;

  /// The target CPUs serialize() writes machine code for, best first
  /// (code_target of NNC_EXTENSION_SERIALIZE); empty for portable code.
  Expected<std::vector<CodeTargetInfo>> codeTargets() const;

  /// Checks, when the plugin can tell, that kernel `index` takes exactly
  /// the buffers of `bufferBytes` (their sizes, in order). Succeeds without
  /// checking when the plugin offers no check_kernel_buffers.
  Error checkKernelBuffers(int64_t index,
                           const std::vector<uint64_t> &bufferBytes) const;

  /// How many kernels the executable holds.
  int64_t numKernels() const { return kernels; }

  /// Kernel `index` (0 <= index < numKernels(), else an error).
  Expected<PluginKernel> kernel(int64_t index) const;

  /// What the backend says of how it runs each kernel, one line per kernel
  /// (NNC_EXTENSION_PROFILE); empty lines where it says nothing, and all
  /// empty for a backend without the extension.
  Expected<std::vector<std::string>> kernelSummaries() const;

  /// The plugin that compiled it.
  const LoadedPlugin &plugin() const { return owner; }

private:
  /// Takes what `call` ("compile", "deserialize") of `plugin` made: its
  /// error, or the executable, which it destroys on any failure.
  static Expected<PluginExecutable>
  adopt(const LoadedPlugin &plugin, nnc_status status, nnc_error *error,
        nnc_executable *executable, int64_t numKernels, const char *call);

  struct Destroy {
    const nnc_plugin_api *api;
    void operator()(nnc_executable *executable) const {
      api->executable_destroy(executable);
    }
  };

  PluginExecutable(LoadedPlugin owner, nnc_executable *executable,
                   int64_t kernels)
      : owner(std::move(owner)),
        executable(executable, Destroy{&this->owner.api()}), kernels(kernels) {}

  // Declared before `executable` so the library outlives the object.
  LoadedPlugin owner;
  std::unique_ptr<nnc_executable, Destroy> executable;
  int64_t kernels;
};

} // namespace nnc::rt

#endif // NNC_RUNTIME_PLUGINEXECUTABLE_H
